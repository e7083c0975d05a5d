-- Views for operators in psql: the live state, without the columns that only
-- matter to the application.

CREATE SCHEMA ops;
COMMENT ON SCHEMA ops IS 'Read-only views for operators. Stable names: scripts may rely on them.';

CREATE VIEW ops.datasources AS
SELECT
    id,
    name,
    enabled,
    paused,
    coalesce(schedule_cron, schedule_interval::text) AS schedule,
    schedule_timezone AS timezone,
    path,
    file_pattern,
    version,
    updated_at
FROM datasources
WHERE deleted_at IS NULL
ORDER BY name COLLATE "C";
COMMENT ON VIEW ops.datasources IS 'Live datasources with their schedule in one column.';

CREATE VIEW ops.recent_events AS
SELECT e.id, e.occurred_at, e.kind, e.datasource_id, d.name AS datasource_name, e.payload
FROM events e
LEFT JOIN datasources d ON d.id = e.datasource_id
ORDER BY e.id DESC
LIMIT 100;
COMMENT ON VIEW ops.recent_events IS 'The last 100 events, newest first.';
