-- What a discovery run skipped (unreadable entries, symlinks and special
-- files that match the pattern), so that operators see why a file they
-- expect is missing.

ALTER TABLE runs
    ADD COLUMN skipped jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN skipped_count integer NOT NULL DEFAULT 0;

COMMENT ON COLUMN runs.skipped IS 'Entries the run skipped, as [{"path", "reason"}]: unreadable files or directories, and symlinks, pipes or devices that match the pattern. At most 100; skipped_count has the total.';
COMMENT ON COLUMN runs.skipped_count IS 'How many entries the run skipped (see skipped).';

CREATE OR REPLACE VIEW ops.runs AS
SELECT r.id, d.name AS datasource, r.scheduled_for, r.covers_until, r.slot_count, r.status, r.trigger,
       r.attempt, r.max_attempts, r.replica_id, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.error, r.files_found, r.skipped_count
FROM runs r JOIN datasources d ON d.id = r.datasource_id
ORDER BY r.scheduled_for DESC;
