CREATE OR REPLACE FUNCTION events_horizon() RETURNS xid8 LANGUAGE sql STABLE AS $$
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
