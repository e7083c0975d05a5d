// Package clientcompat checks that stock JavaScript subscription clients
// (graphql-ws and graphql-sse from npm, unmodified) work against a replica.
// The clients are pinned in package-lock.json; the test installs them with
// `npm ci` when node_modules is missing.
package clientcompat

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
)

// The tests share one PostgreSQL cluster and one etcd; both go when they end.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	etcdtest.Stop()
	os.Exit(code)
}

func TestStockClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not installed: CI must run this test")
		}
		t.Skip("node is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := os.Stat("node_modules/graphql-ws"); err != nil {
		out, err := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund").CombinedOutput()
		require.NoError(t, err, "npm ci: %s", out)
	}

	root := t.TempDir()
	dataDir := filepath.Join(root, "inbox")
	require.NoError(t, os.Mkdir(dataDir, 0o755))
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	cfg := &server.Config{
		InsecureNoAuth: true, // these tests are about other things; auth_test.go covers tokens
		DatabaseURL:    pgtest.NewDatabase(t), EtcdEndpoints: etcdtest.Endpoints(t), EtcdPrefix: etcdtest.Prefix(), HTTPAddr: "127.0.0.1:0",
		ReplicaID: "stock-clients", DataRoots: roots, ShutdownTimeout: 5 * time.Second,
	}
	ready := make(chan server.Ready, 1)
	done := make(chan error, 1)
	srvCtx, stop := context.WithCancel(ctx)
	go func() { done <- server.Run(srvCtx, cfg, func(r server.Ready) { ready <- r }) }()
	defer func() {
		stop()
		require.NoError(t, <-done)
	}()
	var base string
	select {
	case r := <-ready:
		base = r.BaseURL
	case err := <-done:
		t.Fatalf("replica stopped: %v", err)
	}

	// A datasource for the snapshot to show.
	out, err := exec.CommandContext(ctx, node, "--input-type=module", "-e", seedScript, base, dataDir).CombinedOutput()
	require.NoError(t, err, "seed: %s", out)

	out, err = exec.CommandContext(ctx, node, "stock_clients.mjs", base, dataDir).CombinedOutput()
	require.NoError(t, err, "stock clients: %s", out)
	require.JSONEq(t, `{
		"graphql-ws":  {"live": "DATASOURCE_CREATED", "resumed": "DATASOURCE_CREATED", "badCursor": "INVALID_CURSOR"},
		"graphql-sse": {"live": "DATASOURCE_CREATED", "resumed": "DATASOURCE_CREATED", "badCursor": "INVALID_CURSOR"}
	}`, string(out))
}

const seedScript = `
const [base, dataDir] = process.argv.slice(1);
const res = await fetch(base + '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ query: 'mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }',
    variables: { input: { name: 'seed', path: dataDir, filePattern: '*.csv', schedule: { interval: '1h' } } } }) });
const body = await res.json();
if (body.errors) { console.error(JSON.stringify(body.errors)); process.exit(1); }
`
