DROP VIEW ops.event_stream;
CREATE VIEW ops.event_stream AS
SELECT
    e.tx_id::text || ':' || e.id AS cursor,
    e.occurred_at,
    e.kind,
    e.datasource_id,
    e.run_id,
    e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) AS streamed,
    e.payload
FROM events e
ORDER BY e.tx_id DESC, e.id DESC;
COMMENT ON VIEW ops.event_stream IS 'Events in stream order, newest first, with the cursor a subscription would resume from. streamed is false while an older transaction is still in flight (the stream waits for it).';

UPDATE events SET payload = (payload - 'schedule')
    || jsonb_build_object(
        'schedule_cron', payload->'schedule'->'cron',
        'schedule_interval', to_jsonb(make_interval(secs => (payload->'schedule'->>'interval')::numeric / 1000000000)),
        'schedule_anchor', payload->'schedule'->'anchor',
        'schedule_timezone', payload->'schedule'->'timezone',
        'misfire_policy', payload->'schedule'->'misfire_policy',
        'overlap_policy', payload->'schedule'->'overlap_policy',
        'paused', payload->'schedule'->'paused',
        'run_timeout', to_jsonb(make_interval(secs => (payload->>'run_timeout')::numeric / 1000000000)),
        'min_file_age', to_jsonb(make_interval(secs => (payload->>'min_file_age')::numeric / 1000000000)),
        'next_run_at', CASE WHEN payload->>'next_run_at' LIKE '9999-12-31T23:59:59%' THEN to_jsonb('infinity'::text)
            ELSE payload->'next_run_at' END)
WHERE topic = 'DATASOURCES' AND payload ? 'schedule';

COMMENT ON COLUMN events.payload IS 'Details of the change; for datasource events, the datasource as it was after the change.';
ALTER TABLE events DROP COLUMN topic;
