-- Events as schema version 16 wrote them: no topic column, and datasource
-- payloads built in SQL by to_jsonb of the row (intervals as text).
WITH d AS (
	INSERT INTO datasources (name, description, supplier_name, category, path, file_pattern, enabled,
		schedule_interval, schedule_anchor, schedule_timezone, misfire_policy, overlap_policy, paused,
		max_attempts, run_timeout, min_file_age, hash_files, max_files_per_run, next_run_at)
	VALUES ('old', '', '', '', '/data', '*', true, '1 day 00:01:30', now(), 'Europe/Paris', 'FIRE_ONCE', 'SKIP',
		false, 3, '01:10:00', '2.5 seconds', false, 10, 'infinity')
	RETURNING *
)
INSERT INTO events (kind, datasource_id, payload) SELECT 'DATASOURCE_CREATED', d.id, to_jsonb(d) FROM d;

INSERT INTO events (kind, payload) VALUES ('LEADER_ELECTED', '{"epoch": 1, "replicaId": "a"}'), ('TEST_OTHER', '{}');
