package hub_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/store"
)

// TestUnrelatedTransactionDoesNotStallStreams: a transaction that writes
// none of the events (an operator's forgotten BEGIN in psql) stays open,
// and live subscribers still get each event, while it is open.
func TestUnrelatedTransactionDoesNotStallStreams(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{})
	s, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources})
	require.NoError(t, err)

	conn, err := pgx.Connect(ctx, b.url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	open, err := conn.Begin(ctx)
	require.NoError(t, err)
	_, err = open.Exec(ctx, `SELECT pg_current_xact_id()`)
	require.NoError(t, err)
	_, err = open.Exec(ctx, `UPDATE datasources SET description = description WHERE false`)
	require.NoError(t, err)

	for _, name := range []string{"first", "second"} {
		ds, err := b.store.DataSourceCreate(ctx, createParams(name))
		require.NoError(t, err)
		m := next(t, s)
		require.Equal(t, store.EventDataSourceCreated, m.Kind)
		require.Equal(t, ds.ID, m.Data.DataSource.ID)
	}
	var xid string
	require.NoError(t, open.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid), "still open")
	require.NoError(t, open.Rollback(ctx))
}
