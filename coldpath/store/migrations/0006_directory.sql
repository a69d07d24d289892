-- The directory lives in the store: users carry an argon2 password hash and an enabled flag;
-- LPs their routing configuration; instruments their reference data; venues and per-tenant
-- feature flags get tables; logged-out refresh tokens are remembered until they expire.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

ALTER TABLE liquidity_providers ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;
ALTER TABLE liquidity_providers ADD COLUMN asset_classes TEXT NOT NULL DEFAULT 'fx,rates,credit';
ALTER TABLE liquidity_providers ADD COLUMN spread_bps BIGINT;
ALTER TABLE liquidity_providers ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

ALTER TABLE instruments ADD COLUMN symbol TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN lot_size TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN tenor TEXT;
ALTER TABLE instruments ADD COLUMN trading_hours TEXT;
ALTER TABLE instruments ADD COLUMN reference_price TEXT NOT NULL DEFAULT '';
ALTER TABLE instruments ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE venues (
    venue_id        TEXT PRIMARY KEY,
    execution_type  TEXT NOT NULL,
    instruments     TEXT NOT NULL,
    session_windows TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE feature_flags (
    tenant_id  TEXT PRIMARY KEY,
    oms        BIGINT NOT NULL,
    clob       BIGINT NOT NULL,
    replay     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE revoked_tokens (
    token_id   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE INDEX audit_by_tenant_time ON audit_log (tenant_id, at);
