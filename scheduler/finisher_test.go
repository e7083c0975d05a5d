package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// Finishes that arrive together commit together, and one that fails is
// reported to its caller alone: the others still commit, once each, with
// their events in order.
func TestFinisherIsolatesAFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	ds := b.createInterval(t, "finish", time.Second)

	const n = 200
	inserts := make([]store.RunInsert, n)
	slot := time.Now().UTC().Truncate(time.Second)
	for i := range inserts {
		inserts[i] = store.RunInsert{DataSourceID: ds.ID, ScheduledFor: slot.Add(time.Duration(i) * time.Second),
			Trigger: "SCHEDULE", Status: store.RunScheduled, MaxAttempts: 1}
	}
	var runs []*store.Run
	require.NoError(t, b.store.InTx(ctx, func(tx *store.Tx) (err error) {
		runs, err = tx.RunsInsert(ctx, inserts)
		return err
	}))
	require.Len(t, runs, n)

	f := newFinisher(b.store, newMetrics(nil))
	runCtx, stop := context.WithCancel(ctx)
	var served sync.WaitGroup
	served.Go(func() { f.run(runCtx) })
	defer func() { stop(); served.Wait() }()

	// One more finish than runs: it names a run that does not exist.
	const missing = -1
	errs := make([]error, n+1)
	var callers sync.WaitGroup
	for i := range n + 1 {
		callers.Go(func() {
			params := &store.RunFinishParams{RunID: missing, Status: store.RunSucceeded, Attempt: 1}
			if i < n {
				params.RunID, params.FilesFound = runs[i].ID, i%3
			}
			errs[i] = f.finish(finishRequest{ctx: ctx, finish: params})
		})
	}
	callers.Wait()

	for i, err := range errs {
		if i == n {
			require.ErrorIs(t, err, store.ErrNotFound)
		} else {
			require.NoError(t, err, "finish %d", i)
		}
	}
	var succeeded, withFiles, finishedEvents, filesEvents, filesAfterStatus, transactions int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE status = 'SUCCEEDED'), count(*) FILTER (WHERE files_found > 0)
		FROM runs WHERE datasource_id = $1`, ds.ID).Scan(&succeeded, &withFiles))
	require.NoError(t, b.store.Pool().QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE s.kind = 'RUN_SUCCEEDED'),
			count(*) FILTER (WHERE s.kind = 'FILES_DISCOVERED'),
			count(*) FILTER (WHERE s.kind = 'FILES_DISCOVERED' AND EXISTS (
				SELECT 1 FROM events e WHERE e.run_id = s.run_id AND e.kind = 'RUN_SUCCEEDED' AND e.tx_id = s.tx_id AND e.id < s.id)),
			count(DISTINCT s.tx_id)
		FROM events s WHERE s.datasource_id = $1 AND s.kind IN ('RUN_SUCCEEDED', 'FILES_DISCOVERED')`, ds.ID).
		Scan(&finishedEvents, &filesEvents, &filesAfterStatus, &transactions))
	require.Equal(t, n, succeeded, "every run finished")
	require.Equal(t, n, finishedEvents, "one event per finish: none twice, none from the rolled-back group")
	require.Equal(t, withFiles, filesEvents)
	require.Equal(t, filesEvents, filesAfterStatus, "a run's FILES_DISCOVERED follows its status event")
	require.Less(t, transactions, n, "some finishes shared a transaction")
}
