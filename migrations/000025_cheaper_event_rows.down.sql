DROP VIEW ops.recent_events, ops.event_stream;
ALTER TABLE events
    DROP CONSTRAINT events_pkey,
    DROP CONSTRAINT events_kind_format,
    DROP CONSTRAINT events_topic_format,
    ALTER COLUMN payload DROP DEFAULT,
    ALTER COLUMN payload TYPE jsonb USING payload::jsonb,
    ALTER COLUMN payload SET DEFAULT '{}',
    ADD PRIMARY KEY (id),
    ADD CONSTRAINT events_kind_format CHECK (kind ~ '^[A-Z][A-Z_]{0,63}$'),
    ADD CONSTRAINT events_topic_format CHECK (topic ~ '^[A-Z][A-Z_]{0,31}$');
CREATE INDEX events_stream_idx ON events (tx_id, id);

CREATE VIEW ops.recent_events AS
SELECT e.id, e.occurred_at, e.kind, e.datasource_id, d.name AS datasource_name, e.payload
FROM events e
LEFT JOIN datasources d ON d.id = e.datasource_id
ORDER BY e.id DESC
LIMIT 100;
COMMENT ON VIEW ops.recent_events IS 'The last 100 events, newest first.';

CREATE VIEW ops.event_stream AS
SELECT
    e.tx_id::text || ':' || e.id AS cursor,
    e.occurred_at,
    e.kind,
    e.datasource_id,
    e.run_id,
    e.tx_id < h.horizon AS streamed,
    e.payload,
    e.topic
FROM events e, (SELECT events_horizon() AS horizon) h
ORDER BY e.tx_id DESC, e.id DESC;
COMMENT ON VIEW ops.event_stream IS 'Events in stream order, newest first, with the cursor a subscription would resume from. streamed is false while an older transaction that can still write events is in flight (the stream waits for it; other transactions do not hold it back).';
