package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// RunStartParams mark a run's attempt as started.
type RunStartParams struct {
	RunID int64
	// MaxAttempts is the run's, as its job says.
	MaxAttempts int
	// JobID is the River job working the run, recorded for operators.
	JobID     int64
	Attempt   int
	ReplicaID string
	// Began is when the worker took the job: the run's started_at, unless
	// an earlier attempt set it. Zero means the time of the statement.
	Began time.Time
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
	// Recorded says that the run is marked RUNNING. RunsBegin leaves most
	// runs as they are: their attempt records its start with its result.
	Recorded bool
	// Err is ErrRunFinal, ErrRunWaiting, ErrNotFound or nil.
	Err error
}

// RunsBegin readies runs for an attempt without writing anything, for
// attempts that record their start with their result (RunFinishParams.Began)
// unless they work long enough to be marked RUNNING first (RunsStart).
//
// One statement reads each run's slot and status with its datasource. The
// first attempt of a run of a live datasource gets its Run from that (id,
// datasource, slot and attempt, status SCHEDULED), and its finish refuses
// it if the run became final meanwhile.
// A retry, and a run whose datasource was deleted, read the run row too and
// come back as it is (a retry's status is RETRYING). A run that is final
// gets ErrRunFinal, and one that is gone (pruned) ErrNotFound. A run of a
// BUFFER_ONE schedule is started as RunsStart starts it, because whether an
// earlier run is still working is known only from runs marked RUNNING. The
// results are in the order of params.
//
// A quick run then costs one write instead of two, one event instead of
// two, and no read of its whole row: most of what a run cost beside River's
// own work (docs/BENCHMARKS.md).
func (s *Store) RunsBegin(ctx context.Context, params []RunStartParams) ([]RunStartResult, error) {
	ids := make([]int64, len(params))
	for i, p := range params {
		ids[i] = p.RunID
	}
	// OFFSET 0 keeps the datasources a lookup by id per run: flattened
	// into a join, the plan hashes every datasource.
	rows, err := s.pool.Query(ctx, `
		SELECT d.*, r.id, r.scheduled_for, r.status
		FROM runs r CROSS JOIN LATERAL (SELECT `+dataSourceColumns+` FROM datasources WHERE id = r.datasource_id OFFSET 0) d
		WHERE r.id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	type slot struct {
		at     time.Time
		status string
	}
	slots := make(map[int64]slot, len(params))
	dataSourceOf := make(map[int64]*DataSource, len(params))
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			sl slot
		)
		ds, err := scanDataSource(rowWithTail{rows, []any{&id, &sl.at, &sl.status}})
		if err != nil {
			return nil, err
		}
		slots[id], dataSourceOf[id] = sl, ds
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	results := make([]RunStartResult, len(params))
	var read, record []int
	for i, p := range params {
		sl, ok := slots[p.RunID]
		ds := dataSourceOf[p.RunID]
		switch {
		case !ok:
			results[i].Err = ErrNotFound
		case finalStatus(sl.status):
			results[i].Err = ErrRunFinal
		case ds.DeletedAt != nil || p.Attempt > 1:
			read = append(read, i)
		case ds.Schedule.OverlapPolicy == "BUFFER_ONE":
			record = append(record, i)
		default:
			results[i] = RunStartResult{DataSource: ds, Run: &Run{ID: p.RunID, DataSourceID: ds.ID, ScheduledFor: sl.at,
				Status: RunScheduled, Attempt: p.Attempt, MaxAttempts: p.MaxAttempts, ReplicaID: p.ReplicaID, RiverJobID: &p.JobID}}
		}
	}
	more, err := s.beginFromRows(ctx, params, read, dataSourceOf, results)
	if err != nil {
		return nil, err
	}
	record = append(record, more...)
	if len(record) > 0 {
		recorded := make([]RunStartParams, len(record))
		for j, i := range record {
			recorded[j] = params[i]
		}
		started, err := s.RunsStart(ctx, recorded)
		if err != nil {
			return nil, err
		}
		for j, i := range record {
			results[i] = started[j]
		}
	}
	return results, nil
}

// beginFromRows readies the runs of params at indexes read from their rows,
// into results, with the datasources RunsBegin read for them, and returns
// the indexes of those to start as RunsStart does (BUFFER_ONE).
func (s *Store) beginFromRows(ctx context.Context, params []RunStartParams, read []int, dataSourceOf map[int64]*DataSource, results []RunStartResult) ([]int, error) {
	if len(read) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(read))
	for j, i := range read {
		ids[j] = params[i].RunID
	}
	rows, err := s.pool.Query(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	runs, err := collectRuns(rows)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Run, len(runs))
	for _, r := range runs {
		byID[r.ID] = r
	}
	var record []int
	for _, i := range read {
		p := params[i]
		switch r := byID[p.RunID]; {
		case r == nil:
			results[i].Err = ErrNotFound
		case r.Final():
			results[i].Err = ErrRunFinal
		case dataSourceOf[r.ID].Schedule.OverlapPolicy == "BUFFER_ONE":
			record = append(record, i)
		default:
			r.Attempt, r.ReplicaID, r.RiverJobID = p.Attempt, p.ReplicaID, &p.JobID
			results[i] = RunStartResult{Run: r, DataSource: dataSourceOf[r.ID]}
		}
	}
	return record, nil
}

// RunsStart marks runs RUNNING for an attempt, each with its RUN_STARTED
// event, in one transaction with one NOTIFY for all. The results are in the
// order of params. A run that is already final gets ErrRunFinal; one that
// must wait for an earlier run (BUFFER_ONE) gets ErrRunWaiting.
//
// Every run starts here, so starts are batched: a burst of jobs costs a
// few statements, not a transaction each.
func (s *Store) RunsStart(ctx context.Context, params []RunStartParams) ([]RunStartResult, error) {
	started, err := s.startRuns(ctx, params)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*Run, len(started))
	dsIDs := make([]uuid.UUID, 0, len(started))
	for _, r := range started {
		byID[r.ID] = r
		dsIDs = append(dsIDs, r.DataSourceID)
	}
	dataSources, err := s.dataSourcesByID(ctx, dsIDs)
	if err != nil {
		return nil, err
	}
	results := make([]RunStartResult, len(params))
	var notStarted []int64
	for i, p := range params {
		if r, ok := byID[p.RunID]; ok {
			results[i] = RunStartResult{Run: r, DataSource: dataSources[r.DataSourceID], Recorded: true}
		} else {
			notStarted = append(notStarted, p.RunID)
		}
	}
	if len(notStarted) > 0 {
		if err := s.explainNotStarted(ctx, params, results, notStarted); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// startRuns marks the runs of params RUNNING that may start, and records
// their events, in one transaction; it returns the runs it started.
func (s *Store) startRuns(ctx context.Context, params []RunStartParams) ([]*Run, error) {
	var (
		ids      = make([]int64, len(params))
		attempts = make([]int32, len(params))
		jobIDs   = make([]int64, len(params))
		replicas = make([]string, len(params))
		began    = make([]*time.Time, len(params))
	)
	for i, p := range params {
		ids[i], attempts[i], jobIDs[i], replicas[i] = p.RunID, int32(p.Attempt), p.JobID, p.ReplicaID
		if !p.Began.IsZero() {
			began[i] = &params[i].Began
		}
	}
	var started []*Run
	err := s.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.tx.Query(ctx, `
			WITH req AS (
				SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::timestamptz[])
					AS u(run_id, attempt, job_id, replica_id, began)
			), started AS (
				UPDATE runs SET status = 'RUNNING', attempt = req.attempt, replica_id = req.replica_id, river_job_id = req.job_id,
				-- A BUFFER_ONE run starts with this statement, not when its
				-- worker took the job: the earlier run may have finished
				-- in between.
				started_at = coalesce(runs.started_at, CASE WHEN (SELECT d.overlap_policy FROM datasources d
					WHERE d.id = runs.datasource_id) = 'BUFFER_ONE' THEN now() END, req.began, now()),
				updated_at = now()
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
			ids, attempts, jobIDs, replicas, began)
		if err != nil {
			return err
		}
		if started, err = collectRuns(rows); err != nil {
			return err
		}
		return tx.recordRunEvents(started)
	})
	return started, err
}

// dataSourcesByID reads the datasources of ids (deleted ones included).
func (s *Store) dataSourcesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*DataSource, error) {
	out := make(map[uuid.UUID]*DataSource, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+dataSourceColumns+` FROM datasources WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*DataSource, error) { return scanDataSource(row) })
	if err != nil {
		return nil, err
	}
	for _, ds := range list {
		out[ds.ID] = ds
	}
	return out, nil
}

// explainNotStarted sets the error of each result whose run did not start:
// it is final, it waits for an earlier run, or it is gone.
func (s *Store) explainNotStarted(ctx context.Context, params []RunStartParams, results []RunStartResult, notStarted []int64) error {
	statuses := map[int64]string{}
	rows, err := s.pool.Query(ctx, `SELECT id, status FROM runs WHERE id = ANY($1)`, notStarted)
	if err != nil {
		return err
	}
	var (
		id     int64
		status string
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &status}, func() error { statuses[id] = status; return nil }); err != nil {
		return err
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
	return nil
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
	// Began, for an attempt whose start was not recorded (RunsBegin), is
	// when it started: the finish records the start, with JobID and
	// ReplicaID, in the same statement. Zero if RunsStart recorded it.
	Began     time.Time
	JobID     int64
	ReplicaID string
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
// its finishes. An attempt whose start was not recorded (Began set) records
// it here, and its run gets one event, of its result. The runs come back in
// the order of params. If any run is already final (cancelled while it
// worked, or finished by another attempt) it returns ErrRunFinal, if one
// does not exist ErrNotFound, and if one is named twice an error: the
// caller's transaction must then roll back.
func (t *Tx) RunsFinish(ctx context.Context, params []*RunFinishParams) ([]*Run, error) {
	c, err := runFinishColumnsOf(params, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, `
		WITH req AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bigint[],
				$7::jsonb[], $8::int[], $9::jsonb[], $10::timestamptz[], $11::int[], $12::bigint[], $13::text[])
				AS u(run_id, status, error, files_found, bytes_found, records_found,
					skipped, skipped_count, attempt_errors, began, attempt, job_id, replica_id)
		), finished AS (
			UPDATE runs SET status = req.status, error = nullif(req.error, ''), files_found = req.files_found,
				bytes_found = req.bytes_found, records_found = req.records_found,
				skipped = coalesce(req.skipped, '[]'), skipped_count = req.skipped_count,
				-- NULL for none: most runs add nothing, and || would take the
				-- list apart and build it again.
				attempt_errors = CASE WHEN req.attempt_errors IS NULL THEN runs.attempt_errors
					ELSE runs.attempt_errors || req.attempt_errors END,
				started_at = coalesce(runs.started_at, req.began),
				attempt = CASE WHEN req.began IS NULL THEN runs.attempt ELSE req.attempt END,
				river_job_id = coalesce(req.job_id, runs.river_job_id),
				replica_id = coalesce(req.replica_id, runs.replica_id),
				finished_at = CASE WHEN req.status = 'RETRYING' THEN NULL ELSE now() END,
				updated_at = now()
			FROM req
			WHERE runs.id = req.run_id AND runs.status IN ('SCHEDULED', 'RUNNING', 'RETRYING')
			RETURNING runs.*
		)
		SELECT `+runColumns+` FROM finished`,
		c.ids, c.statuses, c.errs, c.files, c.bytes, c.records, c.skipped, c.skippedCounts, c.attemptErrs,
		c.began, c.attempts, c.jobIDs, c.replicas)
	if err != nil {
		return nil, err
	}
	finished, err := collectRuns(rows)
	if err != nil {
		return nil, translate(err)
	}
	runs, err := inIDOrder(c.ids, finished)
	if errors.Is(err, ErrNotFound) {
		err = t.finalOrMissing(ctx, c.ids, finished)
	}
	if err != nil {
		return nil, err
	}
	// Each run's status event comes before its FILES_DISCOVERED event, and
	// runs keep the order of params.
	if err := t.recordRunEvents(runs); err != nil {
		return nil, err
	}
	return runs, nil
}

// finalOrMissing says why a finish did not return every run: ErrRunFinal
// if a run it left out exists (it was final), else ErrNotFound.
func (t *Tx) finalOrMissing(ctx context.Context, ids []int64, finished []*Run) error {
	var left []int64
	returned := make(map[int64]bool, len(finished))
	for _, r := range finished {
		returned[r.ID] = true
	}
	for _, id := range ids {
		if !returned[id] {
			left = append(left, id)
		}
	}
	var existing int
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM runs WHERE id = ANY($1)`, left).Scan(&existing); err != nil {
		return err
	}
	if existing > 0 {
		return ErrRunFinal
	}
	return ErrNotFound
}

// runFinishColumns are RunsFinish's params as the columns its statement
// unnests.
type runFinishColumns struct {
	ids           []int64
	statuses      []string
	errs          []string
	files         []int32
	bytes         []int64
	records       []int64
	skipped       [][]byte
	skippedCounts []int32
	attemptErrs   [][]byte
	// The start of attempts that RunsBegin readied; nil where RunsStart
	// recorded it.
	began    []*time.Time
	attempts []int32
	jobIDs   []*int64
	replicas []*string
}

func runFinishColumnsOf(params []*RunFinishParams, now time.Time) (*runFinishColumns, error) {
	n := len(params)
	c := &runFinishColumns{
		ids: make([]int64, n), statuses: make([]string, n), errs: make([]string, n),
		files: make([]int32, n), bytes: make([]int64, n), records: make([]int64, n),
		skipped: make([][]byte, n), skippedCounts: make([]int32, n), attemptErrs: make([][]byte, n),
		began: make([]*time.Time, n), attempts: make([]int32, n), jobIDs: make([]*int64, n), replicas: make([]*string, n),
	}
	for i, p := range params {
		c.ids[i], c.statuses[i], c.errs[i] = p.RunID, p.Status, truncateError(p.Error)
		c.attempts[i] = int32(p.Attempt)
		if !p.Began.IsZero() {
			c.began[i], c.jobIDs[i], c.replicas[i] = &p.Began, &p.JobID, &p.ReplicaID
		}
		c.files[i], c.bytes[i], c.records[i] = int32(p.FilesFound), p.BytesFound, p.RecordsFound
		c.skippedCounts[i] = int32(len(p.Skipped))
		var err error
		if len(p.Skipped) > 0 {
			if c.skipped[i], err = json.Marshal(keptSkipped(p.Skipped)); err != nil {
				return nil, err
			}
		}
		if p.Error != "" {
			if c.attemptErrs[i], err = json.Marshal([]AttemptError{{Attempt: p.Attempt, At: now, Error: c.errs[i]}}); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// inIDOrder returns the finished runs in the order of ids: ErrNotFound when
// one is missing, an error when one came back twice.
func inIDOrder(ids []int64, finished []*Run) ([]*Run, error) {
	byID := make(map[int64]*Run, len(finished))
	for _, r := range finished {
		byID[r.ID] = r
	}
	runs := make([]*Run, len(ids))
	for i, id := range ids {
		if runs[i] = byID[id]; runs[i] == nil {
			return nil, ErrNotFound
		}
	}
	if len(finished) != len(ids) {
		return nil, errors.New("store: RunsFinish: a run is finished twice")
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
// Running runs finish and keep their result: those marked RUNNING, and
// those whose job a worker holds, which a quick attempt does before its
// start is recorded (RunsBegin).
func (t *Tx) runsCancelPending(ctx context.Context, dataSourceID uuid.UUID) error {
	rows, err := t.tx.Query(ctx, `
		UPDATE runs SET status = 'CANCELLED', finished_at = now(), updated_at = now()
		WHERE datasource_id = $1 AND status IN ('SCHEDULED', 'RETRYING')
			AND NOT EXISTS (SELECT 1 FROM river_job j WHERE j.state = 'running' AND j.args @> jsonb_build_object('run_id', runs.id))
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
