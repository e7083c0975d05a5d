-- Every run writes two events, so each event's fixed costs are paid a
-- thousand times a second (docs/BENCHMARKS.md):
--
-- * The format checks of kind and topic used bounded repetition
--   ({0,63}), which PostgreSQL's regex engine expands into a large
--   automaton: about 7 µs per check. The same rule as a regex without
--   the bound, and a length, costs a thirtieth of that.
-- * The payload is written by Go and read back by Go, whole: json keeps
--   the text as it is, where jsonb parsed it into a tree on every insert
--   and printed it again on every read. payload->'key' works on both.
-- * Readers find events by (tx_id, id), so that is the primary key, and
--   the index on id alone goes.
DROP VIEW ops.recent_events, ops.event_stream;
DROP INDEX events_stream_idx;
ALTER TABLE events
    DROP CONSTRAINT events_pkey,
    DROP CONSTRAINT events_kind_format,
    DROP CONSTRAINT events_topic_format,
    ALTER COLUMN payload DROP DEFAULT,
    ALTER COLUMN payload TYPE json USING payload::json,
    ALTER COLUMN payload SET DEFAULT '{}',
    ADD PRIMARY KEY (tx_id, id),
    ADD CONSTRAINT events_kind_format CHECK (kind ~ '^[A-Z][A-Z_]*$' AND length(kind) <= 64),
    ADD CONSTRAINT events_topic_format CHECK (topic ~ '^[A-Z][A-Z_]*$' AND length(topic) <= 32);

-- The views that show the payload are made again around the type change;
-- recent_events reads the newest events by the primary key now.
CREATE VIEW ops.recent_events AS
SELECT e.id, e.occurred_at, e.kind, e.datasource_id, d.name AS datasource_name, e.payload
FROM events e
LEFT JOIN datasources d ON d.id = e.datasource_id
ORDER BY e.tx_id DESC, e.id DESC
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
