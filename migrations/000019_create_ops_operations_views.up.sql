-- Views for operating the scheduler from psql (docs/OPERATIONS.md): where
-- each schedule stands, which runs failed, which are stuck, and what
-- discovery found per day.

-- One row per live datasource. Each lateral subquery walks the runs'
-- (datasource_id, scheduled_for) index backwards from the newest slot and
-- stops early, so the view stays cheap on 10,000 datasources.
CREATE VIEW ops.schedule_status AS
SELECT
    d.id,
    d.name,
    coalesce(d.schedule_cron, d.schedule_interval::text) AS schedule,
    d.schedule_timezone AS timezone,
    d.enabled,
    d.paused,
    d.next_run_at,
    CASE WHEN d.enabled AND NOT d.paused AND d.next_run_at <= now() THEN now() - d.next_run_at
         ELSE interval '0' END AS lag,
    last.id AS last_run_id,
    last.scheduled_for AS last_run_slot,
    last.status AS last_run_status,
    last.finished_at AS last_run_finished_at,
    last.error AS last_run_error,
    failures.consecutive_failures
FROM datasources d
LEFT JOIN LATERAL (
    SELECT r.id, r.scheduled_for, r.status, r.finished_at, r.error
    FROM runs r
    WHERE r.datasource_id = d.id AND r.status IN ('RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED')
    ORDER BY r.scheduled_for DESC
    LIMIT 1
) last ON true
CROSS JOIN LATERAL (
    SELECT count(*) AS consecutive_failures
    FROM runs r
    WHERE r.datasource_id = d.id AND r.status = 'FAILED'
      AND r.scheduled_for > coalesce((
          SELECT max(s.scheduled_for) FROM runs s WHERE s.datasource_id = d.id AND s.status = 'SUCCEEDED'
      ), '-infinity')
) failures
WHERE d.deleted_at IS NULL
ORDER BY d.name COLLATE "C";
COMMENT ON VIEW ops.schedule_status IS 'Where each live schedule stands: its next slot, how late that slot is, its last run and the failures in a row since its last success.';
COMMENT ON COLUMN ops.schedule_status.id IS 'The datasource.';
COMMENT ON COLUMN ops.schedule_status.name IS 'The datasource''s name.';
COMMENT ON COLUMN ops.schedule_status.schedule IS 'The cron expression or the interval.';
COMMENT ON COLUMN ops.schedule_status.timezone IS 'The time zone the cron expression is read in.';
COMMENT ON COLUMN ops.schedule_status.enabled IS 'false: never scheduled.';
COMMENT ON COLUMN ops.schedule_status.paused IS 'true: no slots are planned until resumed.';
COMMENT ON COLUMN ops.schedule_status.next_run_at IS 'The next slot the leader plans; NULL while it computes it (new, changed, paused or disabled schedule), infinity if the schedule never fires again.';
COMMENT ON COLUMN ops.schedule_status.lag IS 'How late the due slot is: now() - next_run_at once that has passed on a plannable schedule, else 0. Above a second or so, the leader is not planning (none elected, or the database is slow).';
COMMENT ON COLUMN ops.schedule_status.last_run_id IS 'The run of the newest slot that ran or runs (RUNNING, RETRYING, SUCCEEDED or FAILED); SKIPPED, MISSED and CANCELLED slots do not count.';
COMMENT ON COLUMN ops.schedule_status.last_run_slot IS 'That run''s slot (scheduled_for).';
COMMENT ON COLUMN ops.schedule_status.last_run_status IS 'That run''s status: its result once SUCCEEDED or FAILED.';
COMMENT ON COLUMN ops.schedule_status.last_run_finished_at IS 'When that run finished; NULL while it runs.';
COMMENT ON COLUMN ops.schedule_status.last_run_error IS 'That run''s last error, if any.';
COMMENT ON COLUMN ops.schedule_status.consecutive_failures IS 'FAILED runs since the newest SUCCEEDED one (all of them if none succeeded), in slot order.';

CREATE VIEW ops.failures AS
SELECT
    r.id AS run_id,
    r.datasource_id,
    d.name AS datasource,
    r.scheduled_for,
    r.trigger,
    r.attempt AS attempts,
    r.started_at,
    r.finished_at,
    r.error AS last_error,
    (SELECT string_agg(format('attempt %s at %s: %s', e->>'attempt', e->>'at', e->>'error'), E'\n'
                       ORDER BY (e->>'attempt')::int)
     FROM jsonb_array_elements(r.attempt_errors) AS e) AS errors,
    r.attempt_errors
FROM runs r
JOIN datasources d ON d.id = r.datasource_id
WHERE r.status = 'FAILED' AND r.finished_at > now() - interval '24 hours'
ORDER BY r.finished_at DESC;
COMMENT ON VIEW ops.failures IS 'Runs that FAILED (every attempt used up) in the last 24 hours, newest first, with every attempt''s error.';
COMMENT ON COLUMN ops.failures.run_id IS 'The run.';
COMMENT ON COLUMN ops.failures.datasource_id IS 'Its datasource.';
COMMENT ON COLUMN ops.failures.datasource IS 'The datasource''s name.';
COMMENT ON COLUMN ops.failures.scheduled_for IS 'The run''s slot.';
COMMENT ON COLUMN ops.failures.trigger IS 'SCHEDULE or MANUAL.';
COMMENT ON COLUMN ops.failures.attempts IS 'Attempts made (the datasource''s max_attempts when the run was planned).';
COMMENT ON COLUMN ops.failures.started_at IS 'When the first attempt started.';
COMMENT ON COLUMN ops.failures.finished_at IS 'When the last attempt failed.';
COMMENT ON COLUMN ops.failures.last_error IS 'The last attempt''s error.';
COMMENT ON COLUMN ops.failures.errors IS 'Every failed attempt, one line each: "attempt N at TIME: error".';
COMMENT ON COLUMN ops.failures.attempt_errors IS 'The same as JSON: [{"attempt", "at", "error"}].';

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

-- Days are calendar days in the datasource's schedule time zone, as in the
-- API's DataSource.filesPerDay. A filter on datasource_id reaches the
-- (datasource_id, discovered_at) index; a filter on day alone reads every
-- file.
CREATE VIEW ops.discovery_daily AS
SELECT
    d.id AS datasource_id,
    d.name AS datasource,
    (f.discovered_at AT TIME ZONE d.schedule_timezone)::date AS day,
    count(*) AS files,
    sum(f.size) AS bytes,
    coalesce(sum(f.record_count), 0) AS records
FROM discovered_files f
JOIN datasources d ON d.id = f.datasource_id
GROUP BY d.id, (f.discovered_at AT TIME ZONE d.schedule_timezone)::date
ORDER BY day DESC, d.name COLLATE "C";
COMMENT ON VIEW ops.discovery_daily IS 'Files discovered per datasource per day, newest day first. Filter on datasource_id (or datasource) to keep it to one datasource''s files.';
COMMENT ON COLUMN ops.discovery_daily.datasource_id IS 'The datasource.';
COMMENT ON COLUMN ops.discovery_daily.datasource IS 'The datasource''s name.';
COMMENT ON COLUMN ops.discovery_daily.day IS 'The calendar day of discovery, in the datasource''s schedule time zone.';
COMMENT ON COLUMN ops.discovery_daily.files IS 'File versions discovered that day.';
COMMENT ON COLUMN ops.discovery_daily.bytes IS 'Their total size in bytes.';
COMMENT ON COLUMN ops.discovery_daily.records IS 'Their total record count (files of format OTHER count 0).';
