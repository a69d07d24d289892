-- Orion's store (PRD §10.3). One schema for SQLite and Postgres: BIGINT and TEXT only,
-- timestamps in nanoseconds since the Unix epoch, prices and sizes as exact decimal strings
-- beside their integer units. Every business row carries tenant_id.

CREATE TABLE tenants (
    tenant_id    TEXT PRIMARY KEY,
    tenant_index BIGINT NOT NULL UNIQUE
);

CREATE TABLE users (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    user_index BIGINT NOT NULL UNIQUE,
    PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE roles (
    tenant_id TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, role)
);

CREATE TABLE entitlements (
    tenant_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    asset_class TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, asset_class)
);

CREATE TABLE instruments (
    instrument_id    TEXT PRIMARY KEY,
    instrument_index BIGINT NOT NULL UNIQUE,
    asset_class      TEXT NOT NULL,
    price_scale      BIGINT NOT NULL,
    size_scale       BIGINT NOT NULL,
    tick_size        TEXT NOT NULL
);

CREATE TABLE liquidity_providers (
    lp_id            TEXT PRIMARY KEY,
    lp_index         BIGINT NOT NULL UNIQUE,
    max_rfqs_per_sec BIGINT NOT NULL
);

CREATE TABLE risk_limits (
    tenant_id         TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    max_notional      BIGINT NOT NULL,
    max_rfqs_per_sec  BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE tenant_limits (
    tenant_id         TEXT PRIMARY KEY,
    max_open_notional BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE kill_switches (
    scope      TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    enabled    BIGINT NOT NULL,
    changed_at BIGINT NOT NULL,
    changed_by TEXT NOT NULL
);

CREATE TABLE rfqs (
    rfq_id         BIGINT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    instrument_id  TEXT NOT NULL,
    side           TEXT NOT NULL,
    size           TEXT NOT NULL,
    size_units     BIGINT NOT NULL,
    status         TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    notional       BIGINT NOT NULL,
    lps            BIGINT NOT NULL,
    mid            TEXT,
    trade_id       BIGINT,
    reason         TEXT,
    correlation_id TEXT NOT NULL
);
CREATE INDEX rfqs_by_tenant_status ON rfqs (tenant_id, status);

CREATE TABLE quotes (
    quote_id     BIGINT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    rfq_id       BIGINT NOT NULL,
    lp_id        TEXT NOT NULL,
    lp_index     BIGINT NOT NULL,
    lp_quote_id  TEXT NOT NULL,
    price        TEXT NOT NULL,
    price_units  BIGINT NOT NULL,
    size_units   BIGINT NOT NULL,
    valid_until  BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    status       TEXT NOT NULL
);
CREATE INDEX quotes_by_rfq ON quotes (rfq_id);

CREATE TABLE trades (
    trade_id            BIGINT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    rfq_id              BIGINT NOT NULL,
    quote_id            BIGINT NOT NULL,
    user_id             TEXT NOT NULL,
    lp_id               TEXT NOT NULL,
    instrument_id       TEXT NOT NULL,
    side                TEXT NOT NULL,
    price               TEXT NOT NULL,
    size                TEXT NOT NULL,
    executed_at         BIGINT NOT NULL,
    correlation_id      TEXT NOT NULL,
    confirmation_status TEXT NOT NULL,
    settlement_status   TEXT NOT NULL,
    UNIQUE (rfq_id, quote_id)
);
CREATE INDEX trades_by_tenant ON trades (tenant_id, executed_at);

CREATE TABLE outbox_events (
    event_id     TEXT PRIMARY KEY,
    position     BIGINT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL,
    topic        TEXT NOT NULL,
    message_key  TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    envelope     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX outbox_unpublished ON outbox_events (published_at, position);

CREATE TABLE processed_events (
    consumer     TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    tenant_id    TEXT NOT NULL,
    processed_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE audit_log (
    audit_id       TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    entity_type    TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    detail         TEXT NOT NULL,
    at             BIGINT NOT NULL
);

CREATE TABLE idempotency_keys (
    tenant_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    operation   TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    status      BIGINT NOT NULL,
    response    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, operation, idem_key)
);
