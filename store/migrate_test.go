package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

// The whole history, River's versions included, goes up, all the way down,
// and up again.
func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	m, err := store.NewMigrator(url)
	require.NoError(t, err)
	defer m.Close()

	require.ErrorIs(t, m.Check(), store.ErrSchemaBehind)
	require.NoError(t, m.Up())
	require.NoError(t, m.Check())
	requireRiverVersion(t, url, 8)

	require.NoError(t, m.Down(int(store.LatestVersion())))
	v, dirty, err := m.Version()
	require.NoError(t, err)
	require.Zero(t, v)
	require.False(t, dirty)
	requireTables(t, url, nil)

	require.NoError(t, m.Up())
	v, _, err = m.Version()
	require.NoError(t, err)
	require.Equal(t, store.LatestVersion(), v)
	requireTables(t, url, []string{"datasources", "events", "river_job", "river_leader", "river_migration", "river_queue"})
	requireRiverVersion(t, url, 8)

	t.Run("DownOneStep", func(t *testing.T) {
		require.NoError(t, m.Down(1))
		require.ErrorIs(t, m.Check(), store.ErrSchemaBehind)
		require.NoError(t, m.Up())
	})
	t.Run("DownRefusesZero", func(t *testing.T) {
		require.Error(t, m.Down(0))
	})
}

// A dirty schema (a migration that failed half way) is refused until forced.
func TestMigrateDirtyAndForce(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	m, err := store.NewMigrator(url)
	require.NoError(t, err)
	defer m.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `UPDATE schema_migrations SET dirty = true`)
	require.NoError(t, err)

	require.ErrorIs(t, m.Check(), store.ErrSchemaDirty)
	require.NoError(t, m.Force(int(store.LatestVersion())))
	require.NoError(t, m.Check())
}

// Every table and column of the application's schema explains itself in
// psql (\d+), so that operators can read it without the source.
func TestSchemaIsCommented(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)

	rows, err := conn.Query(ctx, `
		SELECT c.relname || coalesce('.' || a.attname, '')
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname IN ('public', 'ops')
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
		WHERE c.relkind IN ('r', 'v')
		  AND c.relname NOT LIKE 'river\_%' AND c.relname <> 'schema_migrations'
		  AND col_description(c.oid, coalesce(a.attnum, 0)) IS NULL
		  AND (a.attnum IS NOT NULL OR obj_description(c.oid, 'pg_class') IS NULL)`)
	require.NoError(t, err)
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Empty(t, missing, "add COMMENT ON for these")
}

func requireTables(t *testing.T, url string, want []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT tablename FROM pg_tables
		WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY tablename`,
		[]string{"datasources", "events", "river_job", "river_leader", "river_migration", "river_queue"})
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	if want == nil {
		require.Empty(t, got)
		return
	}
	require.Equal(t, want, got)
}

// River's own bookkeeping agrees with golang-migrate, so River's tools see
// the schema as migrated.
func requireRiverVersion(t *testing.T, url string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var got int
	require.NoError(t, conn.QueryRow(ctx, `SELECT max(version) FROM river_migration WHERE line = 'main'`).Scan(&got))
	require.Equal(t, want, got)

	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	require.NoError(t, err)
	res, err := migrator.Validate(ctx, nil)
	require.NoError(t, err)
	require.True(t, res.OK, "River's own migrator disagrees: %v", res.Messages)
}
