package scheduler

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
	"github.com/ezplatform/ezplatform/store"
)

// A first attempt that starts long after its slot is logged once a minute;
// retries, BUFFER_ONE waits and catch-ups planned late are not.
func TestWarnIfLate(t *testing.T) {
	t.Parallel()
	var logs syncbuf.Buffer
	w := &runWorker{logger: slog.New(slog.NewTextHandler(&logs, nil)),
		lateStart: lateStartWarning{after: time.Second, workers: 7}}
	long := time.Now().Add(-time.Minute)
	job := func(attempt int, created time.Time) *river.Job[RunArgs] {
		return &river.Job[RunArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, CreatedAt: created}}
	}
	skip, buffered := &store.DataSource{}, &store.DataSource{}
	skip.Schedule.OverlapPolicy, buffered.Schedule.OverlapPolicy = OverlapSkip, OverlapBufferOne
	run := &store.Run{ID: 42, ScheduledFor: long}
	count := func() int { return strings.Count(logs.String(), "runs start late") }

	w.warnIfLate(job(2, long), skip, run)
	w.warnIfLate(job(1, long), buffered, run)
	w.warnIfLate(job(1, time.Now()), skip, run) // planned just now: a catch-up
	require.Zero(t, count(), logs.String())

	w.warnIfLate(job(1, long), skip, run)
	require.Equal(t, 1, count())
	require.Contains(t, logs.String(), "workers=7")
	require.Contains(t, logs.String(), "run=42")
	w.warnIfLate(job(1, long), skip, run)
	require.Equal(t, 1, count(), "at most once a minute")
}

// A replica with one worker and three coinciding slots a second, each run
// taking longer than the warning's threshold, says so in its log.
func TestLateStartsAreLogged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var logs syncbuf.Buffer
	slow := WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		time.Sleep(300 * time.Millisecond)
		return &WorkResult{}, nil
	})
	runReplica(t, Config{
		Store: b.store, Etcd: etcdtest.Client(t), ReplicaID: "late", Address: "http://late", Work: slow,
		SessionTTL: testTTL, KeyPrefix: etcdtest.Prefix(), Workers: 1, LateStartWarning: 200 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	for _, name := range []string{"late-1", "late-2", "late-3"} {
		b.createInterval(t, name, time.Second)
	}
	eventually(t, "the late-start warning", func() bool { return strings.Contains(logs.String(), "runs start late") })
	require.Contains(t, logs.String(), "workers=1")
}
