-- An attempt records its start with its result unless it works for a
-- second (scheduler.DefaultRecordRunningAfter): a replica that dies in that
-- second leaves its run SCHEDULED (or RETRYING), with its River job
-- running. Such a run blocks its schedule's SKIP overlap policy like a
-- RUNNING one, so ops.stuck_runs lists it too, once its job has been
-- running longer than the timeout. Its job is found by the run id in the
-- job's arguments (river_job's GIN index on args).
CREATE OR REPLACE VIEW ops.stuck_runs AS
SELECT
    r.id AS run_id,
    r.datasource_id,
    d.name AS datasource,
    r.scheduled_for,
    coalesce(j.attempt, r.attempt) AS attempt,
    r.max_attempts,
    coalesce(r.replica_id, j.attempted_by[array_upper(j.attempted_by, 1)]) AS replica_id,
    coalesce(j.attempted_at, r.updated_at) AS attempt_started_at,
    now() - coalesce(j.attempted_at, r.updated_at) AS running_for,
    d.run_timeout,
    coalesce(r.river_job_id, j.id) AS river_job_id,
    j.state::text AS river_job_state
FROM runs r
JOIN datasources d ON d.id = r.datasource_id
LEFT JOIN LATERAL (
    -- Two branches, each on its own index (the primary key, the GIN index
    -- on args), rather than one OR that could read the whole table.
    SELECT * FROM (
        SELECT id, state, attempt, attempted_at, attempted_by FROM river_job WHERE id = r.river_job_id
        UNION ALL
        -- Only run jobs have a run_id (no kind condition: it would lead the
        -- planner to the index on kind, every run job).
        SELECT id, state, attempt, attempted_at, attempted_by FROM river_job
        WHERE r.status <> 'RUNNING' AND args @> jsonb_build_object('run_id', r.id)
    ) found
    ORDER BY id DESC LIMIT 1
) j ON true
-- The first condition reads only unfinished runs (runs_active_idx).
WHERE r.status IN ('SCHEDULED', 'RUNNING', 'RETRYING')
    AND ((r.status = 'RUNNING' AND r.updated_at < now() - d.run_timeout)
        OR (r.status <> 'RUNNING' AND j.state = 'running' AND j.attempted_at < now() - d.run_timeout))
ORDER BY attempt_started_at;

COMMENT ON VIEW ops.stuck_runs IS 'Runs whose attempt has worked longer than their datasource''s run_timeout: RUNNING ones, and SCHEDULED or RETRYING ones whose River job is running (an attempt records its start with its result unless it works for a second). A worker would have given up by then, so the replica that ran the attempt most likely died. Under overlap policy SKIP, each one makes every later slot of its datasource SKIPPED until it ends.';
COMMENT ON COLUMN ops.stuck_runs.attempt IS 'The attempt that is running (its River job''s, if known).';
COMMENT ON COLUMN ops.stuck_runs.replica_id IS 'The replica that started the attempt (for a start not recorded, the last River client that took its job).';
COMMENT ON COLUMN ops.stuck_runs.attempt_started_at IS 'When the attempt started (its River job''s attempted_at, if known).';
