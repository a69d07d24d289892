-- After the trade (PRD §8.11): the stored confirmation document of every trade and the state of
-- its settlement saga, which a restart resumes from; dead letters of every consumer; the
-- notifications addressed to users; and the trade blotter's post-trade columns. The shadow
-- tables beside the blotters are where `orion rebuild-read-models` rebuilds them.

CREATE TABLE trade_confirmations (
    trade_id     BIGINT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    document     TEXT NOT NULL,
    confirmed_at BIGINT NOT NULL
);

CREATE TABLE settlement_status (
    trade_id        BIGINT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    owner           TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempt         BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX settlement_due ON settlement_status (next_attempt_at);

CREATE TABLE dead_letters (
    letter_id        TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    consumer         TEXT NOT NULL,
    consumer_version TEXT NOT NULL,
    source           TEXT NOT NULL,
    topic            TEXT NOT NULL,
    message_key      TEXT NOT NULL,
    headers          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    event_id         TEXT NOT NULL,
    event_type       TEXT NOT NULL,
    error_kind       TEXT NOT NULL,
    error            TEXT NOT NULL,
    stack            TEXT NOT NULL,
    attempts         BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    last_failure_at  BIGINT NOT NULL,
    state            TEXT NOT NULL,
    replayed_at      BIGINT
);
CREATE INDEX dead_letters_by_consumer ON dead_letters (consumer, state);

CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    event           TEXT NOT NULL,
    severity        TEXT NOT NULL,
    entity_id       TEXT NOT NULL,
    message         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX notifications_by_user ON notifications (tenant_id, user_id, created_at);

ALTER TABLE rm_trade_blotter ADD COLUMN confirmation_status TEXT NOT NULL DEFAULT 'PENDING';
ALTER TABLE rm_trade_blotter ADD COLUMN settlement_status TEXT NOT NULL DEFAULT 'PENDING';
ALTER TABLE rm_trade_blotter ADD COLUMN settlement_rank BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rm_trade_blotter ADD COLUMN settlement_attempts BIGINT NOT NULL DEFAULT 0;

CREATE TABLE shadow_rm_rfq_blotter (
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

CREATE TABLE shadow_rm_trade_blotter (
    trade_id            TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    rfq_id              TEXT NOT NULL,
    instrument_id       TEXT NOT NULL,
    side                TEXT NOT NULL,
    size                TEXT NOT NULL,
    price               TEXT NOT NULL,
    lp_id               TEXT NOT NULL,
    requester           TEXT NOT NULL,
    executed_at         TEXT NOT NULL,
    correlation_id      TEXT NOT NULL,
    confirmation_status TEXT NOT NULL DEFAULT 'PENDING',
    settlement_status   TEXT NOT NULL DEFAULT 'PENDING',
    settlement_rank     BIGINT NOT NULL DEFAULT 0,
    settlement_attempts BIGINT NOT NULL DEFAULT 0
);
