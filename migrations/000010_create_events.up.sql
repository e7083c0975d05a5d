-- Events: the durable, ordered record of every change. Subscriptions replay
-- from here, and every event is committed together with a NOTIFY.

CREATE TABLE events (
    id            bigserial   PRIMARY KEY,
    tx_id         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    kind          text        NOT NULL,
    datasource_id uuid        REFERENCES datasources (id),
    payload       jsonb       NOT NULL DEFAULT '{}',

    CONSTRAINT events_kind_format CHECK (kind ~ '^[A-Z][A-Z_]{0,63}$')
);

CREATE INDEX events_datasource_id_idx ON events (datasource_id, id);
CREATE INDEX events_occurred_at_idx ON events (occurred_at);

COMMENT ON TABLE events IS 'Every change, in order: the durable source that subscriptions replay from. Each writing transaction also sends a NOTIFY.';
COMMENT ON COLUMN events.id IS 'Position in the log. Assigned at insert, not at commit: a reader must not assume that rows appear in id order (see tx_id).';
COMMENT ON COLUMN events.tx_id IS 'Writing transaction (pg_current_xact_id()). Lets readers wait for transactions still in flight, so that a late commit with a lower id is not skipped.';
COMMENT ON COLUMN events.occurred_at IS 'Transaction time of the change.';
COMMENT ON COLUMN events.kind IS 'What happened, e.g. DATASOURCE_CREATED, DATASOURCE_UPDATED, DATASOURCE_DELETED.';
COMMENT ON COLUMN events.datasource_id IS 'The datasource concerned, if any.';
COMMENT ON COLUMN events.payload IS 'Details of the change; for datasource events, the datasource as it was after the change.';
