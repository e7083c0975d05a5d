-- Retention finds old events and runs by age, and both tables are written in
-- time order: a BRIN index serves those range scans at a fraction of a
-- B-tree's cost, which every event and every run paid at insert
-- (docs/BENCHMARKS.md).
DROP INDEX events_occurred_at_idx;
CREATE INDEX events_occurred_at_brin ON events USING brin (occurred_at) WITH (autosummarize = on);

DROP INDEX runs_created_at_idx;
CREATE INDEX runs_created_at_brin ON runs USING brin (created_at) WITH (autosummarize = on);
