package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

func TestLeadershipHistoryList(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)

	terms, err := b.store.LeadershipHistoryList(ctx, &store.LeadershipHistoryListParams{First: 20})
	require.NoError(t, err)
	require.NotNil(t, terms)
	require.Empty(t, terms, "no leader yet")

	for _, p := range []store.LeaderRecordParams{
		{Epoch: 5, ReplicaID: "a", Address: "http://a"},
		{Epoch: 7, ReplicaID: "b", Address: "http://b"},
		{Epoch: 9, ReplicaID: "a", Address: "http://a"},
	} {
		require.NoError(t, b.store.LeaderRecord(ctx, &p))
	}

	terms, err = b.store.LeadershipHistoryList(ctx, &store.LeadershipHistoryListParams{First: 2})
	require.NoError(t, err)
	require.Len(t, terms, 2, "first limits")
	require.Equal(t, []int64{9, 7}, []int64{terms[0].Epoch, terms[1].Epoch}, "newest first")
	require.Equal(t, "a", terms[0].ReplicaID)
	require.Equal(t, "http://a", terms[0].Address)
	require.Nil(t, terms[0].EndedAt, "still leading")
	require.NotNil(t, terms[1].EndedAt, "superseded")
	require.False(t, terms[1].EndedAt.Before(terms[1].StartedAt))

	require.NoError(t, b.store.LeaderResigned(ctx, 9, "a"))
	terms, err = b.store.LeadershipHistoryList(ctx, &store.LeadershipHistoryListParams{First: 100})
	require.NoError(t, err)
	require.Len(t, terms, 3)
	require.NotNil(t, terms[0].EndedAt, "resigned")

	_, err = b.store.LeadershipHistoryList(ctx, &store.LeadershipHistoryListParams{First: 0})
	require.ErrorContains(t, err, "first must be at least 1")
}

// TestFrozenLeaderReleasesTheFence: a leader that stops sending statements
// inside its fenced transaction (frozen by SIGSTOP) holds the fencing row
// for idleLimit at most; its successor then records its epoch, and the
// frozen plan never commits.
func TestFrozenLeaderReleasesTheFence(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	require.NoError(t, b.store.LeaderRecord(ctx, &store.LeaderRecordParams{Epoch: 1, ReplicaID: "old"}))
	ds, err := b.store.DataSourceCreate(ctx, createParams("frozen"))
	require.NoError(t, err)

	fenced, wake, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- b.store.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.LeaderFence(ctx, 1, time.Second); err != nil {
				return err
			}
			if err := tx.SchedulesSetNext(ctx, []store.ScheduleNext{{DataSourceID: ds.ID, NextRunAt: time.Now()}}); err != nil {
				return err
			}
			close(fenced)
			<-wake // frozen: no statement reaches PostgreSQL
			return nil
		})
	}()
	<-fenced
	// The successor waits for the row, then gets it once PostgreSQL ends the
	// idle transaction.
	require.NoError(t, b.store.LeaderRecord(ctx, &store.LeaderRecordParams{Epoch: 2, ReplicaID: "new"}))
	close(wake)
	require.Error(t, <-done, "the frozen leader's plan does not commit")
	var events int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'SCHEDULE_NEXT_RUN'`).Scan(&events))
	require.Zero(t, events)
	leader, err := b.store.LeaderGet(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, leader.Epoch)
}
