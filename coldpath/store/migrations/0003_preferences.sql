-- Workstation preferences per user: watchlists, pinned instruments, layout, theme (a JSON
-- document owned by the web client; the server stores it whole).
CREATE TABLE user_preferences (
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    prefs      TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
