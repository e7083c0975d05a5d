package graph

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

// TestParseAfter: every stream's after argument goes through one codec
// (the cursor's UnmarshalText), with one error for a cursor it cannot read.
func TestParseAfter(t *testing.T) {
	t.Parallel()
	text := func(s string) *string { return &s }

	none, err := parseAfter[store.EventCursor](nil, "an event cursor")
	require.NoError(t, err)
	require.Nil(t, none)

	event, err := parseAfter[store.EventCursor](text("12:34"), "an event cursor")
	require.NoError(t, err)
	require.Equal(t, store.EventCursor{TxID: 12, ID: 34}, *event)

	cluster, err := parseAfter[scheduler.ClusterCursor](text("etcd-5-1"), "a cluster event cursor")
	require.NoError(t, err)
	require.Equal(t, scheduler.ClusterCursor{Revision: 5, Index: 1}, *cluster)

	for _, bad := range []func() error{
		func() error {
			_, err := parseAfter[scheduler.ClusterCursor](text("12:34"), "a cluster event cursor")
			return err
		},
		func() error { _, err := parseAfter[store.EventCursor](text("etcd-5-1"), "an event cursor"); return err },
	} {
		var fe *fieldError
		require.True(t, errors.As(bad(), &fe))
		require.Equal(t, CodeInvalidCursor, fe.Code)
		require.Equal(t, "after", fe.Field)
	}
}
