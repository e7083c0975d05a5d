-- events_horizon() of migration 18 found the id of each transaction that
-- holds the events lock through its transactionid lock in pg_locks. But
-- PostgreSQL publishes a new id in the proc array (where snapshots see it)
-- before it takes that lock (AssignTransactionId: GetNewTransactionId, then
-- XactLockTableInsert). A writer caught in that window was in the
-- snapshot's xip without a transactionid lock, the horizon passed it, and
-- its events, committed later with a lower tx_id, were never streamed. The
-- id now comes from where snapshots read it: pg_stat_get_activity's
-- backend_xid is the proc array's. A transaction whose id was in the
-- snapshot and that held the lock then still holds both when they are read,
-- or has ended (its events are visible to the later statement that reads
-- them, or were rolled back).

CREATE OR REPLACE FUNCTION events_horizon() RETURNS xid8 LANGUAGE sql STABLE AS $$
    SELECT least(pg_snapshot_xmax(s), (
        SELECT min(x) FROM pg_snapshot_xip(s) AS x
        WHERE (x::text::bigint % 4294967296)::text::xid IN (
            SELECT a.backend_xid
            FROM pg_locks l JOIN pg_stat_get_activity(NULL) a ON a.pid = l.pid
            WHERE l.locktype = 'relation' AND l.relation = 'events'::regclass
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.mode <> 'AccessShareLock')))
    FROM pg_current_snapshot() AS s
$$;
