package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// TestEventListIgnoresUnrelatedTransactions: a write transaction that
// cannot write events (a psql session, a report) stays open, and events
// committed after it are still streamed while it is open.
func TestEventListIgnoresUnrelatedTransactions(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	_, err := b.store.Pool().Exec(ctx, `CREATE TABLE unrelated (n int)`)
	require.NoError(t, err)

	other := connect(ctx, t, b.url)
	otherTx, err := other.Begin(ctx)
	require.NoError(t, err)
	_, err = otherTx.Exec(ctx, `INSERT INTO unrelated VALUES (1)`)
	require.NoError(t, err)
	var otherXID uint64
	require.NoError(t, otherTx.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&otherXID))

	ds, err := b.store.DataSourceCreate(ctx, createParams("not-held-back"))
	require.NoError(t, err)

	events := settledEvents(t, ctx, b.store)
	require.Len(t, events, 1)
	require.Equal(t, ds.ID, *events[0].DataSourceID)
	require.Greater(t, events[0].Cursor.TxID, otherXID, "the event is younger than the open transaction")
	head, err := b.store.EventHead(ctx)
	require.NoError(t, err)
	require.Equal(t, events[0].Cursor, head)

	var streamed bool
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT streamed FROM ops.event_stream WHERE cursor = $1`,
		events[0].Cursor.String()).Scan(&streamed))
	require.True(t, streamed, "ops.event_stream agrees")

	// The unrelated transaction was open all along.
	var open bool
	require.NoError(t, otherTx.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint = $1`, otherXID).Scan(&open))
	require.True(t, open)
	require.NoError(t, otherTx.Commit(ctx))
}

// TestEventListWaitsForWriterBeforeItsEvents: a store transaction may write
// events until it commits, so the stream waits for it from its start, even
// before it inserted any event, and loses nothing that commits after it.
func TestEventListWaitsForWriterBeforeItsEvents(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)

	hasXID, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.store.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Pgx().Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
				return err
			}
			close(hasXID)
			<-release
			return nil
		})
	}()
	<-hasXID

	_, err := b.store.DataSourceCreate(ctx, createParams("behind-a-writer"))
	require.NoError(t, err)
	events, more, err := b.store.EventList(ctx, &store.EventListParams{})
	require.NoError(t, err)
	require.Empty(t, events, "an older transaction that may still write events holds the stream")
	require.True(t, more)

	close(release)
	require.NoError(t, <-done)
	events = settledEvents(t, ctx, b.store)
	require.Len(t, events, 1)
	require.Equal(t, store.EventDataSourceCreated, events[0].Kind)
}
