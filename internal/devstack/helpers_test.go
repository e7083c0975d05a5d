package devstack

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

func TestMain(m *testing.M) {
	// TestPostgresKilledWithBusyBackend waits this long; the default suits
	// big clusters.
	leftoverExitTimeout = 2 * time.Second
	os.Exit(m.Run())
}

// tempDir returns an empty directory that, like its parents, any user can
// enter: as root, PostgreSQL runs as another user that must reach it.
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	return dir
}

// testContext returns a context that ends with the test, bounded so that a
// hang fails the test rather than the whole run.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startPostgres starts an ephemeral cluster in dir and stops it at the end
// of the test.
func startPostgres(t *testing.T, dir string, log *syncbuf.Buffer) *Postgres {
	t.Helper()
	p, err := StartPostgres(testContext(t), PostgresOptions{DataDir: dir, Log: log, Ephemeral: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = p.Stop(ctx)
	})
	return p
}

// queryInt runs a query returning one integer.
func queryInt(t *testing.T, url, sql string) int {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, sql).Scan(&n))
	return n
}

func execSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	require.NoError(t, err)
}
