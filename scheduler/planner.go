package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ezplatform/ezplatform/internal/backoff"
	"github.com/ezplatform/ezplatform/store"
)

// PlannerOptions tune the leader's slot planner.
type PlannerOptions struct {
	PlanOptions
	// Resync is how often the planner reconciles the whole table even
	// without notifications (I4: nothing depends on NOTIFY alone).
	Resync time.Duration
	// Batch is how many due datasources one transaction plans.
	Batch int
	// PlanAhead is at most how long before a slot the planner starts its
	// transaction, which then commits at the slot: the runs and River jobs
	// are written ahead and become visible at once, so River can start the
	// jobs without waiting for the writes. The planner starts twice as
	// early as its recent transactions took, plus 10 ms, within this bound:
	// while the transaction waits it holds its datasources' locks and holds
	// back the event stream (I5), and misfire and overlap policies are
	// decided that much early. 0 plans at the slot.
	PlanAhead time.Duration
	// RetentionEvery is how often the leader prunes history.
	RetentionEvery time.Duration
	Retention      Retention
	// SpecCacheSize bounds how many parsed schedules the planner keeps
	// (DefaultSpecCacheSize if 0).
	SpecCacheSize int
}

// Retention says how much run and event history to keep.
type Retention struct {
	RunsMaxAge        time.Duration
	RunsPerDataSource int
	EventsMaxAge      time.Duration
}

// DefaultPlannerOptions are the defaults of `ezplatform serve`.
var DefaultPlannerOptions = PlannerOptions{
	PlanOptions:    DefaultPlanOptions,
	Resync:         30 * time.Second,
	Batch:          1000,
	PlanAhead:      100 * time.Millisecond,
	RetentionEvery: time.Minute,
	Retention:      Retention{RunsMaxAge: 7 * 24 * time.Hour, RunsPerDataSource: 10_000, EventsMaxAge: 7 * 24 * time.Hour},
}

// planner turns due slots into runs and River jobs. Only the leader runs it,
// and every transaction is fenced by the leader's epoch (I2).
type planner struct {
	// store is the scheduler's own connections once it runs.
	store   *store.Store
	river   *river.Client[pgx.Tx]
	logger  *slog.Logger
	opts    PlannerOptions
	now     func() time.Time
	metrics *metrics
	// specs holds each datasource version's parsed schedule.
	specs *SpecCache
	// idleLimit bounds how long a planner transaction may sit idle (see
	// store.Tx.LeaderFence): the session TTL, after which another replica
	// leads anyway.
	idleLimit time.Duration
	// took is how long recent plans' work took, to size the lead: the
	// longest, fading by an eighth with each plan, so that one quick plan
	// between bursts does not make the next burst late.
	took   time.Duration
	tookMu sync.Mutex
}

// run plans until ctx ends (leadership lost) or the epoch is fenced.
// wake receives a value whenever a datasource changed.
func (p *planner) run(ctx context.Context, epoch int64, wake, listening <-chan struct{}) error {
	// Every line of the term names its epoch. Terms run one at a time, in
	// the elector's goroutine, and nothing else logs through p.logger.
	termless := p.logger
	p.logger = termless.With("epoch", epoch)
	defer func() { p.logger = termless }()
	if p.metrics != nil {
		// Until its first pass says otherwise, the new leader is behind
		// from the start of its term: a first pass that never completes
		// shows as a growing lag.
		termStart := time.Now()
		p.metrics.nextSlot.set(&termStart)
		defer p.metrics.nextSlot.set(nil)
	}
	retry := backoff.New(50*time.Millisecond, 5*time.Second)
	// A failed step is retried with backoff; only a fenced epoch or the end
	// of leadership ends the loop, so a database hiccup does not cost the
	// leadership.
	failed := func(step string, err error) error {
		if errors.Is(err, store.ErrFenced) || ctx.Err() != nil {
			return err
		}
		p.logger.Warn("scheduler: planner "+step+" failed; retrying", "error", err)
		if !backoff.Sleep(ctx, retry.Next()) {
			return ctx.Err()
		}
		return nil
	}
	for {
		err := p.reconcile(ctx, epoch)
		if err == nil {
			break
		}
		if err := failed("reconcile", err); err != nil {
			return err
		}
	}
	resync := time.NewTicker(p.opts.Resync)
	defer resync.Stop()
	retention := time.NewTicker(p.opts.RetentionEvery)
	defer retention.Stop()
	var earliest *time.Time
	for {
		// Plan the next slot ahead if it is near: its transaction commits
		// at the slot.
		at := p.now()
		if earliest != nil && earliest.After(at) && earliest.Sub(at) <= p.lead() {
			at = *earliest
		}
		planned, err := p.planDue(ctx, epoch, at)
		if err != nil {
			if err := failed("plan", err); err != nil {
				return err
			}
			continue
		}
		retry.Reset()
		var pending bool
		earliest, pending, err = p.store.ScheduleWakeup(ctx)
		if err == nil && p.metrics != nil {
			p.metrics.nextSlot.set(earliest)
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.logger.Warn("scheduler: planner wakeup query", "error", err)
			// Retry after a pause rather than spin.
			t := p.now().Add(time.Second)
			earliest, pending = &t, false
		}
		if pending {
			if planned > 0 {
				continue
			}
			// Rows to plan that the last pass skipped are locked by another
			// transaction (SKIP LOCKED): look again shortly, don't spin.
			t := p.now().Add(100 * time.Millisecond)
			earliest = &t
		}
		if err := p.wait(ctx, epoch, earliest, wake, listening, resync.C, retention.C); err != nil {
			if err := failed("reconcile", err); err != nil {
				return err
			}
		}
	}
}

// wait sleeps until it is time to plan the earliest slot, a change, a
// resync or a retention tick, whichever comes first.
func (p *planner) wait(ctx context.Context, epoch int64, earliest *time.Time, wake, listening <-chan struct{}, resync, retention <-chan time.Time) error {
	var due <-chan time.Time
	if earliest != nil && earliest.Before(store.NeverTime) {
		timer := time.NewTimer(max(earliest.Sub(p.now())-p.lead(), 0))
		defer timer.Stop()
		due = timer.C
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-due:
	case <-wake:
	case <-listening:
		// Notifications may have been lost while the listener was away.
		return p.reconcile(ctx, epoch)
	case <-resync:
		return p.reconcile(ctx, epoch)
	case <-retention:
		p.prune(ctx)
	}
	return nil
}

// lead is how long before a slot to start planning it: twice as long as
// recent plans took, plus 10 ms, at most PlanAhead.
func (p *planner) lead() time.Duration {
	p.tookMu.Lock()
	defer p.tookMu.Unlock()
	return min(p.opts.PlanAhead, 2*p.took+10*time.Millisecond)
}

// planConcurrency is how many planner transactions plan one slot at once
// after its first batch. Each takes its own batch of due datasources (SKIP
// LOCKED), so a slot of 10,000 is planned on both cores of a small machine
// rather than one batch after another. The first batch is planned alone:
// River fetches on the first insert notification of a moment, so jobs that
// commit a few milliseconds after the first wait for its next poll
// (docs/BENCHMARKS.md).
const planConcurrency = 2

// planDue plans every datasource due at at, a batch per transaction, and
// returns how many it planned. If at is ahead, the first batch commits at
// at; if it was full, the rest follow planConcurrency at a time.
func (p *planner) planDue(ctx context.Context, epoch int64, at time.Time) (int, error) {
	first, err := p.planBatch(ctx, epoch, at)
	if err != nil || first < p.opts.Batch {
		return first, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total = first
		errs  []error
	)
	for range planConcurrency {
		wg.Go(func() {
			for {
				n, err := p.planBatch(ctx, epoch, at)
				mu.Lock()
				total += n
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
				if err != nil || n < p.opts.Batch {
					return
				}
			}
		})
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

// planBatch plans up to Batch datasources due at at in one fenced
// transaction: runs rows, River jobs and next slots commit together, or not
// at all, and not before at.
func (p *planner) planBatch(ctx context.Context, epoch int64, at time.Time) (int, error) {
	var (
		planned int
		runs    []*store.Run
	)
	began := time.Now()
	commitAt := began.Add(at.Sub(p.now())) // at is on the planner's clock
	waited, err := p.store.InTxCommitAt(ctx, commitAt, func(tx *store.Tx) error {
		if err := tx.LeaderFence(ctx, epoch, p.idleLimit); err != nil {
			return err
		}
		now := p.now()
		horizon := later(at, now)
		due, err := tx.SchedulesDue(ctx, horizon, p.opts.Batch)
		if err != nil {
			return err
		}
		planned = len(due)
		var (
			inserts []store.RunInsert
			next    []store.ScheduleNext
		)
		for _, d := range due {
			spec, err := p.specs.Spec(d.DataSource)
			if err != nil {
				// Edited by hand into something invalid: leave it alone,
				// loudly, rather than stop planning for everyone.
				p.logger.Error("scheduler: invalid schedule; not planning it", "datasource", d.DataSource.ID, "error", err)
				next = append(next, store.ScheduleNext{DataSourceID: d.DataSource.ID, NextRunAt: store.NeverTime})
				continue
			}
			planAt := horizon
			if d.DataSource.NextRunAt == nil {
				// A new or changed schedule starts after now, not after
				// the slot planned ahead.
				planAt = now
			}
			plan := planSlots(d, spec, planAt, epoch, p.opts.PlanOptions)
			if n := len(plan.runs); n > 0 {
				plan.runs[n-1].NextRunAt = plan.next
			}
			inserts = append(inserts, plan.runs...)
			next = append(next, store.ScheduleNext{DataSourceID: d.DataSource.ID, NextRunAt: plan.next, Announced: len(plan.runs) > 0})
		}
		runs, err = tx.RunsInsert(ctx, inserts)
		if err != nil {
			return err
		}
		if err := p.enqueue(ctx, tx, runs); err != nil {
			return err
		}
		return tx.SchedulesSetNext(ctx, next)
	})
	if err != nil {
		return 0, fmt.Errorf("plan: %w", err)
	}
	// The plan's time, up to its commit: its events and the commit count,
	// for the lead must cover them.
	took := time.Since(began) - waited
	if planned > 0 {
		p.tookMu.Lock()
		p.took = max(took, p.took-p.took/8)
		p.tookMu.Unlock()
	}
	if p.metrics != nil {
		p.metrics.planSeconds.Observe(took.Seconds())
		for _, r := range runs {
			p.metrics.planned.WithLabelValues(r.Status).Inc()
		}
	}
	return planned, nil
}

// enqueue inserts the River jobs of the SCHEDULED runs, available now, in
// the caller's transaction. The worker records the job id when it starts.
func (p *planner) enqueue(ctx context.Context, tx *store.Tx, runs []*store.Run) error {
	var params []river.InsertManyParams
	for _, r := range runs {
		if r.Status == store.RunScheduled {
			params = append(params, runJob(r))
		}
	}
	if len(params) == 0 {
		return nil
	}
	// The fast insert returns no rows to decode: the worker records its
	// job's id when it starts.
	if _, err := p.river.InsertManyFastTx(ctx, tx.Pgx(), params); err != nil {
		return fmt.Errorf("insert River jobs: %w", err)
	}
	return nil
}

// reconcile checks every plannable schedule's stored next slot against its
// current definition, and resets (to NULL, so planDue recomputes it) the
// ones that are not a slot of it: schedules edited in psql, or by a writer
// that did not reset next_run_at. After its full pass it sweeps the cached
// schedules, which drops those of datasources that are gone.
func (p *planner) reconcile(ctx context.Context, epoch int64) error {
	after := uuid.Nil
	for {
		page, err := p.store.SchedulesPage(ctx, after, 1000)
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		var stale []uuid.UUID
		for _, ds := range page {
			if ds.NextRunAt == nil || !ds.NextRunAt.Before(store.NeverTime) {
				continue
			}
			spec, err := p.specs.Spec(ds)
			if err != nil || !spec.Next(ds.NextRunAt.Add(-time.Nanosecond)).Equal(*ds.NextRunAt) {
				stale = append(stale, ds.ID)
			}
		}
		if len(stale) > 0 {
			p.logger.Info("scheduler: reconcile resets next slots", "count", len(stale))
			err := p.store.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.LeaderFence(ctx, epoch, p.idleLimit); err != nil {
					return err
				}
				return tx.SchedulesResetNext(ctx, stale)
			})
			if err != nil {
				return fmt.Errorf("reconcile: %w", err)
			}
		}
		if len(page) < 1000 {
			p.specs.Sweep()
			return nil
		}
		after = page[len(page)-1].ID
	}
}

// prune deletes history past retention.
func (p *planner) prune(ctx context.Context) {
	r := p.opts.Retention
	now := p.now()
	res, err := p.store.PruneHistory(ctx, &store.RetentionParams{
		RunsOlderThan: now.Add(-r.RunsMaxAge), RunsPerDataSource: r.RunsPerDataSource,
		EventsOlderThan: now.Add(-r.EventsMaxAge), Batch: 5000,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		p.logger.Warn("scheduler: pruning history", "error", err)
		return
	}
	if res.Runs > 0 || res.Events > 0 {
		p.logger.Info("scheduler: pruned history", "runs", res.Runs, "events", res.Events)
	}
}
