-- Idempotent answers are stored as the journal's typed decision (JSON), rendered by each face
-- when replayed; the HTTP status is no longer stored. Rows written by earlier versions held
-- rendered HTTP bodies, which cannot be read back as decisions: they are dropped, so a retry of
-- such a key after upgrading is decided afresh.
DELETE FROM idempotency_keys;
ALTER TABLE idempotency_keys DROP COLUMN status;
