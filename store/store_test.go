package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

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

// TestInTxCommitAt: the transaction's work becomes visible at at, not
// before, and is rolled back if ctx ends while it waits.
func TestInTxCommitAt(t *testing.T) {
	t.Parallel()
	s, _ := pgtest.NewStore(t)
	ctx := t.Context()
	_, err := s.Pool().Exec(ctx, `CREATE TABLE probe (n int)`)
	require.NoError(t, err)
	insert := func(n int, then func()) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			_, err := tx.Pgx().Exec(ctx, `INSERT INTO probe VALUES ($1)`, n)
			then()
			return err
		}
	}

	at := time.Now().Add(300 * time.Millisecond)
	done := make(chan error, 1)
	var waited time.Duration
	go func() {
		var err error
		waited, err = s.InTxCommitAt(ctx, at, insert(1, func() {}))
		done <- err
	}()
	pgtest.RequireVisibleNotBefore(t, s.Pool(), at, `EXISTS (SELECT 1 FROM probe WHERE n = 1)`)
	require.NoError(t, <-done)
	require.Positive(t, waited, "it waited for at")

	waiting, cancel := context.WithCancel(ctx)
	inserted := make(chan struct{})
	go func() {
		_, err := s.InTxCommitAt(waiting, time.Now().Add(time.Hour), insert(2, func() { close(inserted) }))
		done <- err
	}()
	<-inserted
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	var n int
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT count(*) FROM probe WHERE n = 2`).Scan(&n))
	require.Zero(t, n, "rolled back")
}

// A dedicated Store has connections of its own, as many as asked, and
// closing it leaves the original alone.
func TestDedicated(t *testing.T) {
	t.Parallel()
	s, _ := pgtest.NewStore(t)
	own, err := s.Dedicated(3)
	require.NoError(t, err)
	require.EqualValues(t, 3, own.Pool().Config().MaxConns)
	require.NoError(t, own.Ping(t.Context()))
	own.Pool().Close()
	require.NoError(t, s.Ping(t.Context()))
}
