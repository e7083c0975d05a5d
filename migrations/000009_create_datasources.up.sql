-- Datasources: what to watch (a directory and a glob) and when (a schedule).
-- A deleted datasource keeps its row (deleted_at is set) so that its run and
-- event history stays readable; names are unique among live datasources only.

CREATE TABLE datasources (
    id                uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name              text        NOT NULL,
    description       text        NOT NULL DEFAULT '',
    supplier_name     text        NOT NULL DEFAULT '',
    category          text        NOT NULL DEFAULT '',
    path              text        NOT NULL,
    file_pattern      text        NOT NULL,
    enabled           boolean     NOT NULL DEFAULT true,
    schedule_cron     text,
    schedule_interval interval,
    schedule_anchor   timestamptz NOT NULL DEFAULT '1970-01-01 00:00:00+00',
    schedule_timezone text        NOT NULL DEFAULT 'UTC',
    misfire_policy    text        NOT NULL DEFAULT 'FIRE_ONCE',
    overlap_policy    text        NOT NULL DEFAULT 'SKIP',
    paused            boolean     NOT NULL DEFAULT false,
    version           integer     NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz,

    -- The API validates everything first; these constraints are the last line of
    -- defence for writes made by hand in psql.
    CONSTRAINT datasources_name_length CHECK (char_length(btrim(name)) BETWEEN 1 AND 200),
    CONSTRAINT datasources_description_length CHECK (char_length(description) <= 4000),
    CONSTRAINT datasources_supplier_name_length CHECK (char_length(supplier_name) <= 200),
    CONSTRAINT datasources_category_length CHECK (char_length(category) <= 100),
    CONSTRAINT datasources_path_absolute CHECK (left(path, 1) = '/' AND char_length(path) <= 4096),
    CONSTRAINT datasources_file_pattern_length CHECK (char_length(file_pattern) BETWEEN 1 AND 1024),
    CONSTRAINT datasources_schedule_one_kind CHECK ((schedule_cron IS NULL) <> (schedule_interval IS NULL)),
    CONSTRAINT datasources_schedule_cron_length CHECK (char_length(schedule_cron) BETWEEN 1 AND 256),
    CONSTRAINT datasources_schedule_interval_min CHECK (schedule_interval >= interval '1 second'),
    CONSTRAINT datasources_misfire_policy CHECK (misfire_policy IN ('FIRE_ONCE', 'SKIP', 'FIRE_ALL')),
    CONSTRAINT datasources_overlap_policy CHECK (overlap_policy IN ('SKIP', 'ALLOW', 'BUFFER_ONE')),
    CONSTRAINT datasources_version_positive CHECK (version >= 1)
);

-- Names are unique among live datasources, ignoring case: "Sales" and "sales"
-- would confuse operators.
CREATE UNIQUE INDEX datasources_name_live_key ON datasources (lower(name)) WHERE deleted_at IS NULL;

-- Keyset pagination of the dataSources query walks names in byte order.
CREATE INDEX datasources_name_live_idx ON datasources (name COLLATE "C") WHERE deleted_at IS NULL;

COMMENT ON TABLE datasources IS 'Directories to watch for new files, with the file pattern and the schedule of discovery runs. Rows with deleted_at set were deleted through the API and are kept for history.';
COMMENT ON COLUMN datasources.id IS 'Stable identifier; the GraphQL ID.';
COMMENT ON COLUMN datasources.name IS 'Human name, unique (case-insensitively) among live datasources.';
COMMENT ON COLUMN datasources.description IS 'Free text for operators.';
COMMENT ON COLUMN datasources.supplier_name IS 'Who delivers the files.';
COMMENT ON COLUMN datasources.category IS 'Free-form grouping, e.g. "transactions".';
COMMENT ON COLUMN datasources.path IS 'Absolute directory to scan, as given. Must resolve (symlinks included) inside one of the data roots (EZ_DATA_ROOTS); checked on write and again at run time.';
COMMENT ON COLUMN datasources.file_pattern IS 'Glob matched against paths relative to path: *, ?, **, [a-z], {a,b}.';
COMMENT ON COLUMN datasources.enabled IS 'false: the datasource is kept but never scheduled.';
COMMENT ON COLUMN datasources.schedule_cron IS 'Cron expression: 6-7 fields have Quartz meaning (sec min hour dom month dow [year], 1=SUN), 5 fields Unix meaning (0=SUN), or a descriptor such as @hourly. NULL when schedule_interval is set.';
COMMENT ON COLUMN datasources.schedule_interval IS 'Fixed interval (at least 1 second) between slots, anchored at schedule_anchor: slot k is schedule_anchor + k * schedule_interval. NULL when schedule_cron is set.';
COMMENT ON COLUMN datasources.schedule_anchor IS 'Origin of interval slots, so that every leader computes the same slots. Unused for cron schedules.';
COMMENT ON COLUMN datasources.schedule_timezone IS 'IANA time zone in which the cron expression is read, e.g. Europe/Paris.';
COMMENT ON COLUMN datasources.misfire_policy IS 'What happens to slots missed during an outage: FIRE_ONCE (run the latest, record the rest as MISSED), SKIP (record all as MISSED), FIRE_ALL (run each, up to a cap).';
COMMENT ON COLUMN datasources.overlap_policy IS 'What happens when a slot comes due while the previous run is still running: SKIP (record SKIPPED), ALLOW (run concurrently), BUFFER_ONE (run once the previous finishes).';
COMMENT ON COLUMN datasources.paused IS 'true: the schedule is paused; no slots are planned until it is resumed.';
COMMENT ON COLUMN datasources.version IS 'Incremented by every change; clients pass it back as expectedVersion for optimistic concurrency.';
COMMENT ON COLUMN datasources.created_at IS 'When the datasource was created.';
COMMENT ON COLUMN datasources.updated_at IS 'When the datasource last changed.';
COMMENT ON COLUMN datasources.deleted_at IS 'When the datasource was deleted through the API; NULL for live datasources.';
