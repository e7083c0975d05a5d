-- River schema version 3 ("river_job_tags_non_null"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/003_river_job_tags_non_null.down.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.
-- Forget the version first, as River's own migrator does.
DELETE FROM river_migration WHERE version = 3;

ALTER TABLE river_job
    ALTER COLUMN tags DROP NOT NULL,
    ALTER COLUMN tags DROP DEFAULT;
