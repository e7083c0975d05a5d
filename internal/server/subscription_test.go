package server_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/gqltest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
)

// startReplicas runs n replicas of one cluster (one database, one etcd)
// until the test ends, and returns their base URLs and the database URL.
func startReplicas(t *testing.T, n int, root string) ([]string, string) {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	// The tests share etcdtest's server: each cluster elects its leader
	// under a prefix of its own.
	prefix := etcdtest.Prefix()
	var urls []string
	for i := range n {
		cfg := &server.Config{
			InsecureNoAuth: true, // these tests are about other things; auth_test.go covers tokens
			DatabaseURL:    dbURL, EtcdEndpoints: etcdtest.Endpoints(t), EtcdPrefix: prefix, HTTPAddr: "127.0.0.1:0",
			ReplicaID: string(rune('a' + i)), DataRoots: roots, ShutdownTimeout: 5 * time.Second,
			SessionTTL: 2 * time.Second,
		}
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan server.Ready, 1)
		done := make(chan error, 1)
		go func() { done <- server.Run(ctx, cfg, func(r server.Ready) { ready <- r }) }()
		t.Cleanup(func() {
			cancel()
			require.NoError(t, <-done)
		})
		select {
		case r := <-ready:
			urls = append(urls, r.BaseURL)
		case err := <-done:
			t.Fatalf("replica %s stopped: %v", cfg.ReplicaID, err)
		case <-time.After(time.Minute):
			t.Fatalf("replica %s did not start", cfg.ReplicaID)
		}
	}
	return urls, dbURL
}

// subscribeWS opens a graphql-transport-ws subscription and returns a
// function that reads its next result.
func subscribeWS(t *testing.T, base, query string) func() map[string]any {
	t.Helper()
	ctx := t.Context()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	write := func(v any) {
		data, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, conn.Write(ctx, websocket.MessageText, data))
	}
	type message struct {
		ID      string          `json:"id"`
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	read := func() message {
		readCtx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for {
			_, data, err := conn.Read(readCtx)
			require.NoError(t, err)
			var m message
			require.NoError(t, json.Unmarshal(data, &m))
			if m.Type == "ping" {
				write(map[string]any{"type": "pong"})
				continue
			}
			return m
		}
	}
	write(map[string]any{"type": "connection_init"})
	require.Equal(t, "connection_ack", read().Type)
	write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}})
	return func() map[string]any {
		m := read()
		require.Equal(t, "next", m.Type, "%s", m.Payload)
		var result struct {
			Data map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(m.Payload, &result))
		return result.Data
	}
}

// Clusters that share an etcd under prefixes of their own each elect their
// own leader and see only their own replicas.
func TestClustersShareEtcd(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	first, _ := startReplicas(t, 1, root)
	second, _ := startReplicas(t, 1, root) // its replica is also called "a"
	for _, base := range []string{first[0], second[0]} {
		require.Eventually(t, func() bool {
			cluster := gqltest.Do(t, base, `{ cluster { leader { address } replicas { address } } }`, nil)["cluster"].(map[string]any)
			leader, _ := cluster["leader"].(map[string]any)
			replicas, _ := cluster["replicas"].([]any)
			return leader != nil && leader["address"] == base &&
				len(replicas) == 1 && replicas[0].(map[string]any)["address"] == base
		}, 30*time.Second, 50*time.Millisecond, "the cluster of %s elects its own leader", base)
	}
}

// TestCrossReplicaDelivery: a subscriber on replica b sees a datasource
// created through replica c, and the runs of that datasource, whichever
// replica works them.
func TestCrossReplicaDelivery(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "inbox"), 0o755))
	urls, dbURL := startReplicas(t, 3, root)
	a, b, c := urls[0], urls[1], urls[2]

	// One LISTEN connection per replica, the leader's included: the hub and
	// the planner share it.
	conn, err := pgx.Connect(t.Context(), dbURL)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	listening := func() int {
		var n int
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool {
		leader, _ := gqltest.Do(t, a, `{ cluster { leader { replicaId } } }`, nil)["cluster"].(map[string]any)["leader"].(map[string]any)
		return leader != nil && listening() == 3
	}, 30*time.Second, 50*time.Millisecond)
	require.Never(t, func() bool { return listening() > 3 }, 500*time.Millisecond, 50*time.Millisecond)

	dataSources := subscribeWS(t, b, `subscription { dataSourceEvents(after: "0:0") { kind dataSourceId dataSource { name } } }`)
	created := gqltest.Do(t, c, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "cross", "path": filepath.Join(root, "inbox"), "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1h"},
		}})["createDataSource"].(map[string]any)
	id := created["id"].(string)
	event := dataSources()["dataSourceEvents"].(map[string]any)
	require.Equal(t, "DATASOURCE_CREATED", event["kind"])
	require.Equal(t, id, event["dataSourceId"])
	require.Equal(t, "cross", event["dataSource"].(map[string]any)["name"])

	// Runs are worked by whichever replica's River client gets them.
	// Trigger them through a until one is worked by a replica other than
	// b; b's subscriber must see each run start and succeed.
	schedule := subscribeWS(t, b, `subscription { scheduleEvents(dataSourceIds: ["`+id+`"], after: "0:0") {
		kind run { id status replicaId } } }`)
	workers := map[string]bool{}
	for attempt := 0; attempt < 20 && !hasOtherThan(workers, "b"); attempt++ {
		run := gqltest.Do(t, a, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": id})["triggerRun"].(map[string]any)
		seen := map[string]bool{}
		for !seen["RUN_SUCCEEDED"] {
			e := schedule()["scheduleEvents"].(map[string]any)
			r, _ := e["run"].(map[string]any)
			if r == nil || r["id"] != run["id"] {
				continue
			}
			seen[e["kind"].(string)] = true
			if e["kind"] == "RUN_SUCCEEDED" {
				workers[r["replicaId"].(string)] = true
			}
		}
		// A quick run goes from RUN_SCHEDULED straight to its result.
		require.True(t, seen["RUN_SCHEDULED"], "b saw the run planned")
		time.Sleep(1100 * time.Millisecond) // a manual run's slot is the current second
	}
	require.True(t, hasOtherThan(workers, "b"), "runs were worked by %v only", workers)
}

func hasOtherThan(set map[string]bool, id string) bool {
	for k := range set {
		if k != id {
			return true
		}
	}
	return false
}
