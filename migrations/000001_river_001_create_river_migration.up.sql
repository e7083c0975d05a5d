-- River schema version 1 ("create_river_migration"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/001_create_river_migration.up.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.

CREATE TABLE river_migration(
  id bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT NOW(),
  version bigint NOT NULL,
  CONSTRAINT version CHECK (version >= 1)
);

CREATE UNIQUE INDEX ON river_migration USING btree(version);

-- Record the version the way River's own migrator does, so that River's tooling
-- (rivermigrate, `river migrate-get`) agrees with golang-migrate.
INSERT INTO river_migration (version) VALUES (1);
