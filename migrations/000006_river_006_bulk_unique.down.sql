-- River schema version 6 ("bulk_unique"), copied from
-- github.com/riverqueue/river/riverdriver/riverpgxv5@v0.51.2 migration/main/006_bulk_unique.down.sql
-- with River's schema template marker removed. Do not edit: River owns this SQL.
-- Forget the version first, as River's own migrator does.
DELETE FROM river_migration WHERE line = 'main' AND version = 6;


--
-- Drop `river_job.unique_states` and its index.
--

DROP INDEX river_job_unique_idx;

ALTER TABLE river_job
    DROP COLUMN unique_states;

CREATE UNIQUE INDEX IF NOT EXISTS river_job_kind_unique_key_idx ON river_job (kind, unique_key) WHERE unique_key IS NOT NULL;

--
-- Drop `river_job_state_in_bitmask` function.
--
DROP FUNCTION river_job_state_in_bitmask;
