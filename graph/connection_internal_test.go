package graph

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConnection(t *testing.T) {
	t.Parallel()
	type edge struct {
		cursor string
		node   int
	}
	mk := func(cursor string, n int) edge { return edge{cursor, n} }

	edges, info := connection([]int{1, 2}, []string{"a", "b"}, true, "z", mk)
	require.Equal(t, []edge{{"a", 1}, {"b", 2}}, edges)
	require.True(t, info.HasNextPage)
	require.True(t, info.HasPreviousPage, "a page asked after a cursor has one before it")
	require.Equal(t, "a", *info.StartCursor)
	require.Equal(t, "b", *info.EndCursor)

	edges, info = connection([]int(nil), nil, false, "", mk)
	require.Empty(t, edges)
	require.NotNil(t, edges, "an empty page has an empty list of edges, not null")
	require.False(t, info.HasNextPage || info.HasPreviousPage)
	require.Nil(t, info.StartCursor)
	require.Nil(t, info.EndCursor)
}
