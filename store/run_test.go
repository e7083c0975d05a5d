package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// One RunsStart statement starts what it can and says why the rest did not
// start, in the order asked.
func TestRunsStartBatch(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("batch"))
	require.NoError(t, err)
	slot := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var runs []*store.Run
	err = b.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		runs, err = tx.RunsInsert(ctx, []store.RunInsert{
			{DataSourceID: ds.ID, ScheduledFor: slot, Trigger: store.TriggerSchedule, Status: store.RunScheduled, MaxAttempts: 3},
			{DataSourceID: ds.ID, ScheduledFor: slot.Add(time.Second), Trigger: store.TriggerSchedule, Status: store.RunSkipped, MaxAttempts: 3},
		})
		return err
	})
	require.NoError(t, err)
	require.Len(t, runs, 2)
	scheduled, skipped := runs[0], runs[1]
	if scheduled.Status != store.RunScheduled {
		scheduled, skipped = skipped, scheduled
	}

	results, err := b.store.RunsStart(ctx, []store.RunStartParams{
		{RunID: 999_999, JobID: 1, Attempt: 1, ReplicaID: "r"},
		{RunID: scheduled.ID, JobID: 42, Attempt: 1, ReplicaID: "r"},
		{RunID: skipped.ID, JobID: 43, Attempt: 1, ReplicaID: "r"},
	})
	require.NoError(t, err)
	require.ErrorIs(t, results[0].Err, store.ErrNotFound)
	require.NoError(t, results[1].Err)
	require.Equal(t, store.RunRunning, results[1].Run.Status)
	require.EqualValues(t, 42, *results[1].Run.RiverJobID)
	require.Equal(t, ds.ID, results[1].DataSource.ID)
	require.ErrorIs(t, results[2].Err, store.ErrRunFinal)

	var started int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'RUN_STARTED' AND run_id = $1`, scheduled.ID).Scan(&started))
	require.Equal(t, 1, started)
}
