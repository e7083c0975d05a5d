DROP INDEX events_occurred_at_brin;
CREATE INDEX events_occurred_at_idx ON events (occurred_at);

DROP INDEX runs_created_at_brin;
CREATE INDEX runs_created_at_idx ON runs (created_at);
