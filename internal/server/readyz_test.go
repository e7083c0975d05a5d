package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/store"
)

// TestReadyzFollowsPostgres: /readyz turns 503, naming the database, while
// PostgreSQL is down, and 200 again once it is back; /healthz stays 200.
func TestReadyzFollowsPostgres(t *testing.T) {
	if os.Getenv("EZ_TEST_DATABASE_URL") != "" {
		t.Skip("restarts a private PostgreSQL cluster; EZ_TEST_DATABASE_URL names a shared server")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "ezplatform-readyz-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755)) // the cluster runs as the postgres user when tests run as root
	opts := devstack.PostgresOptions{DataDir: filepath.Join(dir, "postgres"), Ephemeral: true}
	pg, err := devstack.StartPostgres(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pg.Stop(context.Background()) })
	url := pg.URL("postgres")
	m, err := store.NewMigrator(url)
	require.NoError(t, err)
	require.NoError(t, m.Up())
	require.NoError(t, m.Close())

	roots, err := discovery.NewRoots(t.TempDir())
	require.NoError(t, err)
	cfg := &server.Config{
		InsecureNoAuth: true, // about readiness, not tokens
		DatabaseURL:    url, EtcdEndpoints: etcdtest.Endpoints(t), EtcdPrefix: etcdtest.Prefix(), HTTPAddr: "127.0.0.1:0",
		ReplicaID: "readyz", DataRoots: roots, ShutdownTimeout: 5 * time.Second, SessionTTL: 2 * time.Second,
	}
	runCtx, stop := context.WithCancel(ctx)
	ready, done := make(chan server.Ready, 1), make(chan error, 1)
	go func() { done <- server.Run(runCtx, cfg, func(r server.Ready) { ready <- r }) }()
	t.Cleanup(func() { stop(); <-done })
	base := (<-ready).BaseURL

	probe := func(path string) (int, map[string]string) {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		defer res.Body.Close()
		var body struct {
			Checks map[string]string `json:"checks"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Checks
	}
	status, _ := probe("/readyz")
	require.Equal(t, http.StatusOK, status)

	require.NoError(t, pg.Stop(ctx))
	require.Eventually(t, func() bool {
		status, checks := probe("/readyz")
		return status == http.StatusServiceUnavailable && checks["database"] != "ok" && checks["etcd"] == "ok"
	}, time.Minute, 100*time.Millisecond)
	status, _ = probe("/healthz")
	require.Equal(t, http.StatusOK, status, "liveness does not depend on the database")

	pg, err = devstack.StartPostgres(ctx, opts)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		status, _ := probe("/readyz")
		return status == http.StatusOK
	}, time.Minute, 100*time.Millisecond)
}
