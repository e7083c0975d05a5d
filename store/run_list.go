package store

import (
	"context"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// RunsLastStarted returns, for each datasource that has one, its run with
// the latest slot that has started, in one query.
func (s *Store) RunsLastStarted(ctx context.Context, dataSourceIDs []uuid.UUID) (map[uuid.UUID]*Run, error) {
	return runsLastStarted(ctx, s.pool, dataSourceIDs)
}

func runsLastStarted(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, dataSourceIDs []uuid.UUID) (map[uuid.UUID]*Run, error) {
	rows, err := q.Query(ctx, `
		SELECT DISTINCT ON (datasource_id) `+runColumns+` FROM runs
		WHERE datasource_id = ANY($1) AND started_at IS NOT NULL
		ORDER BY datasource_id, scheduled_for DESC`, dataSourceIDs)
	if err != nil {
		return nil, err
	}
	runs, err := collectRuns(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*Run, len(runs))
	for _, r := range runs {
		out[r.DataSourceID] = r
	}
	return out, nil
}

// RunListParams select a page of a datasource's runs, newest slot first.
type RunListParams struct {
	DataSourceID uuid.UUID
	First        int
	After        string
	// Statuses, when not empty, keeps runs with one of these statuses.
	Statuses []string
	// SkipTotal leaves TotalCount 0, uncounted: the caller does not show it.
	SkipTotal bool
	// Columns, when not nil, reads only these columns (as named in
	// runColumns) and id, datasource_id and scheduled_for: the other fields
	// of the page's runs are left zero.
	Columns []string
}

// RunPage is one page of RunList.
type RunPage struct {
	Runs        []*Run
	Cursors     []string
	HasNextPage bool
	TotalCount  int
}

// RunList returns a page of a datasource's runs, newest slot first.
func (s *Store) RunList(ctx context.Context, params *RunListParams) (*RunPage, error) {
	var afterSlot *time.Time
	if params.After != "" {
		us, err := decodeInt64Cursor(cursorSlot, params.After)
		if err != nil {
			return nil, err
		}
		t := time.UnixMicro(us)
		afterSlot = &t
	}
	var statuses []string
	if len(params.Statuses) > 0 {
		statuses = params.Statuses
	}
	cols, err := runProjection(params.Columns)
	if err != nil {
		return nil, err
	}
	const filter = `datasource_id = $1 AND ($2::text[] IS NULL OR status = ANY($2))`
	page, err := readPage(ctx, s.pool, params.First,
		countUnless(params.SkipTotal, `SELECT count(*) FROM runs WHERE `+filter), []any{params.DataSourceID, statuses},
		`SELECT `+cols.sql+` FROM runs WHERE `+filter+`
			AND ($3::timestamptz IS NULL OR scheduled_for < $3)
			ORDER BY scheduled_for DESC LIMIT $4`, []any{params.DataSourceID, statuses, afterSlot},
		func(row pgx.CollectableRow) (*Run, error) { return scanRunWith(cols, row) },
		func(r *Run) string {
			return encodeCursor(cursorSlot, strconv.FormatInt(r.ScheduledFor.UnixMicro(), 10))
		})
	if err != nil {
		return nil, err
	}
	return &RunPage{Runs: page.items, Cursors: page.cursors, HasNextPage: page.hasNext, TotalCount: page.total}, nil
}

// RetentionParams bound the history kept.
type RetentionParams struct {
	// RunsOlderThan: finished runs planned before it are deleted.
	RunsOlderThan time.Time
	// RunsPerDataSource: finished runs beyond the newest this many of a
	// datasource are deleted.
	RunsPerDataSource int
	// EventsOlderThan: events before it are deleted.
	EventsOlderThan time.Time
	// Batch is how many rows one statement deletes, so that no statement
	// holds locks for long.
	Batch int
}

// RetentionResult counts what PruneHistory deleted.
type RetentionResult struct {
	Runs   int64
	Events int64
}

// PruneHistory deletes old runs and events in batches until none is left
// to delete or ctx ends. Unfinished runs are never deleted.
func (s *Store) PruneHistory(ctx context.Context, params *RetentionParams) (*RetentionResult, error) {
	res := &RetentionResult{}
	batches := []struct {
		count *int64
		sql   string
		args  []any
	}{
		{&res.Runs, `DELETE FROM runs WHERE id IN (
			SELECT id FROM runs WHERE created_at < $1 AND status IN ('SUCCEEDED', 'FAILED', 'SKIPPED', 'MISSED', 'CANCELLED')
			LIMIT $2)`, []any{params.RunsOlderThan, params.Batch}},
		{&res.Runs, `DELETE FROM runs WHERE id IN (
			SELECT id FROM (
				SELECT id, row_number() OVER (PARTITION BY datasource_id ORDER BY scheduled_for DESC) AS n
				FROM runs WHERE status IN ('SUCCEEDED', 'FAILED', 'SKIPPED', 'MISSED', 'CANCELLED')
			) ranked WHERE n > $1 LIMIT $2)`, []any{params.RunsPerDataSource, params.Batch}},
		{&res.Events, `DELETE FROM events WHERE (tx_id, id) IN (SELECT tx_id, id FROM events WHERE occurred_at < $1 ORDER BY tx_id, id LIMIT $2)`,
			[]any{params.EventsOlderThan, params.Batch}},
	}
	for _, b := range batches {
		for {
			tag, err := s.pool.Exec(ctx, b.sql, b.args...)
			if err != nil {
				return res, err
			}
			*b.count += tag.RowsAffected()
			if tag.RowsAffected() < int64(params.Batch) {
				break
			}
		}
	}
	return res, nil
}
