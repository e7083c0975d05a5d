-- File discovery: what each run found, and what it saw but left for later.

ALTER TABLE datasources
    ADD COLUMN min_file_age      interval NOT NULL DEFAULT '2 seconds',
    ADD COLUMN hash_files        boolean  NOT NULL DEFAULT false,
    ADD COLUMN max_files_per_run integer  NOT NULL DEFAULT 100000,
    ADD COLUMN scan_resume_after bytea,
    ADD CONSTRAINT datasources_min_file_age_range CHECK (min_file_age BETWEEN interval '0' AND interval '1 day'),
    ADD CONSTRAINT datasources_max_files_per_run_range CHECK (max_files_per_run BETWEEN 1 AND 1000000);

COMMENT ON COLUMN datasources.min_file_age IS 'A file must have gone unmodified this long (and keep its size and mtime between two looks once it has changed) before it is discovered: files still being written are left for a later run.';
COMMENT ON COLUMN datasources.hash_files IS 'true: compute the sha256 of each discovered file.';
COMMENT ON COLUMN datasources.max_files_per_run IS 'Most candidate files one run handles; the rest continue in the next run.';
COMMENT ON COLUMN datasources.scan_resume_after IS 'Where the next run resumes its walk (a relative path) after a run that reached max_files_per_run; NULL: from the start.';

ALTER TABLE runs
    ADD COLUMN bytes_found   bigint NOT NULL DEFAULT 0,
    ADD COLUMN records_found bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN runs.bytes_found IS 'Total size of the files the run discovered.';
COMMENT ON COLUMN runs.records_found IS 'Total records (CSV, TSV, JSON, JSON Lines) in the files the run discovered.';

CREATE TABLE discovered_files (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    datasource_id uuid        NOT NULL REFERENCES datasources (id),
    run_id        bigint,
    path          text        NOT NULL,
    path_bytes    bytea       NOT NULL,
    size          bigint      NOT NULL,
    mtime         timestamptz NOT NULL,
    sha256        text,
    format        text        NOT NULL,
    record_count  bigint,
    parse_error   text,
    discovered_at timestamptz NOT NULL DEFAULT now(),

    CONSTRAINT discovered_files_format CHECK (format IN ('CSV', 'TSV', 'JSON', 'JSONL', 'OTHER')),
    CONSTRAINT discovered_files_size CHECK (size >= 0)
);

-- A version of a file is (datasource, path, size, mtime): discovered once.
-- Recording is idempotent under River retries and replayed runs.
CREATE UNIQUE INDEX discovered_files_version_key ON discovered_files (datasource_id, path_bytes, size, mtime);
CREATE INDEX discovered_files_datasource_idx ON discovered_files (datasource_id, id DESC);
CREATE INDEX discovered_files_run_idx ON discovered_files (run_id);

COMMENT ON TABLE discovered_files IS 'Every file version a run discovered: one row per (datasource, path, size, mtime).';
COMMENT ON COLUMN discovered_files.id IS 'Stable identifier, increasing in discovery order.';
COMMENT ON COLUMN discovered_files.datasource_id IS 'The datasource whose directory holds the file.';
COMMENT ON COLUMN discovered_files.run_id IS 'The run that discovered it (not a foreign key: runs are pruned sooner).';
COMMENT ON COLUMN discovered_files.path IS 'Path relative to the datasource directory, with / separators; bytes that are not UTF-8 shown as U+FFFD.';
COMMENT ON COLUMN discovered_files.path_bytes IS 'The exact path bytes (file names need not be UTF-8).';
COMMENT ON COLUMN discovered_files.size IS 'Size in bytes.';
COMMENT ON COLUMN discovered_files.mtime IS 'Modification time, to the microsecond.';
COMMENT ON COLUMN discovered_files.sha256 IS 'Hex sha256 of the content, when the datasource hashes files.';
COMMENT ON COLUMN discovered_files.format IS 'Detected format: CSV, TSV, JSON, JSONL or OTHER.';
COMMENT ON COLUMN discovered_files.record_count IS 'Records, for the text formats (a CSV header is not a record); NULL for OTHER.';
COMMENT ON COLUMN discovered_files.parse_error IS 'Why the file could not be fully parsed; the count is up to that point.';
COMMENT ON COLUMN discovered_files.discovered_at IS 'When the run recorded it.';

-- The previous look at files that were not stable yet, so that stability
-- survives restarts and failovers: any replica's next run compares with it.
CREATE TABLE file_looks (
    datasource_id uuid        NOT NULL REFERENCES datasources (id),
    path_bytes    bytea       NOT NULL,
    size          bigint      NOT NULL,
    mtime         timestamptz NOT NULL,
    looked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (datasource_id, path_bytes)
);
COMMENT ON TABLE file_looks IS 'Files seen but not yet stable (still being written), with the size and mtime of the last look.';
COMMENT ON COLUMN file_looks.datasource_id IS 'The datasource.';
COMMENT ON COLUMN file_looks.path_bytes IS 'Exact relative path bytes.';
COMMENT ON COLUMN file_looks.size IS 'Size at the last look.';
COMMENT ON COLUMN file_looks.mtime IS 'Modification time at the last look.';
COMMENT ON COLUMN file_looks.looked_at IS 'When the last look was.';

CREATE VIEW ops.discovered_files AS
SELECT f.id, d.name AS datasource, f.path, f.size, f.mtime, f.format, f.record_count, f.parse_error, f.run_id, f.discovered_at
FROM discovered_files f JOIN datasources d ON d.id = f.datasource_id
ORDER BY f.id DESC;
COMMENT ON VIEW ops.discovered_files IS 'Discovered files, newest first.';
