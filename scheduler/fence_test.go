package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// I2: a leader whose epoch was superseded cannot enqueue, even though it is
// still running and has not noticed. The supersession is simulated by
// recording a newer epoch, not by timing.
func TestStaleLeaderIsFenced(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	ds := b.createInterval(t, "fenced", time.Second)

	p := b.leadingPlanner(t, "old", 5)
	_, err := p.planBatch(ctx, 5, p.now()) // computes the first slot
	require.NoError(t, err)

	// A new leader takes over while the old one keeps running.
	require.NoError(t, b.store.LeaderRecord(ctx, &store.LeaderRecordParams{Epoch: 6, ReplicaID: "new", Address: "b"}))
	require.ErrorIs(t, b.store.LeaderRecord(ctx, &store.LeaderRecordParams{Epoch: 5, ReplicaID: "old", Address: "a"}), store.ErrFenced,
		"an epoch can never go back")

	p.now = func() time.Time { return time.Now().Add(time.Minute) } // plenty of due slots
	_, err = p.planBatch(ctx, 5, p.now())
	require.ErrorIs(t, err, store.ErrFenced)
	require.Empty(t, b.runs(t, ds.ID), "the fenced leader planned nothing")
	var jobs int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&jobs))
	require.Zero(t, jobs, "and enqueued nothing")

	require.ErrorIs(t, p.reconcile(ctx, 5), nil, "reconcile with nothing to fix writes nothing")

	n, err := p.planBatch(ctx, 6, p.now())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NotEmpty(t, b.runs(t, ds.ID), "the current leader plans")

	var history []string
	rows, err := b.store.Pool().Query(ctx, `SELECT replica_id || ':' || (ended_at IS NOT NULL)::text FROM leadership_history ORDER BY epoch`)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		history = append(history, s)
	}
	require.Equal(t, []string{"old:true", "new:false"}, history)
}
