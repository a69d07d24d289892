-- A user may be entitled to named instruments only, within their asset classes; a user with no
-- rows here sees every instrument of their classes.
CREATE TABLE user_instruments (
    tenant_id     TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    instrument_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, instrument_id)
);
