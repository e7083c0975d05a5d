-- River schema version 8 ("job_id_autoincrement"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/008_job_id_autoincrement.up.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.

-- No-op. Postgres sequences already prevent automatically generated job IDs
-- from being reused.
SELECT 1;


-- Record the version the way River's own migrator does, so that River's tooling
-- (rivermigrate, `river migrate-get`) agrees with golang-migrate.
INSERT INTO river_migration (line, version) VALUES ('main', 8);
