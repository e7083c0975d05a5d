package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/ezplatform/ezplatform/store"
)

// QueueRuns is the River queue of runs.
const QueueRuns = "runs"

// DefaultRecordRunningAfter is how long an attempt works before its run is
// marked RUNNING: a run that takes less shows its result directly, and
// costs one write and one event fewer.
const DefaultRecordRunningAfter = time.Second

// RunArgs are the River job arguments of a run: the run row's id, so that
// a retried or rescued job works the same run (I1). The worker reads the
// run's slot and datasource (with its run timeout) from PostgreSQL when it
// starts.
//
// Nothing else goes in: River indexes args with GIN, one entry per key and
// per value, in every version of the row (its insert, its fetch and its
// completion), and four fields made River's own statements cost half as
// much again per run (docs/BENCHMARKS.md). Jobs inserted by earlier
// releases also carry datasource_id, scheduled_for and timeout_ms, which
// decode as before and are not read.
type RunArgs struct {
	RunID int64 `json:"run_id"`
}

// Kind is the River job kind.
func (RunArgs) Kind() string { return "ezplatform.run" }

// InsertOpts puts runs on their queue. Jobs are not unique in River: a job
// is inserted only with the run row that names it, in one transaction, and
// that row is unique per slot (I1), so River's uniqueness would check again
// at a cost (a hash of the arguments and a unique index).
func (RunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueRuns}
}

func runJob(run *store.Run) river.InsertManyParams {
	return river.InsertManyParams{
		Args:       RunArgs{RunID: run.ID},
		InsertOpts: &river.InsertOpts{Queue: QueueRuns, MaxAttempts: run.MaxAttempts},
	}
}

// Work is what a run does. File discovery implements it.
type Work interface {
	// Run does one attempt of a run. An error fails the attempt; River
	// retries it with backoff until the run's attempts are used up. ds is
	// the datasource as it is now; run is the run as its job names it: its
	// ID, DataSourceID, ScheduledFor and Attempt are set, and for a retry
	// the rest of its row (store.RunsBegin).
	Run(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error)
}

// WorkResult is what an attempt found.
type WorkResult struct {
	// Discovery, if set, is recorded in the transaction that completes the
	// run, and the run's totals come from what it inserted.
	Discovery *store.FileDiscovery
	// FilesFound is the count to report when there is no Discovery.
	FilesFound int
}

// WorkFunc adapts a function to Work.
type WorkFunc func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error)

// Run calls f.
func (f WorkFunc) Run(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
	return f(ctx, ds, run)
}

// runWorker works run jobs on every replica.
type runWorker struct {
	river.WorkerDefaults[RunArgs]
	starter   *starter
	finisher  *finisher
	work      Work
	replicaID string
	logger    *slog.Logger
	metrics   *metrics
	lateStart lateStartWarning
	// recordRunningAfter is how long an attempt works before it is marked
	// RUNNING; a quicker one records its start with its result. Negative:
	// at once.
	recordRunningAfter time.Duration
}

// lateStartWarning says when runs start late enough that the replica may
// have too few workers.
type lateStartWarning struct {
	after   time.Duration
	workers int
	last    atomic.Int64 // unix nanoseconds of the last warning
}

// Timeout leaves River's job context without a deadline: Work bounds the
// attempt by its datasource's run timeout, read as the run starts.
func (w *runWorker) Timeout(*river.Job[RunArgs]) time.Duration { return -1 }

func (w *runWorker) Work(ctx context.Context, job *river.Job[RunArgs]) error {
	// The attempt starts when the worker takes the job, as a River job
	// starts when its worker is called: reading the run is part of it, and
	// a run marked RUNNING later still shows when it began.
	began := time.Now()
	params := store.RunStartParams{RunID: job.Args.RunID, MaxAttempts: job.MaxAttempts, JobID: job.ID, Attempt: job.Attempt,
		ReplicaID: w.replicaID, Began: began}
	var started store.RunStartResult
	if w.recordRunningAfter < 0 {
		started = w.starter.start(ctx, params)
	} else {
		started = w.starter.begin(ctx, params)
	}
	run, ds, err := started.Run, started.DataSource, started.Err
	switch {
	case errors.Is(err, store.ErrRunFinal):
		// Cancelled (datasource deleted), or finished by an earlier attempt
		// whose job completion was lost: nothing to do.
		return nil
	case errors.Is(err, store.ErrRunWaiting):
		// BUFFER_ONE: wait for the earlier run to finish. A snooze is not
		// an attempt.
		return river.JobSnooze(time.Second)
	case errors.Is(err, store.ErrNotFound):
		// The run was pruned: the job is obsolete.
		return nil
	case err != nil:
		return err
	}

	w.metrics.startLag.Observe(began.Sub(run.ScheduledFor).Seconds())
	w.warnIfLate(job, ds, run)
	defer w.metrics.attempts.begin(run.ID, began)()

	recording := w.markRunningLater(ctx, started.Recorded, params)
	timeout := cmp.Or(ds.RunTimeout, store.DefaultRunTimeout)
	workCtx, cancel := context.WithTimeout(ctx, timeout)
	result, workErr := w.work.Run(workCtx, ds, run)
	cancel()
	recorded := recording()
	if workErr == nil && result == nil {
		result = &WorkResult{}
	}
	if workErr != nil && errors.Is(workCtx.Err(), context.DeadlineExceeded) {
		workErr = fmt.Errorf("timed out after %s: %w", timeout, workErr)
	}
	finish := &store.RunFinishParams{RunID: run.ID, Attempt: job.Attempt, Status: store.RunSucceeded}
	if !recorded {
		finish.Began, finish.JobID, finish.ReplicaID = began, job.ID, w.replicaID
	}
	defer func() {
		w.metrics.finished.WithLabelValues(finish.Status).Inc()
		w.metrics.runDuration.WithLabelValues(finish.Status).Observe(time.Since(began).Seconds())
	}()
	switch {
	case workErr == nil:
		finish.FilesFound = result.FilesFound
		// Returning nil completes the job, in River's next batch.
		return w.finished(run, w.finisher.finish(finishRequest{ctx: ctx, finish: finish, discovery: result.Discovery, dataSourceID: run.DataSourceID}))
	case job.Attempt < job.MaxAttempts:
		finish.Status, finish.Error = store.RunRetrying, workErr.Error()
	default:
		finish.Status, finish.Error = store.RunFailed, workErr.Error()
	}
	w.logger.Warn("scheduler: run attempt failed", "run", run.ID, "datasource", run.DataSourceID,
		"attempt", job.Attempt, "maxAttempts", job.MaxAttempts, "status", finish.Status, "error", workErr)
	// Record the failed attempt, then let River retry (or discard) the job.
	if err := w.finisher.finish(finishRequest{ctx: ctx, finish: finish}); err != nil {
		if err = w.finished(run, err); err == nil {
			return nil
		}
		return errors.Join(workErr, err)
	}
	return workErr
}

// markRunningLater marks the run RUNNING once the attempt has worked for
// recordRunningAfter, unless recorded already. The function it returns
// stops the clock at the end of the work, waits for a mark under way, and
// says whether the run is marked; if not, the finish records the start.
func (w *runWorker) markRunningLater(ctx context.Context, recorded bool, params store.RunStartParams) func() bool {
	if recorded {
		return func() bool { return true }
	}
	marked := make(chan bool, 1)
	timer := time.AfterFunc(w.recordRunningAfter, func() { marked <- w.starter.start(ctx, params).Err == nil })
	return func() bool {
		if timer.Stop() {
			return false
		}
		return <-marked
	}
}

// finished is the end of a job whose finish returned err: a run that became
// final while it worked (cancelled, or finished by another attempt) keeps
// that state, and a run that is gone (pruned) stays gone; either way the
// job is done.
func (w *runWorker) finished(run *store.Run, err error) error {
	if errors.Is(err, store.ErrRunFinal) || errors.Is(err, store.ErrNotFound) {
		w.logger.Info("scheduler: run was final or gone before its attempt finished; its result is dropped",
			"run", run.ID, "datasource", run.DataSourceID, "reason", err)
		return nil
	}
	return err
}

// warnIfLate logs, at most once a minute, that a run's first attempt
// started long after its slot, or after it was planned if that was later
// (a catch-up or manual run): runs queue for workers, or the database
// cannot keep up. Retries and BUFFER_ONE runs wait on purpose.
func (w *runWorker) warnIfLate(job *river.Job[RunArgs], ds *store.DataSource, run *store.Run) {
	if job.Attempt != 1 || ds.Schedule.OverlapPolicy == OverlapBufferOne {
		return
	}
	late := time.Since(later(run.ScheduledFor, job.CreatedAt))
	if late < w.lateStart.after {
		return
	}
	now, last := time.Now().UnixNano(), w.lateStart.last.Load()
	if now-last < int64(time.Minute) || !w.lateStart.last.CompareAndSwap(last, now) {
		return
	}
	w.logger.Warn("scheduler: runs start late; this replica may have too few workers (EZ_WORKERS)",
		"late", late.Round(time.Millisecond), "workers", w.lateStart.workers, "run", run.ID, "datasource", run.DataSourceID)
}

// later is the later of two instants.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
