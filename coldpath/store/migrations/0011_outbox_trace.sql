-- The W3C traceparent of the request that caused each event: the relay and the consumers
-- continue that request's trace. Empty when the request was not traced (no exporter), and for
-- rows written before this migration.
ALTER TABLE outbox_events ADD COLUMN trace_parent TEXT NOT NULL DEFAULT '';
