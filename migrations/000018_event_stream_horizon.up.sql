-- The stream's horizon: the transaction id below which no transaction can
-- still commit events. Every event writer locks events (ROW EXCLUSIVE)
-- before its transaction has an id: store's transactions do it first, and a
-- single INSERT INTO events takes it before it runs. So an in-flight
-- transaction that does not hold that lock, and that had its id when the
-- caller's snapshot was taken, can never add events, and the stream need not
-- wait for it: a psql session or a report left open no longer holds every
-- stream back. The horizon is the oldest in-flight id of a lock holder, or the
-- snapshot's xmax. The snapshot is the statement's, taken before pg_locks is
-- read: a writer that had no id then gets one above xmax.
--
-- Read the events below it in a later statement (a later snapshot): a writer
-- that commits between this statement's snapshot and its read of pg_locks is
-- then visible.

CREATE FUNCTION events_horizon() RETURNS xid8 LANGUAGE sql STABLE AS $$
    SELECT least(pg_snapshot_xmax(s), (
        SELECT min(x) FROM pg_snapshot_xip(s) AS x
        WHERE (x::text::bigint % 4294967296)::text::xid IN (
            SELECT w.transactionid
            FROM pg_locks l
            JOIN pg_locks w ON w.virtualtransaction = l.virtualtransaction AND w.locktype = 'transactionid'
            WHERE l.locktype = 'relation' AND l.relation = 'events'::regclass
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.mode <> 'AccessShareLock')))
    FROM pg_current_snapshot() AS s
$$;
COMMENT ON FUNCTION events_horizon() IS 'Events with tx_id below it are final: no transaction that can still write events has a lower id. Read them in a later statement.';

CREATE OR REPLACE VIEW ops.event_stream AS
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
COMMENT ON COLUMN events.tx_id IS 'Writing transaction (pg_current_xact_id()). Streams order events by (tx_id, id) and read only below events_horizon(), so a late commit with a lower id is never skipped. A subscription cursor is "<tx_id>:<id>".';
