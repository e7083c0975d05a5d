package scheduler

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

type testBundle struct {
	store *store.Store
	dbURL string
}

func setup(t testing.TB) *testBundle {
	t.Helper()
	s, url := pgtest.NewStore(t)
	return &testBundle{store: s, dbURL: url}
}

// leadingPlanner is the planner of a replica that is not running, with
// epoch recorded as the leader's: tests drive it step by step.
func (b *testBundle) leadingPlanner(t testing.TB, replicaID string, epoch int64) *planner {
	t.Helper()
	sched, err := New(Config{Store: b.store, ReplicaID: replicaID, Work: noWork, Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, b.store.LeaderRecord(t.Context(), &store.LeaderRecordParams{Epoch: epoch, ReplicaID: replicaID, Address: "a"}))
	return sched.planner
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

var noWork = WorkFunc(func(context.Context, *store.DataSource, *store.Run) (*WorkResult, error) {
	return &WorkResult{}, nil
})

func (b *testBundle) createInterval(t testing.TB, name string, interval time.Duration, edit ...func(*store.DataSourceCreateParams)) *store.DataSource {
	t.Helper()
	p := &store.DataSourceCreateParams{
		Name: name, Path: "/data/" + name, FilePattern: "*", Enabled: true,
		Schedule: store.Schedule{Interval: interval, Anchor: DefaultAnchor, Timezone: "UTC",
			MisfirePolicy: MisfireFireOnce, OverlapPolicy: OverlapSkip},
	}
	for _, e := range edit {
		e(p)
	}
	ds, err := b.store.DataSourceCreate(t.Context(), p)
	require.NoError(t, err)
	return ds
}

// runs returns a datasource's runs in slot order.
func (b *testBundle) runs(t testing.TB, dsID uuid.UUID) []*store.Run {
	t.Helper()
	page, err := b.store.RunList(t.Context(), &store.RunListParams{DataSourceID: dsID, First: 100_000})
	require.NoError(t, err)
	out := page.Runs
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// eventually polls cond until it holds, failing after a minute. The
// deadline only guards against hangs; nothing asserts on elapsed time.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitRunStatus waits until a run has status.
func (b *testBundle) waitRunStatus(t testing.TB, runID int64, status, what string) {
	t.Helper()
	eventually(t, what, func() bool {
		r, err := b.store.RunGetByID(t.Context(), runID)
		require.NoError(t, err)
		return r.Status == status
	})
}

// requireTiled checks I3 for an interval schedule: from the first row to the
// last, rows cover consecutive slots with no gap and no overlap.
func requireTiled(t testing.TB, runs []*store.Run, interval time.Duration) int {
	t.Helper()
	slots := 0
	for i, r := range runs {
		end := r.ScheduledFor
		if r.CoversUntil != nil {
			end = *r.CoversUntil
		}
		require.Equal(t, int(end.Sub(r.ScheduledFor)/interval)+1, r.SlotCount, "run %d slot count", r.ID)
		if i > 0 {
			prev := runs[i-1]
			prevEnd := prev.ScheduledFor
			if prev.CoversUntil != nil {
				prevEnd = *prev.CoversUntil
			}
			require.Equal(t, prevEnd.Add(interval), r.ScheduledFor,
				fmt.Sprintf("gap or overlap between run %d (%s, %s) and run %d (%s, %s)", prev.ID, prev.ScheduledFor, prev.Status, r.ID, r.ScheduledFor, r.Status))
		}
		slots += r.SlotCount
	}
	return slots
}

func ptrTo[T any](v T) *T { return &v }
