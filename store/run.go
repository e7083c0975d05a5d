package store

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Run statuses, as stored in runs.status and named by the GraphQL enum.
const (
	RunScheduled = "SCHEDULED"
	RunRunning   = "RUNNING"
	RunRetrying  = "RETRYING"
	RunSucceeded = "SUCCEEDED"
	RunFailed    = "FAILED"
	RunSkipped   = "SKIPPED"
	RunMissed    = "MISSED"
	RunCancelled = "CANCELLED"
)

// Run triggers.
const (
	TriggerSchedule = "SCHEDULE"
	TriggerManual   = "MANUAL"
)

// Run is one slot of a datasource's schedule: a run, or a slot that was
// skipped, missed or cancelled. A MISSED run may cover a range of slots.
type Run struct {
	// The JSON names are the column names: a run in an event payload reads
	// like the row in psql.
	ID            int64          `json:"id"`
	DataSourceID  uuid.UUID      `json:"datasource_id"`
	ScheduledFor  time.Time      `json:"scheduled_for"`
	CoversUntil   *time.Time     `json:"covers_until"`
	SlotCount     int            `json:"slot_count"`
	Trigger       string         `json:"trigger"`
	Status        string         `json:"status"`
	Attempt       int            `json:"attempt"`
	MaxAttempts   int            `json:"max_attempts"`
	ReplicaID     string         `json:"replica_id"`
	RiverJobID    *int64         `json:"river_job_id"`
	Epoch         *int64         `json:"epoch"`
	StartedAt     *time.Time     `json:"started_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
	Error         string         `json:"error"`
	AttemptErrors []AttemptError `json:"attempt_errors"`
	FilesFound    int            `json:"files_found"`
	BytesFound    int64          `json:"bytes_found"`
	RecordsFound  int64          `json:"records_found"`
	// Skipped lists entries the run skipped (at most MaxSkippedKept);
	// SkippedCount counts them all.
	Skipped      []SkippedEntry `json:"skipped"`
	SkippedCount int            `json:"skipped_count"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// SkippedEntry is an entry a discovery run skipped, and why: an unreadable
// file or directory, or a symlink or special file matching the pattern.
type SkippedEntry struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// MaxSkippedKept bounds the skipped entries a run keeps.
const MaxSkippedKept = 100

// AttemptError is the error of one failed attempt.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// Final reports whether the run has reached a status it never leaves.
func (r *Run) Final() bool {
	switch r.Status {
	case RunSucceeded, RunFailed, RunSkipped, RunMissed, RunCancelled:
		return true
	}
	return false
}

const runColumns = `id, datasource_id, scheduled_for, covers_until, slot_count, trigger, status, attempt, max_attempts,
	coalesce(replica_id, ''), river_job_id, epoch, started_at, finished_at, coalesce(error, ''), attempt_errors,
	files_found, bytes_found, records_found, skipped, skipped_count, created_at, updated_at`

func scanRun(row pgx.Row) (*Run, error) {
	var r Run
	err := row.Scan(&r.ID, &r.DataSourceID, &r.ScheduledFor, &r.CoversUntil, &r.SlotCount, &r.Trigger, &r.Status,
		&r.Attempt, &r.MaxAttempts, &r.ReplicaID, &r.RiverJobID, &r.Epoch, &r.StartedAt, &r.FinishedAt, &r.Error,
		&r.AttemptErrors, &r.FilesFound, &r.BytesFound, &r.RecordsFound, &r.Skipped, &r.SkippedCount, &r.CreatedAt, &r.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func collectRuns(rows pgx.Rows) ([]*Run, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Run, error) { return scanRun(row) })
}

// RunInsert is a row the planner (or triggerRun) inserts.
type RunInsert struct {
	DataSourceID uuid.UUID
	ScheduledFor time.Time
	// CoversUntil and SlotCount describe a MISSED range; zero for one slot.
	CoversUntil time.Time
	SlotCount   int
	Trigger     string
	Status      string
	MaxAttempts int
	// Epoch is the planning leader's; zero for manual runs.
	Epoch int64
	// NextRunAt, if set, is the datasource's next slot after this plan; the
	// run's event carries it, so that the plan needs no event of its own.
	NextRunAt time.Time
}

// RunsInsert inserts runs in one statement and records an event for each.
// A slot that already has a row is left alone (I1): the returned runs are
// the ones inserted, in no particular order.
func (t *Tx) RunsInsert(ctx context.Context, inserts []RunInsert) ([]*Run, error) {
	if len(inserts) == 0 {
		return nil, nil
	}
	n := len(inserts)
	var (
		dsIDs    = make([]uuid.UUID, n)
		slots    = make([]time.Time, n)
		covers   = make([]*time.Time, n)
		counts   = make([]int32, n)
		triggers = make([]string, n)
		statuses = make([]string, n)
		maxes    = make([]int32, n)
		epochs   = make([]*int64, n)
	)
	for i, in := range inserts {
		dsIDs[i], slots[i], triggers[i], statuses[i] = in.DataSourceID, in.ScheduledFor, in.Trigger, in.Status
		counts[i], maxes[i] = int32(max(in.SlotCount, 1)), int32(max(in.MaxAttempts, 1))
		if !in.CoversUntil.IsZero() {
			covers[i] = &in.CoversUntil
		}
		if in.Epoch != 0 {
			epochs[i] = &in.Epoch
		}
	}
	rows, err := t.tx.Query(ctx, `
		INSERT INTO runs (datasource_id, scheduled_for, covers_until, slot_count, trigger, status, max_attempts, epoch,
			finished_at)
		SELECT d, s, c, n, tr, st, m, e, CASE WHEN st IN ('SKIPPED', 'MISSED') THEN now() END
		FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::int[], $5::text[], $6::text[], $7::int[], $8::bigint[])
			AS u(d, s, c, n, tr, st, m, e)
		ON CONFLICT (datasource_id, scheduled_for) DO NOTHING
		RETURNING `+runColumns,
		dsIDs, slots, covers, counts, triggers, statuses, maxes, epochs)
	if err != nil {
		return nil, err
	}
	runs, err := collectRuns(rows)
	if err != nil {
		return nil, err
	}
	type slotKey struct {
		ds   uuid.UUID
		slot int64
	}
	next := map[slotKey]time.Time{}
	for _, in := range inserts {
		if !in.NextRunAt.IsZero() {
			next[slotKey{in.DataSourceID, in.ScheduledFor.UnixMicro()}] = in.NextRunAt
		}
	}
	for _, r := range runs {
		e := newRunEvent(r)
		if n, ok := next[slotKey{r.DataSourceID, r.ScheduledFor.UnixMicro()}]; ok {
			n = n.UTC()
			e.NextRunAt = &n
		}
		if err := t.recordEvent(runEventKind[r.Status], &r.DataSourceID, &r.ID, e); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// RunGetBySlot returns the run of a datasource's slot, or ErrNotFound.
func (t *Tx) RunGetBySlot(ctx context.Context, dataSourceID uuid.UUID, slot time.Time) (*Run, error) {
	r, err := scanRun(t.tx.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE datasource_id = $1 AND scheduled_for = $2`,
		dataSourceID, slot))
	return r, translate(err)
}

// RunStartParams mark a run's attempt as started.
type RunStartParams struct {
	RunID int64
	// JobID is the River job working the run, recorded for operators.
	JobID     int64
	Attempt   int
	ReplicaID string
}

// ErrRunFinal is returned when a run has already reached a final status
// (it was cancelled, or a previous attempt completed it).
var ErrRunFinal = errors.New("store: run already finished")

// ErrRunWaiting is returned by RunStart for a run of a BUFFER_ONE schedule
// while an earlier run of its datasource is still unfinished.
var ErrRunWaiting = errors.New("store: run waits for an earlier run")

// RunStartResult is the outcome of starting one run.
type RunStartResult struct {
	Run *Run
	// DataSource is the run's datasource (possibly deleted since).
	DataSource *DataSource
	// Err is ErrRunFinal, ErrRunWaiting, ErrNotFound or nil.
	Err error
}

// RunsStart marks runs RUNNING for an attempt, each with its RUN_STARTED
// event, in one transaction with one NOTIFY for all. The results are in the
// order of params. A run that is already final gets ErrRunFinal; one that
// must wait for an earlier run (BUFFER_ONE) gets ErrRunWaiting.
//
// Every run starts here, so starts are batched: a burst of jobs costs a
// few statements, not a transaction each.
func (s *Store) RunsStart(ctx context.Context, params []RunStartParams) ([]RunStartResult, error) {
	var (
		ids      = make([]int64, len(params))
		attempts = make([]int32, len(params))
		jobIDs   = make([]int64, len(params))
		replicas = make([]string, len(params))
	)
	for i, p := range params {
		ids[i], attempts[i], jobIDs[i], replicas[i] = p.RunID, int32(p.Attempt), p.JobID, p.ReplicaID
	}
	var started []*Run
	err := s.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.tx.Query(ctx, `
			WITH req AS (
				SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[]) AS u(run_id, attempt, job_id, replica_id)
			), started AS (
				UPDATE runs SET status = 'RUNNING', attempt = req.attempt, replica_id = req.replica_id, river_job_id = req.job_id,
				started_at = coalesce(runs.started_at, now()), updated_at = now()
			FROM req
			WHERE runs.id = req.run_id AND runs.status IN ('SCHEDULED', 'RUNNING', 'RETRYING')
				AND NOT EXISTS (
					SELECT 1 FROM datasources d
					WHERE d.id = runs.datasource_id AND d.overlap_policy = 'BUFFER_ONE' AND EXISTS (
						SELECT 1 FROM runs e WHERE e.datasource_id = runs.datasource_id
							AND e.scheduled_for < runs.scheduled_for AND e.status IN ('RUNNING', 'RETRYING')))
				RETURNING runs.*
			)
			SELECT `+runColumns+` FROM started`,
			ids, attempts, jobIDs, replicas)
		if err != nil {
			return err
		}
		if started, err = collectRuns(rows); err != nil {
			return err
		}
		return tx.recordRunEvents(started)
	})
	if err != nil {
		return nil, err
	}

	byID := make(map[int64]*Run, len(started))
	var dsIDs []uuid.UUID
	for _, r := range started {
		byID[r.ID] = r
		dsIDs = append(dsIDs, r.DataSourceID)
	}
	dataSources := map[uuid.UUID]*DataSource{}
	if len(dsIDs) > 0 {
		rows, err := s.pool.Query(ctx, `SELECT `+dataSourceColumns+` FROM datasources WHERE id = ANY($1)`, dsIDs)
		if err != nil {
			return nil, err
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*DataSource, error) { return scanDataSource(row) })
		if err != nil {
			return nil, err
		}
		for _, ds := range list {
			dataSources[ds.ID] = ds
		}
	}

	results := make([]RunStartResult, len(params))
	var notStarted []int64
	for i, p := range params {
		if r, ok := byID[p.RunID]; ok {
			results[i] = RunStartResult{Run: r, DataSource: dataSources[r.DataSourceID]}
		} else {
			notStarted = append(notStarted, p.RunID)
		}
	}
	if len(notStarted) == 0 {
		return results, nil
	}
	// Say why the others did not start: final, waiting, or gone.
	statuses := map[int64]string{}
	rows, err := s.pool.Query(ctx, `SELECT id, status FROM runs WHERE id = ANY($1)`, notStarted)
	if err != nil {
		return nil, err
	}
	var (
		id     int64
		status string
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &status}, func() error { statuses[id] = status; return nil }); err != nil {
		return nil, err
	}
	for i, p := range params {
		if results[i].Run != nil {
			continue
		}
		switch status, ok := statuses[p.RunID]; {
		case !ok:
			results[i].Err = ErrNotFound
		case (&Run{Status: status}).Final():
			results[i].Err = ErrRunFinal
		default:
			results[i].Err = ErrRunWaiting
		}
	}
	return results, nil
}

// RunFinishParams end an attempt.
type RunFinishParams struct {
	RunID int64
	// Status is RunSucceeded, RunFailed, RunRetrying (the attempt failed and
	// another follows) or RunCancelled.
	Status       string
	Attempt      int
	Error        string
	FilesFound   int
	BytesFound   int64
	RecordsFound int64
	// Skipped are the entries the attempt skipped; the run keeps the first
	// MaxSkippedKept and the count.
	Skipped []SkippedEntry
}

// RunFinish records the end of one attempt; see RunsFinish.
func (t *Tx) RunFinish(ctx context.Context, params *RunFinishParams) (*Run, error) {
	runs, err := t.RunsFinish(ctx, []*RunFinishParams{params})
	if err != nil {
		return nil, err
	}
	return runs[0], nil
}

// RunsFinish records the end of attempts with their events, in one
// statement whatever their number; the transaction sends one NOTIFY for all
// its finishes. Call it in the transaction that completes the River jobs,
// so that both commit together. The runs come back in the order of params.
// If any run does not exist it returns ErrNotFound, and if one is named
// twice an error: the caller's transaction must then roll back.
func (t *Tx) RunsFinish(ctx context.Context, params []*RunFinishParams) ([]*Run, error) {
	var (
		n             = len(params)
		ids           = make([]int64, n)
		statuses      = make([]string, n)
		errs          = make([]string, n)
		files         = make([]int32, n)
		bytes         = make([]int64, n)
		records       = make([]int64, n)
		skipped       = make([][]byte, n)
		skippedCounts = make([]int32, n)
		attemptErrs   = make([][]byte, n)
	)
	now := time.Now().UTC()
	for i, p := range params {
		ids[i], statuses[i], errs[i] = p.RunID, p.Status, truncateError(p.Error)
		files[i], bytes[i], records[i] = int32(p.FilesFound), p.BytesFound, p.RecordsFound
		skippedCounts[i] = int32(len(p.Skipped))
		var err error
		if skipped[i], err = json.Marshal(keptSkipped(p.Skipped)); err != nil {
			return nil, err
		}
		if p.Error != "" {
			if attemptErrs[i], err = json.Marshal([]AttemptError{{Attempt: p.Attempt, At: now, Error: errs[i]}}); err != nil {
				return nil, err
			}
		}
	}
	rows, err := t.tx.Query(ctx, `
		WITH req AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bigint[],
				$7::jsonb[], $8::int[], $9::jsonb[])
				AS u(run_id, status, error, files_found, bytes_found, records_found,
					skipped, skipped_count, attempt_errors)
		), finished AS (
			UPDATE runs SET status = req.status, error = nullif(req.error, ''), files_found = req.files_found,
				bytes_found = req.bytes_found, records_found = req.records_found,
				skipped = req.skipped, skipped_count = req.skipped_count,
				attempt_errors = runs.attempt_errors || coalesce(req.attempt_errors, '[]'),
				finished_at = CASE WHEN req.status = 'RETRYING' THEN NULL ELSE now() END,
				updated_at = now()
			FROM req
			WHERE runs.id = req.run_id
			RETURNING runs.*
		)
		SELECT `+runColumns+` FROM finished`,
		ids, statuses, errs, files, bytes, records, skipped, skippedCounts, attemptErrs)
	if err != nil {
		return nil, err
	}
	finished, err := collectRuns(rows)
	if err != nil {
		return nil, translate(err)
	}
	byID := make(map[int64]*Run, len(finished))
	for _, r := range finished {
		byID[r.ID] = r
	}
	runs := make([]*Run, n)
	for i, id := range ids {
		if runs[i] = byID[id]; runs[i] == nil {
			return nil, ErrNotFound
		}
	}
	if len(finished) != n {
		return nil, errors.New("store: RunsFinish: a run is finished twice")
	}
	// Each run's status event comes before its FILES_DISCOVERED event, and
	// runs keep the order of params.
	if err := t.recordRunEvents(runs); err != nil {
		return nil, err
	}
	return runs, nil
}

// keptSkipped is what a run keeps of its skipped entries.
func keptSkipped(entries []SkippedEntry) []SkippedEntry {
	if entries == nil {
		return []SkippedEntry{}
	}
	return entries[:min(len(entries), MaxSkippedKept)]
}

// truncateError keeps error texts to a size an operator can read.
func truncateError(s string) string {
	const limit = 4000
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

// runsCancelPending cancels a datasource's runs that have not started or
// wait for a retry. Their River jobs find the run CANCELLED and do nothing.
// Running runs finish and keep their result.
func (t *Tx) runsCancelPending(ctx context.Context, dataSourceID uuid.UUID) error {
	rows, err := t.tx.Query(ctx, `
		UPDATE runs SET status = 'CANCELLED', finished_at = now(), updated_at = now()
		WHERE datasource_id = $1 AND status IN ('SCHEDULED', 'RETRYING')
		RETURNING `+runColumns, dataSourceID)
	if err != nil {
		return err
	}
	runs, err := collectRuns(rows)
	if err != nil {
		return err
	}
	return t.recordRunEvents(runs)
}

// recordRunEvents records the event of each run's current status, and a
// FILES_DISCOVERED event after a success that found files.
func (t *Tx) recordRunEvents(runs []*Run) error {
	for _, r := range runs {
		if err := t.recordEvent(runEventKind[r.Status], &r.DataSourceID, &r.ID, newRunEvent(r)); err != nil {
			return err
		}
		if r.Status == RunSucceeded && r.FilesFound > 0 {
			files := &FilesSummary{RunID: r.ID, DataSourceID: r.DataSourceID, Files: r.FilesFound, Bytes: r.BytesFound,
				Records: r.RecordsFound}
			if err := t.recordEvent(EventFilesDiscovered, &r.DataSourceID, &r.ID, files); err != nil {
				return err
			}
		}
	}
	return nil
}

// runEventKind is the event a run's change to a status records.
var runEventKind = map[string]string{
	RunScheduled: EventRunScheduled, RunRunning: EventRunStarted, RunRetrying: EventRunRetrying,
	RunSucceeded: EventRunSucceeded, RunFailed: EventRunFailed, RunSkipped: EventRunSkipped,
	RunMissed: EventRunMissed, RunCancelled: EventRunCancelled,
}

// runEventStatus is the status of each RUN_* kind.
var runEventStatus = func() map[string]string {
	m := make(map[string]string, len(runEventKind))
	for status, kind := range runEventKind {
		m[kind] = status
	}
	return m
}()

// RunGetByID returns a run, or ErrNotFound.
func (s *Store) RunGetByID(ctx context.Context, id int64) (*Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err)
	}
	return r, nil
}

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
	const filter = `datasource_id = $1 AND ($2::text[] IS NULL OR status = ANY($2))`
	page, err := readPage(ctx, s.pool, params.First,
		`SELECT count(*) FROM runs WHERE `+filter, []any{params.DataSourceID, statuses},
		`SELECT `+runColumns+` FROM runs WHERE `+filter+`
			AND ($3::timestamptz IS NULL OR scheduled_for < $3)
			ORDER BY scheduled_for DESC LIMIT $4`, []any{params.DataSourceID, statuses, afterSlot},
		func(row pgx.CollectableRow) (*Run, error) { return scanRun(row) },
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
		{&res.Events, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < $1 ORDER BY id LIMIT $2)`,
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
