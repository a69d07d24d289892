-- The relay puts the correlation id in a Kafka header; keeping it in its own column saves
-- parsing every envelope. Rows written before this migration keep '' and are parsed.
ALTER TABLE outbox_events ADD COLUMN correlation_id TEXT NOT NULL DEFAULT '';
