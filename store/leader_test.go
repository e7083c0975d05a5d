package store_test

import (
	"testing"

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
