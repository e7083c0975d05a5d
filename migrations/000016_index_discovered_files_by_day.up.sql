-- DataSource.filesPerDay reads one datasource's files over a range of
-- discovered_at; without this index it reads every file the datasource ever
-- had, or the whole table. CONCURRENTLY keeps discovery writing while the
-- index builds; it needs the statement to be the file's only one
-- (golang-migrate then runs it outside a transaction). Should the build
-- fail, it leaves an invalid index: DROP INDEX it, `ezplatform migrate
-- force 15`, and migrate up again.
CREATE INDEX CONCURRENTLY discovered_files_datasource_discovered_at_idx
    ON discovered_files (datasource_id, discovered_at);
