-- Events are a log: they outlive what they describe (runs are pruned sooner,
-- and a datasource's events stay after it is gone), so events.datasource_id
-- is no longer a foreign key, like events.run_id. The check cost every event
-- row a lookup and a FOR KEY SHARE lock on its datasource, which concurrent
-- writers of the same datasource's events (a run's start, its finish and the
-- planner) turned into multixacts: most of an event's cost at 1,000 runs/s
-- (docs/BENCHMARKS.md).
ALTER TABLE events DROP CONSTRAINT events_datasource_id_fkey;

COMMENT ON COLUMN events.datasource_id IS 'The datasource concerned, if any (not a foreign key: events are a log that outlives what it describes).';
