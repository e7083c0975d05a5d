package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

// TestOpenPoolSize: a replica's pool is DefaultMaxConns unless the URL
// says otherwise.
func TestOpenPoolSize(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	for _, tc := range []struct {
		url  string
		want int32
	}{
		{url, store.DefaultMaxConns},
		{url + sep + "pool_max_conns=7", 7},
	} {
		pool, err := store.Open(context.Background(), tc.url)
		require.NoError(t, err)
		require.Equal(t, tc.want, pool.Config().MaxConns, tc.url)
		pool.Close()
	}
	_, err := store.Open(context.Background(), url+sep+"pool_max_conns=zero")
	require.ErrorContains(t, err, "pool_max_conns")
}
