-- Analytics read models, written only by the `analytics` consumer from the event log (never
-- from the write tables), with shadow copies beside them for `orion rebuild-read-models`.
-- They hold facts (prices, the market at the trade, times); measures such as slippage are
-- derived from them when read.
CREATE TABLE rm_analytics_trades (
    trade_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    venue TEXT NOT NULL,
    rfq_id TEXT NOT NULL,
    lp_id TEXT NOT NULL,
    requester TEXT NOT NULL,
    instrument_id TEXT NOT NULL,
    side TEXT NOT NULL,
    size TEXT NOT NULL,
    price TEXT NOT NULL,
    bid TEXT NOT NULL,
    ask TEXT NOT NULL,
    mid TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    executed_at BIGINT NOT NULL
);
CREATE INDEX rm_analytics_trades_time ON rm_analytics_trades (tenant_id, executed_at);
CREATE TABLE shadow_rm_analytics_trades (
    trade_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    venue TEXT NOT NULL,
    rfq_id TEXT NOT NULL,
    lp_id TEXT NOT NULL,
    requester TEXT NOT NULL,
    instrument_id TEXT NOT NULL,
    side TEXT NOT NULL,
    size TEXT NOT NULL,
    price TEXT NOT NULL,
    bid TEXT NOT NULL,
    ask TEXT NOT NULL,
    mid TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    executed_at BIGINT NOT NULL
);

-- Every RFQ's side (RFQCreated), which decides which quote is best, and its requester.
CREATE TABLE rm_analytics_rfqs (
    rfq_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    side TEXT NOT NULL,
    requester TEXT NOT NULL
);
CREATE TABLE shadow_rm_analytics_rfqs (
    rfq_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    side TEXT NOT NULL,
    requester TEXT NOT NULL
);

-- Which LPs each RFQ went to, and when (RFQSent).
CREATE TABLE rm_analytics_rfq_lps (
    rfq_id TEXT NOT NULL,
    lp_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (rfq_id, lp_id)
);
CREATE INDEX rm_analytics_rfq_lps_tenant ON rm_analytics_rfq_lps (tenant_id);
CREATE TABLE shadow_rm_analytics_rfq_lps (
    rfq_id TEXT NOT NULL,
    lp_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (rfq_id, lp_id)
);

-- Every quote (QuoteReceived).
CREATE TABLE rm_analytics_quotes (
    quote_id TEXT PRIMARY KEY,
    rfq_id TEXT NOT NULL,
    lp_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    price TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX rm_analytics_quotes_tenant ON rm_analytics_quotes (tenant_id);
CREATE TABLE shadow_rm_analytics_quotes (
    quote_id TEXT PRIMARY KEY,
    rfq_id TEXT NOT NULL,
    lp_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    price TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
