package store

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// A list that shows a few fields of many rows may read only their columns:
// a page of 50 datasources with six fields reads 6 columns instead of 25,
// and a page of runs leaves out the JSON columns it does not show.
// Unselected fields keep their zero values; a caller must not read them.

// column is one selectable column of a table: its SQL, and where a row
// being scanned keeps its value.
type column[R any] struct {
	name string
	sql  string
	dest func(*R) any
}

// projection is the SQL and the scanner of a chosen set of columns.
type projection[R any] struct {
	sql  string
	cols []*column[R]
}

// project chooses columns of table by name, after the always columns.
func project[R any](table []column[R], always, names []string) (*projection[R], error) {
	p := &projection[R]{}
	chosen := map[string]bool{}
	add := func(name string) error {
		if chosen[name] {
			return nil
		}
		for i := range table {
			if table[i].name == name {
				chosen[name] = true
				p.cols = append(p.cols, &table[i])
				return nil
			}
		}
		return fmt.Errorf("store: no column %q to select", name)
	}
	for _, n := range append(always, names...) {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	sqls := make([]string, len(p.cols))
	for i, c := range p.cols {
		sqls[i] = c.sql
	}
	p.sql = strings.Join(sqls, ", ")
	return p, nil
}

// scan reads one row of the projection into r.
func (p *projection[R]) scan(row pgx.Row, r *R) error {
	var buf [32]any
	dest := buf[:0]
	for _, c := range p.cols {
		dest = append(dest, c.dest(r))
	}
	return row.Scan(dest...)
}

// allDataSourceColumns and allRunColumns read every column, in the order of
// dataSourceColumns and runColumns.
var (
	allDataSourceColumns = mustProject(dataSourceTable)
	allRunColumns        = mustProject(runTable)
)

func mustProject[R any](table []column[R]) *projection[R] {
	names := make([]string, len(table))
	for i, c := range table {
		names[i] = c.name
	}
	p, err := project(table, nil, names)
	if err != nil {
		panic(err)
	}
	return p
}

// dataSourceProjection reads columns and id and name, or every column if
// columns is nil.
func dataSourceProjection(columns []string) (*projection[dataSourceRow], error) {
	if columns == nil {
		return allDataSourceColumns, nil
	}
	return project(dataSourceTable, []string{"id", "name"}, columns)
}

// scanDataSourceWith scans one row of p.
func scanDataSourceWith(p *projection[dataSourceRow], row pgx.Row) (*DataSource, error) {
	var r dataSourceRow
	if err := p.scan(row, &r); err != nil {
		return nil, err
	}
	return r.finish(), nil
}

// runProjection reads columns and id, datasource_id and scheduled_for, or
// every column if columns is nil.
func runProjection(columns []string) (*projection[Run], error) {
	if columns == nil {
		return allRunColumns, nil
	}
	return project(runTable, []string{"id", "datasource_id", "scheduled_for"}, columns)
}

// scanRunWith scans one row of p.
func scanRunWith(p *projection[Run], row pgx.Row) (*Run, error) {
	var r Run
	if err := p.scan(row, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// dataSourceRow is a datasource being scanned, with the columns that need
// converting after.
type dataSourceRow struct {
	ds                            DataSource
	cron                          *string
	interval, runTimeout, fileAge pgtype.Interval
	nextRunAt                     pgtype.Timestamptz
}

func (r *dataSourceRow) finish() *DataSource {
	if r.cron != nil {
		r.ds.Schedule.Cron = *r.cron
	}
	if r.interval.Valid {
		r.ds.Schedule.Interval = intervalDuration(r.interval)
	}
	r.ds.RunTimeout = intervalDuration(r.runTimeout)
	r.ds.MinFileAge = intervalDuration(r.fileAge)
	r.ds.NextRunAt = timeFromTimestamptz(r.nextRunAt)
	return &r.ds
}

// dataSourceTable is dataSourceColumns, column by column
// (TestDataSourceTableIsTheColumns).
var dataSourceTable = []column[dataSourceRow]{
	{"id", "id", func(r *dataSourceRow) any { return &r.ds.ID }},
	{"name", "name", func(r *dataSourceRow) any { return &r.ds.Name }},
	{"description", "description", func(r *dataSourceRow) any { return &r.ds.Description }},
	{"supplier_name", "supplier_name", func(r *dataSourceRow) any { return &r.ds.SupplierName }},
	{"category", "category", func(r *dataSourceRow) any { return &r.ds.Category }},
	{"path", "path", func(r *dataSourceRow) any { return &r.ds.Path }},
	{"file_pattern", "file_pattern", func(r *dataSourceRow) any { return &r.ds.FilePattern }},
	{"enabled", "enabled", func(r *dataSourceRow) any { return &r.ds.Enabled }},
	{"schedule_cron", "schedule_cron", func(r *dataSourceRow) any { return &r.cron }},
	{"schedule_interval", "schedule_interval", func(r *dataSourceRow) any { return &r.interval }},
	{"schedule_anchor", "schedule_anchor", func(r *dataSourceRow) any { return &r.ds.Schedule.Anchor }},
	{"schedule_timezone", "schedule_timezone", func(r *dataSourceRow) any { return &r.ds.Schedule.Timezone }},
	{"misfire_policy", "misfire_policy", func(r *dataSourceRow) any { return &r.ds.Schedule.MisfirePolicy }},
	{"overlap_policy", "overlap_policy", func(r *dataSourceRow) any { return &r.ds.Schedule.OverlapPolicy }},
	{"paused", "paused", func(r *dataSourceRow) any { return &r.ds.Schedule.Paused }},
	{"max_attempts", "max_attempts", func(r *dataSourceRow) any { return &r.ds.MaxAttempts }},
	{"run_timeout", "run_timeout", func(r *dataSourceRow) any { return &r.runTimeout }},
	{"min_file_age", "min_file_age", func(r *dataSourceRow) any { return &r.fileAge }},
	{"hash_files", "hash_files", func(r *dataSourceRow) any { return &r.ds.HashFiles }},
	{"max_files_per_run", "max_files_per_run", func(r *dataSourceRow) any { return &r.ds.MaxFilesPerRun }},
	{"next_run_at", "next_run_at", func(r *dataSourceRow) any { return &r.nextRunAt }},
	{"version", "version", func(r *dataSourceRow) any { return &r.ds.Version }},
	{"created_at", "created_at", func(r *dataSourceRow) any { return &r.ds.CreatedAt }},
	{"updated_at", "updated_at", func(r *dataSourceRow) any { return &r.ds.UpdatedAt }},
	{"deleted_at", "deleted_at", func(r *dataSourceRow) any { return &r.ds.DeletedAt }},
}

// runTable is runColumns, column by column (TestRunTableIsTheColumns).
var runTable = []column[Run]{
	{"id", "id", func(r *Run) any { return &r.ID }},
	{"datasource_id", "datasource_id", func(r *Run) any { return &r.DataSourceID }},
	{"scheduled_for", "scheduled_for", func(r *Run) any { return &r.ScheduledFor }},
	{"covers_until", "covers_until", func(r *Run) any { return &r.CoversUntil }},
	{"slot_count", "slot_count", func(r *Run) any { return &r.SlotCount }},
	{"trigger", "trigger", func(r *Run) any { return &r.Trigger }},
	{"status", "status", func(r *Run) any { return &r.Status }},
	{"attempt", "attempt", func(r *Run) any { return &r.Attempt }},
	{"max_attempts", "max_attempts", func(r *Run) any { return &r.MaxAttempts }},
	{"replica_id", "coalesce(replica_id, '')", func(r *Run) any { return &r.ReplicaID }},
	{"river_job_id", "river_job_id", func(r *Run) any { return &r.RiverJobID }},
	{"epoch", "epoch", func(r *Run) any { return &r.Epoch }},
	{"started_at", "started_at", func(r *Run) any { return &r.StartedAt }},
	{"finished_at", "finished_at", func(r *Run) any { return &r.FinishedAt }},
	{"error", "coalesce(error, '')", func(r *Run) any { return &r.Error }},
	{"attempt_errors", "attempt_errors", func(r *Run) any { return &r.AttemptErrors }},
	{"files_found", "files_found", func(r *Run) any { return &r.FilesFound }},
	{"bytes_found", "bytes_found", func(r *Run) any { return &r.BytesFound }},
	{"records_found", "records_found", func(r *Run) any { return &r.RecordsFound }},
	{"skipped", "skipped", func(r *Run) any { return &r.Skipped }},
	{"skipped_count", "skipped_count", func(r *Run) any { return &r.SkippedCount }},
	{"created_at", "created_at", func(r *Run) any { return &r.CreatedAt }},
	{"updated_at", "updated_at", func(r *Run) any { return &r.UpdatedAt }},
}
