-- Back to migration 19's view: RUNNING runs only.
DROP VIEW ops.stuck_runs;
-- A RUNNING row's updated_at is when its current attempt started: nothing
-- else writes the row until the attempt finishes.
CREATE VIEW ops.stuck_runs AS
SELECT
    r.id AS run_id,
    r.datasource_id,
    d.name AS datasource,
    r.scheduled_for,
    r.attempt,
    r.max_attempts,
    r.replica_id,
    r.updated_at AS attempt_started_at,
    now() - r.updated_at AS running_for,
    d.run_timeout,
    r.river_job_id,
    j.state::text AS river_job_state
FROM runs r
JOIN datasources d ON d.id = r.datasource_id
LEFT JOIN river_job j ON j.id = r.river_job_id
WHERE r.status = 'RUNNING' AND r.updated_at < now() - d.run_timeout
ORDER BY r.updated_at;
COMMENT ON VIEW ops.stuck_runs IS 'Runs RUNNING longer than their datasource''s run_timeout: a worker would have given up by then, so the replica that ran the attempt most likely died. Under overlap policy SKIP, each one makes every later slot of its datasource SKIPPED until it ends.';
COMMENT ON COLUMN ops.stuck_runs.run_id IS 'The run.';
COMMENT ON COLUMN ops.stuck_runs.datasource_id IS 'Its datasource.';
COMMENT ON COLUMN ops.stuck_runs.datasource IS 'The datasource''s name.';
COMMENT ON COLUMN ops.stuck_runs.scheduled_for IS 'The run''s slot.';
COMMENT ON COLUMN ops.stuck_runs.attempt IS 'The attempt that is running.';
COMMENT ON COLUMN ops.stuck_runs.max_attempts IS 'Attempts allowed.';
COMMENT ON COLUMN ops.stuck_runs.replica_id IS 'The replica that started the attempt.';
COMMENT ON COLUMN ops.stuck_runs.attempt_started_at IS 'When the attempt started.';
COMMENT ON COLUMN ops.stuck_runs.running_for IS 'How long the attempt has been running.';
COMMENT ON COLUMN ops.stuck_runs.run_timeout IS 'The datasource''s bound on one attempt.';
COMMENT ON COLUMN ops.stuck_runs.river_job_id IS 'The River job working the run.';
COMMENT ON COLUMN ops.stuck_runs.river_job_state IS 'That job''s River state (running while no one has rescued it); NULL if River deleted it.';

