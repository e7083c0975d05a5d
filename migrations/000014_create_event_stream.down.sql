DROP VIEW ops.event_stream;
CREATE INDEX events_datasource_id_idx ON events (datasource_id, id);
DROP INDEX events_datasource_stream_idx;
DROP INDEX events_stream_idx;
COMMENT ON COLUMN events.tx_id IS 'Writing transaction (pg_current_xact_id()). Lets readers wait for transactions still in flight, so that a late commit with a lower id is not skipped.';
