package server

import (
	"bytes"
	"log/slog"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

// With the database unreachable, a scrape still answers: the pool's
// metrics are there, the queried ones are left out, and the log says why.
func TestScrapeWithoutDatabase(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	pool, err := pgxpool.New(t.Context(), "postgres://ez:secret@"+dead+"/ez?connect_timeout=1")
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	var logs bytes.Buffer
	m := newMetrics()
	m.observeDatabase(pool, slog.New(slog.NewTextHandler(&logs, nil)))
	families, err := m.registry.Gather()
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	require.True(t, names["ezplatform_db_pool_max_connections"])
	require.True(t, names["ezplatform_build_info"])
	require.False(t, names["ezplatform_river_jobs"])
	require.False(t, names["ezplatform_postgres_notification_queue_usage_ratio"])
	require.Contains(t, logs.String(), "metrics: counting River jobs")
	require.Contains(t, logs.String(), "metrics: reading pg_notification_queue_usage()")
}
