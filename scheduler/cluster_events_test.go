package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
)

func nextClusterEvent(t *testing.T, s *ClusterStream) *ClusterEvent {
	t.Helper()
	got := make(chan *ClusterEvent, 1)
	go func() { got <- s.Next() }()
	select {
	case e := <-got:
		require.NotNil(t, e, "stream ended: %v", s.Err())
		return e
	case <-time.After(30 * time.Second):
		s.Close()
		t.Fatal("no cluster event within 30 s")
		return nil
	}
}

func describe(e *ClusterEvent) string { return fmt.Sprintf("%s %s", e.Kind, e.Member.ReplicaID) }

// TestClusterEvents: a snapshot, then joins, a handover and a departure, as
// any replica sees them; a cursor replays from etcd's history.
func TestClusterEvents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	prefix := etcdtest.Prefix()
	a, stopA := startReplica(t, b, prefix, "a", noWork)
	waitLeading(t, a)

	ctx, cancel := context.WithCancel(t.Context())
	s, err := a.ClusterEvents(ctx, nil)
	require.NoError(t, err)
	first := nextClusterEvent(t, s)
	require.Equal(t, "REPLICA_JOINED a", describe(first))
	require.True(t, first.Snapshot)
	leader := nextClusterEvent(t, s)
	require.Equal(t, "LEADER_ELECTED a", describe(leader))
	require.Equal(t, a.Epoch(), leader.Epoch)

	bSched, _ := startReplica(t, b, prefix, "b", noWork)
	joined := nextClusterEvent(t, s)
	require.Equal(t, "REPLICA_JOINED b", describe(joined))
	require.False(t, joined.Snapshot)

	// Watch from b, which outlives a.
	fromB, err := bSched.ClusterEvents(t.Context(), &joined.Cursor)
	require.NoError(t, err)

	stopA() // resigns and leaves
	var got []string
	for len(got) < 3 {
		got = append(got, describe(nextClusterEvent(t, fromB)))
	}
	require.ElementsMatch(t, []string{"LEADER_LOST a", "LEADER_ELECTED b", "REPLICA_LEFT a"}, got)
	require.Less(t, indexOf(got, "LEADER_LOST a"), indexOf(got, "LEADER_ELECTED b"))
	cancel()

	t.Run("Resume", func(t *testing.T) {
		again, err := bSched.ClusterEvents(t.Context(), &joined.Cursor)
		require.NoError(t, err)
		var replayed []string
		for len(replayed) < 3 {
			replayed = append(replayed, describe(nextClusterEvent(t, again)))
		}
		require.Equal(t, got, replayed, "a replay derives the same events in the same order")
	})
	t.Run("BadCursor", func(t *testing.T) {
		for _, c := range []string{"", "etcd-x-1", "5:3", "etcd-1", "etcd--1-0"} {
			_, err := ParseClusterCursor(c)
			require.ErrorIs(t, err, ErrClusterCursor, c)
		}
		_, err := bSched.ClusterEvents(t.Context(), &ClusterCursor{Revision: 1 << 50})
		require.ErrorIs(t, err, ErrClusterCursor)
	})
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
