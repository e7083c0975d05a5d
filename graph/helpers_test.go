package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/graph"
	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

type testBundle struct {
	server    *httptest.Server
	handler   http.Handler
	store     *store.Store
	scheduler *scheduler.Scheduler
	hub       *hub.Hub
	drain     context.CancelFunc // closes WebSockets as a shutdown does
	prefix    string
	dbURL     string
	root      string // the data root
	now       time.Time
}

func setup(t testing.TB) *testBundle {
	t.Helper()
	return setupWithLimits(t, graph.DefaultLimits)
}

func setupWithLimits(t testing.TB, limits graph.Limits) *testBundle {
	t.Helper()
	return setupWith(t, limits, graph.Live{})
}

// setupWith builds the stack with limits and the streaming settings of
// live; drain, origins and the connection_init hook are the test's own.
func setupWith(t testing.TB, limits graph.Limits, live graph.Live) *testBundle {
	t.Helper()
	s, dbURL := pgtest.NewStore(t)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sales"), 0o755))
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	prefix := etcdtest.Prefix()
	sched, err := scheduler.New(scheduler.Config{
		Store: s, Etcd: etcdtest.Client(t), ReplicaID: "api-under-test", Address: "http://api", KeyPrefix: prefix,
		Work:   scheduler.WorkFunc(func(context.Context, *store.DataSource, *store.Run) (*scheduler.WorkResult, error) { return nil, nil }),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	events := hub.New(s, hub.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hubCtx, stopHub := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		events.Run(hubCtx)
	}()
	t.Cleanup(func() { stopHub(); <-hubDone })
	drainCtx, drain := context.WithCancel(context.Background())
	t.Cleanup(drain)
	handler := graph.NewHandler(&graph.Resolver{
		Store:     s,
		Scheduler: sched,
		Hub:       events,
		Roots:     roots,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:       func() time.Time { return now },
	}, limits, graph.Live{Drain: drainCtx, AllowedOrigins: []string{"trusted.example"}, KeepAlive: live.KeepAlive,
		ConnectionInit: func(ctx context.Context, payload map[string]any) (context.Context, error) {
			if payload["token"] == "refused" {
				return ctx, errors.New("invalid credentials")
			}
			return ctx, nil
		}})
	// The replica's HTTP layer authenticates; these tests act as the
	// principal of a replica without authentication.
	inner := handler
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), auth.Open)))
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &testBundle{server: srv, handler: handler, store: s, scheduler: sched, hub: events, drain: drain,
		prefix: prefix, dbURL: dbURL, root: root, now: now}
}

// gqlResponse is a GraphQL response body.
type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []gqlError     `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// do posts a GraphQL request and decodes the response. It fails the test
// unless the status is 200.
func (b *testBundle) do(t testing.TB, query string, vars map[string]any) *gqlResponse {
	t.Helper()
	status, resp := b.post(t, query, vars, nil)
	require.Equal(t, http.StatusOK, status, "errors: %+v", resp.Errors)
	return resp
}

// mustDo is do, and fails the test on any GraphQL error.
func (b *testBundle) mustDo(t testing.TB, query string, vars map[string]any) map[string]any {
	t.Helper()
	resp := b.do(t, query, vars)
	require.Empty(t, resp.Errors)
	return resp.Data
}

func (b *testBundle) post(t testing.TB, query string, vars map[string]any, header http.Header) (int, *gqlResponse) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	return b.raw(t, http.MethodPost, "", body, header)
}

func (b *testBundle) raw(t testing.TB, method, rawQuery string, body []byte, header http.Header) (int, *gqlResponse) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, b.server.URL+"?"+rawQuery, bytes.NewReader(body))
	require.NoError(t, err)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out gqlResponse
	require.NoError(t, json.Unmarshal(data, &out), "body: %s", data)
	return res.StatusCode, &out
}

// requireCode checks that resp has an error with the code (and field, if not "").
func requireCode(t testing.TB, resp *gqlResponse, code, field string) gqlError {
	t.Helper()
	for _, e := range resp.Errors {
		if e.Extensions["code"] == code && (field == "" || e.Extensions["field"] == field) {
			return e
		}
	}
	require.Failf(t, "error not found", "want code %s field %q, got %+v", code, field, resp.Errors)
	return gqlError{}
}

const dataSourceFields = `id name description supplierName category path filePattern enabled version createdAt updatedAt
	schedule { cron interval anchor timezone misfirePolicy overlapPolicy paused upcoming(n: 3) }`

const createMutation = `mutation($input: CreateDataSourceInput!) {
	createDataSource(input: $input) { ` + dataSourceFields + ` } }`

func (b *testBundle) validInput(name string) map[string]any {
	return map[string]any{
		"name":        name,
		"path":        filepath.Join(b.root, "sales"),
		"filePattern": "**/*.csv",
		"schedule":    map[string]any{"cron": "*/30 * * * * ?"},
	}
}

func (b *testBundle) create(t testing.TB, name string) map[string]any {
	t.Helper()
	data := b.mustDo(t, createMutation, map[string]any{"input": b.validInput(name)})
	return data["createDataSource"].(map[string]any)
}
