ALTER TABLE events ADD CONSTRAINT events_datasource_id_fkey FOREIGN KEY (datasource_id) REFERENCES datasources (id) NOT VALID;

COMMENT ON COLUMN events.datasource_id IS 'The datasource concerned, if any.';
