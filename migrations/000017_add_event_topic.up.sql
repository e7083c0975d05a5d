-- Each event states its topic, which streams filter on, instead of readers
-- deriving it from the kind's prefix. Payloads are written by one Go type per
-- kind and read back by the same type: datasource events carry the datasource
-- with its schedule as one object and durations in nanoseconds, and the rows
-- written before are rewritten to that form, so that one decoder reads every
-- row. Run events keep their form (the run's keys are its column names).

ALTER TABLE events ADD COLUMN topic text;

UPDATE events SET topic = CASE
    WHEN kind LIKE 'DATASOURCE\_%' THEN 'DATASOURCES'
    WHEN kind LIKE 'RUN\_%' OR kind LIKE 'SCHEDULE\_%' OR kind = 'FILES_DISCOVERED' THEN 'SCHEDULES'
    WHEN kind LIKE 'LEADER\_%' THEN 'CLUSTER'
    ELSE 'NONE'
END;

ALTER TABLE events
    ALTER COLUMN topic SET NOT NULL,
    ADD CONSTRAINT events_topic_format CHECK (topic ~ '^[A-Z][A-Z_]{0,31}$');

UPDATE events SET payload = (payload - 'schedule_cron' - 'schedule_interval' - 'schedule_anchor' - 'schedule_timezone'
        - 'misfire_policy' - 'overlap_policy' - 'paused')
    || jsonb_build_object(
        'schedule', jsonb_strip_nulls(jsonb_build_object(
            'cron', payload->'schedule_cron',
            'interval', (extract(epoch FROM (payload->>'schedule_interval')::interval) * 1000000000)::bigint,
            'anchor', payload->'schedule_anchor',
            'timezone', payload->'schedule_timezone',
            'misfire_policy', payload->'misfire_policy',
            'overlap_policy', payload->'overlap_policy',
            'paused', payload->'paused')),
        'run_timeout', (extract(epoch FROM (payload->>'run_timeout')::interval) * 1000000000)::bigint,
        'min_file_age', (extract(epoch FROM (payload->>'min_file_age')::interval) * 1000000000)::bigint,
        'next_run_at', CASE WHEN payload->>'next_run_at' = 'infinity' THEN to_jsonb('9999-12-31T23:59:59Z'::text)
            ELSE payload->'next_run_at' END)
WHERE topic = 'DATASOURCES' AND payload ? 'schedule_timezone';

COMMENT ON COLUMN events.topic IS 'The stream that follows the event: DATASOURCES, SCHEDULES or CLUSTER (NONE: no stream).';
COMMENT ON COLUMN events.payload IS 'Details of the change, one JSON shape per kind (docs/SUBSCRIPTIONS.md); for datasource events, the datasource as it was after the change (durations in nanoseconds); for run events, the run as the change left it (key "run", with the column names).';

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
