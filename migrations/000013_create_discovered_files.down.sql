DROP VIEW ops.discovered_files;
DROP TABLE file_looks;
DROP TABLE discovered_files;
ALTER TABLE runs DROP COLUMN records_found, DROP COLUMN bytes_found;
ALTER TABLE datasources DROP COLUMN scan_resume_after, DROP COLUMN max_files_per_run, DROP COLUMN hash_files, DROP COLUMN min_file_age;
