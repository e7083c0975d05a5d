package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// Finishes that arrive together commit together, and one that fails is
// reported to its caller alone: the others still commit, it does not.
func TestFinisherIsolatesAFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	_, err := b.store.Pool().Exec(ctx, `CREATE TABLE probe (n int PRIMARY KEY)`)
	require.NoError(t, err)

	f := newFinisher(b.store, newMetrics(nil))
	runCtx, stop := context.WithCancel(ctx)
	var served sync.WaitGroup
	served.Go(func() { f.run(runCtx) })
	defer func() { stop(); served.Wait() }()

	const n, failing = 200, 77
	boom := errors.New("boom")
	errs := make([]error, n)
	var callers sync.WaitGroup
	for i := range n {
		callers.Go(func() {
			errs[i] = f.finish(func(tx *store.Tx) error {
				if _, err := tx.Pgx().Exec(ctx, `INSERT INTO probe VALUES ($1)`, i); err != nil {
					return err
				}
				if i == failing {
					return boom
				}
				return nil
			})
		})
	}
	callers.Wait()

	for i, err := range errs {
		if i == failing {
			require.ErrorIs(t, err, boom)
		} else {
			require.NoError(t, err, "finish %d", i)
		}
	}
	var rows int
	var hasFailing bool
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*), bool_or(n = $1) FROM probe`, failing).Scan(&rows, &hasFailing))
	require.Equal(t, n-1, rows, "every other finish committed, once")
	require.False(t, hasFailing, "the failed finish rolled back")
}
