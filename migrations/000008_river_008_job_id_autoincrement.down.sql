-- River schema version 8 ("job_id_autoincrement"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/008_job_id_autoincrement.down.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.
-- Forget the version first, as River's own migrator does.
DELETE FROM river_migration WHERE line = 'main' AND version = 8;

-- No-op. Postgres sequences already prevent automatically generated job IDs
-- from being reused.
SELECT 1;
