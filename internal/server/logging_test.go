package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/gqltest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

// Through a start, runs (one failing, so that errors are logged), the
// leadership and a shutdown, the database password never reaches the log,
// and every line names the replica; the leader's lines name their epoch.
func TestLogsNameTheReplicaAndNeverThePassword(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	parsed, err := url.Parse(dbURL)
	require.NoError(t, err)
	password, ok := parsed.User.Password()
	require.True(t, ok && password != "", "the test database URL has a password")

	root := t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	var logs syncbuf.Buffer
	cfg := &server.Config{
		InsecureNoAuth: true, // these tests are about other things; auth_test.go covers tokens
		DatabaseURL:    dbURL, EtcdEndpoints: etcdtest.Endpoints(t), EtcdPrefix: etcdtest.Prefix(), HTTPAddr: "127.0.0.1:0",
		ReplicaID: "logged", DataRoots: roots, ShutdownTimeout: 5 * time.Second, SessionTTL: 2 * time.Second,
		Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan server.Ready, 1)
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, func(r server.Ready) { ready <- r }) }()
	var base string
	select {
	case r := <-ready:
		base = r.BaseURL
	case err := <-done:
		t.Fatalf("replica stopped: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("replica did not start")
	}

	// A datasource whose directory goes away fails its runs: the failed
	// attempts are logged with their errors.
	dir := filepath.Join(root, "inbox")
	require.NoError(t, os.Mkdir(dir, 0o755))
	gqltest.Do(t, base, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "logged", "supplierName": "ACME", "path": dir, "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1s"},
		}})
	require.NoError(t, os.Remove(dir))
	require.Eventually(t, func() bool {
		return strings.Contains(logs.String(), "run attempt failed") && strings.Contains(logs.String(), "elected leader")
	}, time.Minute, 100*time.Millisecond, "a failed attempt and the election are logged")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("replica did not stop")
	}

	out := logs.String()
	require.NotContains(t, out, password)
	require.Contains(t, out, "shutting down")
	for line := range strings.Lines(out) {
		var record map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &record), line)
		require.Equal(t, "logged", record["replica"], "a line without its replica: %s", line)
		msg, _ := record["msg"].(string)
		if strings.Contains(msg, "elected leader") || strings.Contains(msg, "resigned leadership") {
			require.NotNil(t, record["epoch"], line)
		}
		if strings.Contains(msg, "run attempt failed") {
			require.NotNil(t, record["run"], line)
		}
	}
}
