-- River schema version 3 ("river_job_tags_non_null"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/003_river_job_tags_non_null.up.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.

ALTER TABLE river_job ALTER COLUMN tags SET DEFAULT '{}';
UPDATE river_job SET tags = '{}' WHERE tags IS NULL;
ALTER TABLE river_job ALTER COLUMN tags SET NOT NULL;


-- Record the version the way River's own migrator does, so that River's tooling
-- (rivermigrate, `river migrate-get`) agrees with golang-migrate.
INSERT INTO river_migration (version) VALUES (3);
