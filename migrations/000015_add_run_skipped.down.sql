DROP VIEW ops.runs;
CREATE VIEW ops.runs AS
SELECT r.id, d.name AS datasource, r.scheduled_for, r.covers_until, r.slot_count, r.status, r.trigger,
       r.attempt, r.max_attempts, r.replica_id, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.error, r.files_found
FROM runs r JOIN datasources d ON d.id = r.datasource_id
ORDER BY r.scheduled_for DESC;
COMMENT ON VIEW ops.runs IS 'Runs with their datasource name, newest slot first.';

ALTER TABLE runs DROP COLUMN skipped_count, DROP COLUMN skipped;
