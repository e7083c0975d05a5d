CREATE OR REPLACE VIEW ops.event_stream AS
SELECT
    e.tx_id::text || ':' || e.id AS cursor,
    e.occurred_at,
    e.kind,
    e.datasource_id,
    e.run_id,
    e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) AS streamed,
    e.payload,
    e.topic
FROM events e
ORDER BY e.tx_id DESC, e.id DESC;
COMMENT ON VIEW ops.event_stream IS 'Events in stream order, newest first, with the cursor a subscription would resume from. streamed is false while an older transaction is still in flight (the stream waits for it).';
COMMENT ON COLUMN events.tx_id IS 'Writing transaction (pg_current_xact_id()). Streams order events by (tx_id, id) and read only below pg_snapshot_xmin(pg_current_snapshot()), so a late commit with a lower id is never skipped. A subscription cursor is "<tx_id>:<id>".';
DROP FUNCTION events_horizon();
