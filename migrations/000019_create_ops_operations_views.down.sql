DROP VIEW ops.discovery_daily;
DROP VIEW ops.stuck_runs;
DROP VIEW ops.failures;
DROP VIEW ops.schedule_status;
