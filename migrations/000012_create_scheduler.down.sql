DROP VIEW ops.schedules;
DROP VIEW ops.leadership;
DROP VIEW ops.runs;
ALTER TABLE events DROP COLUMN run_id;
DROP TABLE runs;
DROP TABLE leadership_history;
DROP TABLE scheduler_leader;
DROP INDEX datasources_unplanned_idx;
DROP INDEX datasources_due_idx;
ALTER TABLE datasources
    DROP COLUMN run_timeout,
    DROP COLUMN max_attempts,
    DROP COLUMN next_run_at;
