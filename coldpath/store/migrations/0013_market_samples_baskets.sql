-- Each instrument's mid and spread once a second (the latest tick of that second), kept for a
-- bounded time: the spread history the workstation charts, and what basket indices are
-- computed from. Written by the core's sampler, pruned by it.
CREATE TABLE market_samples (
    instrument_id TEXT NOT NULL,
    t BIGINT NOT NULL,
    mid TEXT NOT NULL,
    spread TEXT NOT NULL,
    PRIMARY KEY (instrument_id, t)
);
CREATE INDEX market_samples_by_time ON market_samples (t);

-- Basket definitions per tenant: weights of instruments and the index's value at definition.
CREATE TABLE analytics_baskets (
    tenant_id TEXT NOT NULL,
    basket_id TEXT NOT NULL,
    name TEXT NOT NULL,
    base TEXT NOT NULL,
    components TEXT NOT NULL,
    defined_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, basket_id)
);
