-- Orders and the order book: one row per order (its latest state, and where it stands in its
-- level's queue while it rests), one row per fill, and CLOB trades beside RFQ trades.
CREATE TABLE orders (
    order_id        BIGINT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    instrument_id   TEXT NOT NULL,
    side            TEXT NOT NULL,
    order_type      TEXT NOT NULL,
    time_in_force   TEXT NOT NULL,
    limit_price     TEXT,
    qty             TEXT NOT NULL,
    filled_qty      TEXT NOT NULL,
    remaining_qty   TEXT NOT NULL,
    avg_price       TEXT,
    status          TEXT NOT NULL,
    cancel_reason   TEXT,
    price_units     BIGINT NOT NULL,
    original_units  BIGINT NOT NULL,
    remaining_units BIGINT NOT NULL,
    filled_units    BIGINT NOT NULL,
    -- Time priority while resting: lower rests ahead within a price level.
    priority        BIGINT NOT NULL,
    resting         BIGINT NOT NULL,
    correlation_id  TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX orders_by_tenant ON orders (tenant_id, order_id);
CREATE INDEX orders_resting ON orders (resting, priority);

CREATE TABLE order_fills (
    order_id    BIGINT NOT NULL,
    trade_id    BIGINT NOT NULL,
    tenant_id   TEXT NOT NULL,
    price       TEXT NOT NULL,
    qty         TEXT NOT NULL,
    liquidity   TEXT NOT NULL,
    executed_at BIGINT NOT NULL,
    PRIMARY KEY (order_id, trade_id)
);

-- A CLOB trade has no RFQ: rfq_id 0 and quote_id = trade_id keep (rfq_id, quote_id) unique.
ALTER TABLE trades ADD COLUMN venue TEXT NOT NULL DEFAULT 'RFQ';
ALTER TABLE trades ADD COLUMN maker_order_id BIGINT;
ALTER TABLE trades ADD COLUMN taker_order_id BIGINT;
