-- The scheduler: durable next slots, fenced leadership, and runs.

ALTER TABLE datasources
    ADD COLUMN next_run_at  timestamptz,
    ADD COLUMN max_attempts integer  NOT NULL DEFAULT 3,
    ADD COLUMN run_timeout  interval NOT NULL DEFAULT '10 minutes',
    ADD CONSTRAINT datasources_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 25),
    ADD CONSTRAINT datasources_run_timeout_range CHECK (run_timeout BETWEEN interval '1 second' AND interval '24 hours');

COMMENT ON COLUMN datasources.next_run_at IS 'The next slot the leader will plan, durable across failovers. NULL: to be computed by the leader (new, changed, paused or disabled schedule); infinity: the schedule never fires again.';
COMMENT ON COLUMN datasources.max_attempts IS 'Attempts per run before it is FAILED (1-25). Retries back off exponentially.';
COMMENT ON COLUMN datasources.run_timeout IS 'How long one attempt of a run may take before it is cancelled and counts as failed.';

-- The leader planner works on due rows in next_run_at order, and first on
-- rows whose next slot it has yet to compute.
CREATE INDEX datasources_due_idx ON datasources (next_run_at)
    WHERE deleted_at IS NULL AND enabled AND NOT paused;
CREATE INDEX datasources_unplanned_idx ON datasources (id)
    WHERE next_run_at IS NULL AND deleted_at IS NULL AND enabled AND NOT paused;

-- Fencing (I2): the one row holds the epoch (the etcd leader key's create
-- revision) of the current leader. Every planner transaction locks it and
-- aborts unless the epoch is its own.
CREATE TABLE scheduler_leader (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    epoch      bigint      NOT NULL,
    replica_id text        NOT NULL,
    address    text        NOT NULL,
    since      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO scheduler_leader (epoch, replica_id, address, since) VALUES (0, '', '', now());

COMMENT ON TABLE scheduler_leader IS 'The fencing token of the current scheduler leader (one row). A new leader records its epoch only if it is higher; a planner transaction whose epoch differs aborts.';
COMMENT ON COLUMN scheduler_leader.singleton IS 'Always true: the table has exactly one row.';
COMMENT ON COLUMN scheduler_leader.epoch IS 'Create revision of the leader''s etcd election key; strictly increases with each new leader.';
COMMENT ON COLUMN scheduler_leader.replica_id IS 'The leader replica.';
COMMENT ON COLUMN scheduler_leader.address IS 'HTTP address of the leader replica.';
COMMENT ON COLUMN scheduler_leader.since IS 'When the leader recorded its epoch.';

CREATE TABLE leadership_history (
    epoch      bigint      PRIMARY KEY,
    replica_id text        NOT NULL,
    address    text        NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    ended_at   timestamptz
);
COMMENT ON TABLE leadership_history IS 'Every scheduler leader, for operators: who led, from when to when.';
COMMENT ON COLUMN leadership_history.epoch IS 'The leader''s epoch (etcd create revision).';
COMMENT ON COLUMN leadership_history.replica_id IS 'The leader replica.';
COMMENT ON COLUMN leadership_history.address IS 'HTTP address of the leader replica.';
COMMENT ON COLUMN leadership_history.started_at IS 'When it recorded its epoch.';
COMMENT ON COLUMN leadership_history.ended_at IS 'When it resigned or was superseded; NULL while leading, or if it crashed and no successor has taken over yet.';

CREATE TABLE runs (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    datasource_id uuid        NOT NULL REFERENCES datasources (id),
    scheduled_for timestamptz NOT NULL,
    covers_until  timestamptz,
    slot_count    integer     NOT NULL DEFAULT 1,
    trigger       text        NOT NULL DEFAULT 'SCHEDULE',
    status        text        NOT NULL,
    attempt       integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL DEFAULT 1,
    replica_id    text,
    river_job_id  bigint,
    epoch         bigint,
    started_at    timestamptz,
    finished_at   timestamptz,
    error         text,
    attempt_errors jsonb      NOT NULL DEFAULT '[]',
    files_found   integer     NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT runs_status CHECK (status IN ('SCHEDULED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'SKIPPED', 'MISSED', 'CANCELLED')),
    CONSTRAINT runs_trigger CHECK (trigger IN ('SCHEDULE', 'MANUAL')),
    CONSTRAINT runs_covers_range CHECK ((covers_until IS NULL AND slot_count = 1) OR (status = 'MISSED' AND covers_until >= scheduled_for AND slot_count >= 1)),
    -- No upper bound: River counts a snoozed attempt (BUFFER_ONE waits).
    CONSTRAINT runs_attempt_positive CHECK (attempt >= 0)
);

-- I1: one run per (datasource, slot), whatever the timing.
CREATE UNIQUE INDEX runs_datasource_slot_key ON runs (datasource_id, scheduled_for);
-- Overlap checks look for a datasource's unfinished runs.
CREATE INDEX runs_active_idx ON runs (datasource_id) WHERE status IN ('SCHEDULED', 'RUNNING', 'RETRYING');
-- Retention prunes by age.
CREATE INDEX runs_created_at_idx ON runs (created_at);

COMMENT ON TABLE runs IS 'One row per slot of a datasource''s schedule (I3): a run, or a slot that was SKIPPED, MISSED or CANCELLED. A MISSED row may cover a contiguous range of slots (scheduled_for .. covers_until, slot_count of them).';
COMMENT ON COLUMN runs.id IS 'Stable identifier; the GraphQL Run ID.';
COMMENT ON COLUMN runs.datasource_id IS 'The datasource the run belongs to.';
COMMENT ON COLUMN runs.scheduled_for IS 'The slot: when the schedule said to run. Unique per datasource.';
COMMENT ON COLUMN runs.covers_until IS 'For a MISSED row covering several slots: the last slot covered. NULL for a single slot.';
COMMENT ON COLUMN runs.slot_count IS 'How many slots the row accounts for (more than 1 only for MISSED ranges).';
COMMENT ON COLUMN runs.trigger IS 'SCHEDULE: planned by the leader; MANUAL: triggerRun.';
COMMENT ON COLUMN runs.status IS 'SCHEDULED, RUNNING, RETRYING, SUCCEEDED, FAILED, SKIPPED (overlap policy), MISSED (misfire policy) or CANCELLED (datasource deleted).';
COMMENT ON COLUMN runs.attempt IS 'The current or last attempt, from 1; 0 before the first.';
COMMENT ON COLUMN runs.max_attempts IS 'Attempts allowed, copied from the datasource when planned.';
COMMENT ON COLUMN runs.replica_id IS 'The replica that ran the last attempt.';
COMMENT ON COLUMN runs.river_job_id IS 'The River job (river_job.id) that works the run.';
COMMENT ON COLUMN runs.epoch IS 'Epoch of the leader that planned the run (NULL for manual runs).';
COMMENT ON COLUMN runs.started_at IS 'When the first attempt started.';
COMMENT ON COLUMN runs.finished_at IS 'When the run reached a final status.';
COMMENT ON COLUMN runs.error IS 'The last attempt''s error, if any.';
COMMENT ON COLUMN runs.attempt_errors IS 'Every failed attempt: [{"attempt", "at", "error"}].';
COMMENT ON COLUMN runs.files_found IS 'Files the run discovered.';
COMMENT ON COLUMN runs.created_at IS 'When the row was planned.';
COMMENT ON COLUMN runs.updated_at IS 'When the row last changed.';

ALTER TABLE events ADD COLUMN run_id bigint;
COMMENT ON COLUMN events.run_id IS 'The run concerned, if any (not a foreign key: runs are pruned sooner than events).';

CREATE VIEW ops.runs AS
SELECT r.id, d.name AS datasource, r.scheduled_for, r.covers_until, r.slot_count, r.status, r.trigger,
       r.attempt, r.max_attempts, r.replica_id, r.started_at, r.finished_at,
       r.finished_at - r.started_at AS duration, r.error, r.files_found
FROM runs r JOIN datasources d ON d.id = r.datasource_id
ORDER BY r.scheduled_for DESC;
COMMENT ON VIEW ops.runs IS 'Runs with their datasource name, newest slot first.';

CREATE VIEW ops.leadership AS
SELECT epoch, replica_id, address, started_at, ended_at, coalesce(ended_at, now()) - started_at AS held
FROM leadership_history ORDER BY epoch DESC;
COMMENT ON VIEW ops.leadership IS 'Scheduler leaders, newest first.';

CREATE VIEW ops.schedules AS
SELECT d.id, d.name, coalesce(d.schedule_cron, d.schedule_interval::text) AS schedule, d.schedule_timezone AS timezone,
       d.enabled, d.paused, d.next_run_at,
       (SELECT max(r.scheduled_for) FROM runs r WHERE r.datasource_id = d.id) AS last_slot
FROM datasources d WHERE d.deleted_at IS NULL ORDER BY d.next_run_at NULLS LAST;
COMMENT ON VIEW ops.schedules IS 'Live schedules with their next slot and last planned slot, soonest first.';
