-- Read models (PRD §10.4): blotters projected from the event stream by a bus consumer,
-- idempotent through processed_events. Events of one RFQ arrive on different topics, so rows are
-- upserted from whichever event comes first and a status only moves forward (status_rank).

CREATE TABLE rm_rfq_blotter (
    rfq_id         TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    instrument_id  TEXT NOT NULL,
    side           TEXT NOT NULL,
    size           TEXT NOT NULL,
    requester      TEXT NOT NULL,
    status         TEXT NOT NULL,
    status_rank    BIGINT NOT NULL,
    quote_count    BIGINT NOT NULL,
    last_quote     TEXT,
    trade_id       TEXT,
    correlation_id TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX rm_rfq_blotter_by_tenant ON rm_rfq_blotter (tenant_id, rfq_id);

CREATE TABLE rm_trade_blotter (
    trade_id       TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    rfq_id         TEXT NOT NULL,
    instrument_id  TEXT NOT NULL,
    side           TEXT NOT NULL,
    size           TEXT NOT NULL,
    price          TEXT NOT NULL,
    lp_id          TEXT NOT NULL,
    requester      TEXT NOT NULL,
    executed_at    TEXT NOT NULL,
    correlation_id TEXT NOT NULL
);
CREATE INDEX rm_trade_blotter_by_tenant ON rm_trade_blotter (tenant_id, executed_at);

-- Where each local-bus consumer is in the outbox.
CREATE TABLE consumer_offsets (
    consumer TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);
