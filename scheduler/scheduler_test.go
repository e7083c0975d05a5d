package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/store"
)

// startReplica runs an in-process replica until the test ends (or stop is
// called) and returns it.
func startReplica(t testing.TB, b *testBundle, prefix, id string, work Work) (*Scheduler, func()) {
	t.Helper()
	return startReplicaWorkers(t, b, prefix, id, work, 4)
}

func startReplicaWorkers(t testing.TB, b *testBundle, prefix, id string, work Work, workers int) (*Scheduler, func()) {
	t.Helper()
	return runReplica(t, Config{
		Store: b.store, Etcd: etcdtest.Client(t), ReplicaID: id, Address: "http://" + id, Work: work,
		SessionTTL: testTTL, KeyPrefix: prefix, Workers: workers, Logger: quietLogger(),
	})
}

// runReplica runs a replica of cfg until the test ends, or until the
// returned function stops it.
func runReplica(t testing.TB, cfg Config) (*Scheduler, func()) {
	t.Helper()
	sched, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sched.Run(ctx, 10*time.Second)
	}()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return sched, stop
}

func waitLeading(t testing.TB, scheds ...*Scheduler) *Scheduler {
	t.Helper()
	var leader *Scheduler
	eventually(t, "a leader", func() bool {
		leaders := 0
		for _, s := range scheds {
			if s.Epoch() > 0 {
				leaders++
				leader = s
			}
		}
		require.LessOrEqual(t, leaders, 1, "two replicas lead at once")
		return leaders == 1
	})
	return leader
}

// Several replicas: exactly one leads; its resignation (graceful stop)
// hands over; the registry lists the live replicas.
func TestElectionResignHandsOver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	prefix := etcdtest.Prefix()
	var scheds []*Scheduler
	stops := map[*Scheduler]func(){}
	for _, id := range []string{"a", "b", "c"} {
		s, stop := startReplica(t, b, prefix, id, noWork)
		scheds = append(scheds, s)
		stops[s] = stop
	}
	leader := waitLeading(t, scheds...)
	eventually(t, "three registered replicas", func() bool {
		info, err := leader.Cluster(t.Context())
		require.NoError(t, err)
		return len(info.Replicas) == 3 && info.Leader != nil && info.Leader.Epoch == leader.Epoch()
	})

	epoch := leader.Epoch()
	stops[leader]() // SIGTERM path: resign, then stop
	var rest []*Scheduler
	for _, s := range scheds {
		if s != leader {
			rest = append(rest, s)
		}
	}
	next := waitLeading(t, rest...)
	require.Greater(t, next.Epoch(), epoch)
	info, err := next.Cluster(t.Context())
	require.NoError(t, err)
	require.Len(t, info.Replicas, 2, "the stopped replica left the registry at once")
	var ended bool
	require.NoError(t, b.store.Pool().QueryRow(t.Context(), `SELECT ended_at IS NOT NULL FROM leadership_history WHERE epoch = $1`, epoch).Scan(&ended))
	require.True(t, ended, "the resignation is recorded")
}

// A 1-second schedule runs every second; pause stops planning at once, and
// resume restarts from the next slot.
func TestScheduleLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	work := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		return &WorkResult{FilesFound: 7}, nil
	})
	startReplica(t, b, etcdtest.Prefix(), "solo", work)

	ds := b.createInterval(t, "every-second", time.Second)
	eventually(t, "three succeeded runs", func() bool {
		n := 0
		for _, r := range b.runs(t, ds.ID) {
			if r.Status == store.RunSucceeded {
				n++
			}
		}
		return n >= 3
	})
	runs := b.runs(t, ds.ID)
	requireTiled(t, runs, time.Second)
	require.Equal(t, 7, runs[0].FilesFound)
	require.Equal(t, "solo", runs[0].ReplicaID)
	require.Equal(t, 1, runs[0].Attempt)

	t.Run("Pause", func(t *testing.T) {
		paused, err := b.store.DataSourceUpdate(t.Context(), &store.DataSourceUpdateParams{ID: ds.ID, Paused: ptrTo(true)})
		require.NoError(t, err)
		require.Nil(t, paused.NextRunAt)
		before := len(b.runs(t, ds.ID))
		// Prove the planner has run since the pause: another datasource's
		// first slot gets computed after it.
		probe := b.createInterval(t, "probe", time.Hour)
		eventually(t, "the planner to plan the probe", func() bool {
			got, err := b.store.DataSourceGetByID(t.Context(), probe.ID)
			require.NoError(t, err)
			return got.NextRunAt != nil
		})
		got, err := b.store.DataSourceGetByID(t.Context(), ds.ID)
		require.NoError(t, err)
		require.Nil(t, got.NextRunAt, "a paused schedule is not planned")
		require.LessOrEqual(t, len(b.runs(t, ds.ID)), before+1, "at most a slot already in flight")

		resumed, err := b.store.DataSourceUpdate(t.Context(), &store.DataSourceUpdateParams{ID: ds.ID, Paused: ptrTo(false)})
		require.NoError(t, err)
		eventually(t, "runs after resume", func() bool {
			rs := b.runs(t, ds.ID)
			return rs[len(rs)-1].ScheduledFor.After(resumed.UpdatedAt)
		})
	})
}

// Delete cancels pending runs, while a run in progress finishes and keeps
// its result. One worker, blocked by the first run, keeps the next ones
// pending.
// The run in progress may be marked RUNNING (it has worked longer than
// RecordRunningAfter) or not yet: both keep their result.
func TestDeleteCancelsPendingRuns(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name          string
		recordRunning time.Duration
	}{{"marked RUNNING", -1}, {"start not recorded yet", time.Hour}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testDeleteCancelsPendingRuns(t, c.recordRunning)
		})
	}
}

func testDeleteCancelsPendingRuns(t *testing.T, recordRunning time.Duration) {
	b := setup(t)
	release := make(chan struct{})
	var blockOnce sync.Once
	blocked := make(chan struct{})
	var blockedRun int64
	work := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		blockOnce.Do(func() { blockedRun = run.ID; close(blocked) })
		<-release
		return &WorkResult{}, nil
	})
	runReplica(t, Config{
		Store: b.store, Etcd: etcdtest.Client(t), ReplicaID: "one-worker", Address: "http://one-worker", Work: work,
		SessionTTL: testTTL, KeyPrefix: etcdtest.Prefix(), Workers: 1, RecordRunningAfter: recordRunning, Logger: quietLogger(),
	})
	slow := b.createInterval(t, "slow", time.Second, func(p *store.DataSourceCreateParams) {
		p.Schedule.OverlapPolicy = OverlapAllow
	})
	<-blocked
	eventually(t, "a run waiting behind the blocked one", func() bool {
		for _, r := range b.runs(t, slow.ID) {
			if r.Status == store.RunScheduled && r.ID != blockedRun {
				return true
			}
		}
		return false
	})
	_, err := b.store.DataSourceDelete(t.Context(), &store.DataSourceDeleteParams{ID: slow.ID})
	require.NoError(t, err)
	close(release)
	eventually(t, "the running run to finish", func() bool {
		for _, r := range b.runs(t, slow.ID) {
			if r.Status == store.RunRunning || r.Status == store.RunScheduled {
				return false
			}
		}
		return true
	})
	var succeeded, cancelled int
	for _, r := range b.runs(t, slow.ID) {
		switch r.Status {
		case store.RunSucceeded:
			succeeded++
		case store.RunCancelled:
			cancelled++
		}
	}
	require.GreaterOrEqual(t, succeeded, 1, "the run in progress kept its result")
	require.GreaterOrEqual(t, cancelled, 1, "pending runs were cancelled")
}

// A failing run is retried with backoff, keeps each attempt's error, and is
// FAILED after its last attempt; the retries reuse the run row.
func TestRunRetriesThenFails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	work := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		return nil, errors.New("disk on fire")
	})
	sched, _ := startReplica(t, b, etcdtest.Prefix(), "retrier", work)
	ds := b.createInterval(t, "failing", time.Hour, func(p *store.DataSourceCreateParams) { p.MaxAttempts = 2 })

	run, err := sched.TriggerRun(t.Context(), ds.ID)
	require.NoError(t, err)
	require.Equal(t, store.TriggerManual, run.Trigger)
	b.waitRunStatus(t, run.ID, store.RunFailed, "the run to fail")
	r, err := b.store.RunGetByID(t.Context(), run.ID)
	require.NoError(t, err)
	require.Equal(t, 2, r.Attempt)
	require.Len(t, r.AttemptErrors, 2)
	require.Equal(t, "disk on fire", r.Error)
	require.Len(t, b.runs(t, ds.ID), 1, "retries reuse the run row")

	var kinds []string
	rows, err := b.store.Pool().Query(t.Context(), `SELECT kind FROM events WHERE run_id = $1 ORDER BY id`, run.ID)
	require.NoError(t, err)
	for rows.Next() {
		var k string
		require.NoError(t, rows.Scan(&k))
		kinds = append(kinds, k)
	}
	// Each quick attempt records its start with its result: one event each.
	require.Equal(t, []string{store.EventRunScheduled, store.EventRunRetrying, store.EventRunFailed}, kinds)
	require.NotNil(t, r.StartedAt, "the first attempt's start")
	require.Equal(t, "retrier", r.ReplicaID)
	require.NotNil(t, r.RiverJobID)
}

// An attempt that works longer than RecordRunningAfter is marked RUNNING
// while it works, with its RUN_STARTED event; a quicker one goes from
// SCHEDULED to its result, with its start recorded. The threshold is long
// enough that a loaded machine does not make the quick run slow.
func TestRunMarkedRunningOnceItWorksAWhile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	slow := make(chan struct{})
	work := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		if ds.Name == "slow" {
			<-slow
		}
		return &WorkResult{}, nil
	})
	sched, _ := runReplica(t, Config{
		Store: b.store, Etcd: etcdtest.Client(t), ReplicaID: "marker", Address: "http://marker", Work: work,
		SessionTTL: testTTL, KeyPrefix: etcdtest.Prefix(), Workers: 4, RecordRunningAfter: 2 * time.Second, Logger: quietLogger(),
	})
	waitLeading(t, sched)
	kindsOf := func(runID int64) []string {
		rows, err := b.store.Pool().Query(t.Context(), `SELECT kind FROM events WHERE run_id = $1 ORDER BY id`, runID)
		require.NoError(t, err)
		kinds, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		return kinds
	}

	quickDS := b.createInterval(t, "quick", time.Hour)
	quick, err := sched.TriggerRun(t.Context(), quickDS.ID)
	require.NoError(t, err)
	b.waitRunStatus(t, quick.ID, store.RunSucceeded, "the quick run to succeed")
	r, err := b.store.RunGetByID(t.Context(), quick.ID)
	require.NoError(t, err)
	require.Equal(t, []string{store.EventRunScheduled, store.EventRunSucceeded}, kindsOf(quick.ID))
	require.NotNil(t, r.StartedAt)
	require.False(t, r.StartedAt.After(*r.FinishedAt), "started before it finished")
	require.Equal(t, 1, r.Attempt)
	require.Equal(t, "marker", r.ReplicaID)

	slowDS := b.createInterval(t, "slow", time.Hour)
	long, err := sched.TriggerRun(t.Context(), slowDS.ID)
	require.NoError(t, err)
	b.waitRunStatus(t, long.ID, store.RunRunning, "the slow run to be marked RUNNING while it works")
	close(slow)
	b.waitRunStatus(t, long.ID, store.RunSucceeded, "the slow run to succeed")
	require.Equal(t, []string{store.EventRunScheduled, store.EventRunStarted, store.EventRunSucceeded}, kindsOf(long.ID))
	// Marked after two seconds, it still shows when it began.
	var startedAt, markedAt time.Time
	require.NoError(t, b.store.Pool().QueryRow(t.Context(), `
		SELECT r.started_at, e.occurred_at FROM runs r JOIN events e ON e.run_id = r.id AND e.kind = 'RUN_STARTED'
		WHERE r.id = $1`, long.ID).Scan(&startedAt, &markedAt))
	require.False(t, startedAt.After(markedAt.Add(-2*time.Second)), "started %v, marked RUNNING %v", startedAt, markedAt)
}

// An attempt is bounded by its datasource's run timeout as the run starts:
// an edit made after the run was planned applies to it.
func TestRunTimeoutBoundsTheAttempt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	work := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	sched, _ := startReplica(t, b, etcdtest.Prefix(), "timeout", work)
	waitLeading(t, sched)
	ds := b.createInterval(t, "hangs", time.Hour, func(p *store.DataSourceCreateParams) { p.MaxAttempts = 1 })
	require.Equal(t, store.DefaultRunTimeout, ds.RunTimeout)
	_, err := b.store.Pool().Exec(t.Context(), `UPDATE datasources SET run_timeout = '1 second' WHERE id = $1`, ds.ID)
	require.NoError(t, err)

	run, err := sched.TriggerRun(t.Context(), ds.ID)
	require.NoError(t, err)
	b.waitRunStatus(t, run.ID, store.RunFailed, "the hung run to time out")
	r, err := b.store.RunGetByID(t.Context(), run.ID)
	require.NoError(t, err)
	require.Equal(t, "timed out after 1s: context deadline exceeded", r.Error)
}

// triggerRun is unique per slot: triggers within one second share a run.
func TestTriggerRunUniquePerSecond(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sched, err := New(Config{Store: b.store, ReplicaID: "api", Work: noWork, Logger: quietLogger()})
	require.NoError(t, err)
	ds := b.createInterval(t, "manual", time.Hour)
	for {
		var wg sync.WaitGroup
		runs := make([]*store.Run, 4)
		for i := range runs {
			wg.Go(func() {
				r, err := sched.TriggerRun(t.Context(), ds.ID)
				require.NoError(t, err)
				runs[i] = r
			})
		}
		wg.Wait()
		sameSecond := true
		for _, r := range runs {
			sameSecond = sameSecond && r.ScheduledFor.Equal(runs[0].ScheduledFor)
		}
		if !sameSecond {
			continue // straddled a second boundary; try again
		}
		for _, r := range runs {
			require.Equal(t, runs[0].ID, r.ID)
		}
		break
	}
	_, err = sched.TriggerRun(t.Context(), uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
}

// BUFFER_ONE: while a run is in progress, one later slot waits and starts
// only once the earlier run has finished; further slots are SKIPPED.
func TestOverlapBufferOne(t *testing.T) {
	t.Parallel()
	b := setup(t)
	release := make(chan struct{})
	var first sync.Once
	work := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		hold := false
		first.Do(func() { hold = true })
		if hold {
			<-release
		}
		return &WorkResult{}, nil
	})
	startReplicaWorkers(t, b, etcdtest.Prefix(), "buffer", work, 3)
	ds := b.createInterval(t, "buffered", time.Second, func(p *store.DataSourceCreateParams) {
		p.Schedule.OverlapPolicy = OverlapBufferOne
	})
	eventually(t, "a skipped slot behind the buffered one", func() bool {
		for _, r := range b.runs(t, ds.ID) {
			if r.Status == store.RunSkipped {
				return true
			}
		}
		return false
	})
	close(release)
	eventually(t, "the buffered run to finish", func() bool {
		runs := b.runs(t, ds.ID)
		return len(runs) >= 2 && runs[1].Status == store.RunSucceeded
	})
	runs := b.runs(t, ds.ID)
	require.Equal(t, store.RunSucceeded, runs[0].Status)
	require.False(t, runs[1].StartedAt.Before(*runs[0].FinishedAt), "the buffered run started after the first finished")
	requireTiled(t, runs, time.Second)
}
