package graph

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBoundedCacheByBytes: the cache holds what fits in its bytes, drops
// the least recently used first, and keeps nothing larger than an entry
// may be.
func TestBoundedCacheByBytes(t *testing.T) {
	ctx := context.Background()
	c := newBoundedCache(100, 10, 5, func(key string, _ int) int { return len(key) })
	c.Add(ctx, "aaaa", 1)
	c.Add(ctx, "bbbb", 2)
	_, _ = c.Get(ctx, "aaaa") // now the most recent
	c.Add(ctx, "cccc", 3)     // 12 bytes: bbbb goes
	_, ok := c.Get(ctx, "bbbb")
	require.False(t, ok)
	for key, want := range map[string]int{"aaaa": 1, "cccc": 3} {
		v, ok := c.Get(ctx, key)
		require.True(t, ok, key)
		require.Equal(t, want, v)
	}
	c.Add(ctx, strings.Repeat("x", 6), 4)
	_, ok = c.Get(ctx, "xxxxxx")
	require.False(t, ok, "larger than an entry may be")
	require.Equal(t, 8, c.bytes)
	c.Add(ctx, "aaaa", 5) // replaced, not counted twice
	require.Equal(t, 8, c.bytes)
	require.Len(t, c.items, 2)
}
