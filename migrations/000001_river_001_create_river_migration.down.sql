-- River schema version 1 ("create_river_migration"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/001_create_river_migration.down.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.

DROP TABLE river_migration;
