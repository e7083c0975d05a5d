package store

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// A list that shows a few fields of many rows may read only their columns:
// a page of 50 datasources with six fields reads 6 columns instead of 25,
// and a page of runs leaves out the JSON columns it does not show.
// Unselected fields keep their zero values; a caller must not read them.

// column is one selectable column of a table: its name, its SQL if not
// the name alone, and where a row being scanned keeps its value.
type column[R any] struct {
	name string
	sql  string
	dest func(*R) any
}

func (c *column[R]) expr() string { return cmp.Or(c.sql, c.name) }

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
		sqls[i] = c.expr()
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
	{name: "id", dest: func(r *dataSourceRow) any { return &r.ds.ID }},
	{name: "name", dest: func(r *dataSourceRow) any { return &r.ds.Name }},
	{name: "description", dest: func(r *dataSourceRow) any { return &r.ds.Description }},
	{name: "supplier_name", dest: func(r *dataSourceRow) any { return &r.ds.SupplierName }},
	{name: "category", dest: func(r *dataSourceRow) any { return &r.ds.Category }},
	{name: "path", dest: func(r *dataSourceRow) any { return &r.ds.Path }},
	{name: "file_pattern", dest: func(r *dataSourceRow) any { return &r.ds.FilePattern }},
	{name: "enabled", dest: func(r *dataSourceRow) any { return &r.ds.Enabled }},
	{name: "schedule_cron", dest: func(r *dataSourceRow) any { return &r.cron }},
	{name: "schedule_interval", dest: func(r *dataSourceRow) any { return &r.interval }},
	{name: "schedule_anchor", dest: func(r *dataSourceRow) any { return &r.ds.Schedule.Anchor }},
	{name: "schedule_timezone", dest: func(r *dataSourceRow) any { return &r.ds.Schedule.Timezone }},
	{name: "misfire_policy", dest: func(r *dataSourceRow) any { return &r.ds.Schedule.MisfirePolicy }},
	{name: "overlap_policy", dest: func(r *dataSourceRow) any { return &r.ds.Schedule.OverlapPolicy }},
	{name: "paused", dest: func(r *dataSourceRow) any { return &r.ds.Schedule.Paused }},
	{name: "max_attempts", dest: func(r *dataSourceRow) any { return &r.ds.MaxAttempts }},
	{name: "run_timeout", dest: func(r *dataSourceRow) any { return &r.runTimeout }},
	{name: "min_file_age", dest: func(r *dataSourceRow) any { return &r.fileAge }},
	{name: "hash_files", dest: func(r *dataSourceRow) any { return &r.ds.HashFiles }},
	{name: "max_files_per_run", dest: func(r *dataSourceRow) any { return &r.ds.MaxFilesPerRun }},
	{name: "next_run_at", dest: func(r *dataSourceRow) any { return &r.nextRunAt }},
	{name: "version", dest: func(r *dataSourceRow) any { return &r.ds.Version }},
	{name: "created_at", dest: func(r *dataSourceRow) any { return &r.ds.CreatedAt }},
	{name: "updated_at", dest: func(r *dataSourceRow) any { return &r.ds.UpdatedAt }},
	{name: "deleted_at", dest: func(r *dataSourceRow) any { return &r.ds.DeletedAt }},
}

// runTable is runColumns, column by column (TestRunTableIsTheColumns).
var runTable = []column[Run]{
	{name: "id", dest: func(r *Run) any { return &r.ID }},
	{name: "datasource_id", dest: func(r *Run) any { return &r.DataSourceID }},
	{name: "scheduled_for", dest: func(r *Run) any { return &r.ScheduledFor }},
	{name: "covers_until", dest: func(r *Run) any { return &r.CoversUntil }},
	{name: "slot_count", dest: func(r *Run) any { return &r.SlotCount }},
	{name: "trigger", dest: func(r *Run) any { return &r.Trigger }},
	{name: "status", dest: func(r *Run) any { return &r.Status }},
	{name: "attempt", dest: func(r *Run) any { return &r.Attempt }},
	{name: "max_attempts", dest: func(r *Run) any { return &r.MaxAttempts }},
	{name: "replica_id", sql: "coalesce(replica_id, '')", dest: func(r *Run) any { return &r.ReplicaID }},
	{name: "river_job_id", dest: func(r *Run) any { return &r.RiverJobID }},
	{name: "epoch", dest: func(r *Run) any { return &r.Epoch }},
	{name: "started_at", dest: func(r *Run) any { return &r.StartedAt }},
	{name: "finished_at", dest: func(r *Run) any { return &r.FinishedAt }},
	{name: "error", sql: "coalesce(error, '')", dest: func(r *Run) any { return &r.Error }},
	{name: "attempt_errors", dest: func(r *Run) any { return &r.AttemptErrors }},
	{name: "files_found", dest: func(r *Run) any { return &r.FilesFound }},
	{name: "bytes_found", dest: func(r *Run) any { return &r.BytesFound }},
	{name: "records_found", dest: func(r *Run) any { return &r.RecordsFound }},
	{name: "skipped", dest: func(r *Run) any { return &r.Skipped }},
	{name: "skipped_count", dest: func(r *Run) any { return &r.SkippedCount }},
	{name: "created_at", dest: func(r *Run) any { return &r.CreatedAt }},
	{name: "updated_at", dest: func(r *Run) any { return &r.UpdatedAt }},
}
