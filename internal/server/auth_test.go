package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
	"github.com/ezplatform/ezplatform/store"
)

// secured is a replica with authentication on, and a token per role.
type secured struct {
	base   string
	store  *store.Store
	root   string
	tokens map[auth.Role]string
	log    *syncbuf.Buffer
}

func startSecured(t *testing.T, configure func(*server.Config)) *secured {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "in"), 0o755))
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	log := &syncbuf.Buffer{}
	cfg := &server.Config{
		DatabaseURL: dbURL, EtcdEndpoints: etcdtest.Endpoints(t), EtcdPrefix: etcdtest.Prefix(), HTTPAddr: "127.0.0.1:0",
		ReplicaID: "secured", DataRoots: roots, ShutdownTimeout: 5 * time.Second, SessionTTL: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if configure != nil {
		configure(cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan server.Ready, 1), make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, func(r server.Ready) { ready <- r }) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	s := &secured{root: root, tokens: map[auth.Role]string{}, log: log}
	select {
	case r := <-ready:
		s.base = r.BaseURL
	case err := <-done:
		t.Fatalf("replica stopped: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("replica did not start")
	}
	pool, err := store.Open(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	s.store = store.New(pool)
	for _, r := range []auth.Role{auth.Viewer, auth.Editor, auth.Admin} {
		_, secret, err := auth.Create(ctx, s.store, auth.CreateParams{Name: "test-" + r.String(), Role: r})
		require.NoError(t, err)
		s.tokens[r] = secret
	}
	return s
}

// result is what one transport made of an operation.
type result struct {
	status int // HTTP status; 0 on a WebSocket
	codes  []string
	data   json.RawMessage
}

func (r result) refused(code string) bool {
	for _, c := range r.codes {
		if c == code {
			return true
		}
	}
	return false
}

func decodeResult(t *testing.T, status int, body []byte) result {
	t.Helper()
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(body, &resp), "%s", body)
	r := result{status: status, data: resp.Data}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		r.codes = append(r.codes, code)
	}
	return r
}

// overHTTP posts the operation with header as its Authorization.
func (s *secured) overHTTP(t *testing.T, header, query string, vars map[string]any) result {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return decodeResult(t, res.StatusCode, data)
}

// overSSE runs the operation as a graphql-sse stream and returns its first
// result, or the HTTP refusal.
func (s *secured) overSSE(t *testing.T, header, query string, vars map[string]any) result {
	t.Helper()
	next, status := s.openSSE(t, header, query, vars)
	if status != http.StatusOK {
		return result{status: status, codes: []string{"UNAUTHENTICATED"}}
	}
	r := decodeResult(t, status, next())
	return r
}

// openSSE opens a graphql-sse stream; next returns each result's JSON.
func (s *secured) openSSE(t *testing.T, header, query string, vars map[string]any) (next func() []byte, status int) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != http.StatusOK {
		return nil, res.StatusCode
	}
	lines := bufio.NewScanner(res.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	return func() []byte {
		for lines.Scan() {
			if data, ok := strings.CutPrefix(lines.Text(), "data: "); ok && strings.HasPrefix(data, "{") {
				return []byte(data)
			}
		}
		t.Fatalf("the stream ended: %v", lines.Err())
		return nil
	}, http.StatusOK
}

// wsConn is a graphql-transport-ws connection.
type wsConn struct {
	t    *testing.T
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (s *secured) dialWS(t *testing.T, protocol string, header http.Header) *wsConn {
	t.Helper()
	conn, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(s.base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{protocol}, HTTPHeader: header})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	return &wsConn{t: t, conn: conn}
}

func (c *wsConn) send(m wsMessage) {
	data, err := json.Marshal(m)
	require.NoError(c.t, err)
	require.NoError(c.t, c.conn.Write(c.t.Context(), websocket.MessageText, data))
}

// read returns the next message, or the close status once closed.
func (c *wsConn) read() (wsMessage, websocket.StatusCode) {
	ctx, cancel := context.WithTimeout(c.t.Context(), time.Minute)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		status := websocket.CloseStatus(err)
		require.NotEqual(c.t, websocket.StatusCode(-1), status, "read: %v", err)
		return wsMessage{}, status
	}
	var m wsMessage
	require.NoError(c.t, json.Unmarshal(data, &m))
	return m, 0
}

// init sends connection_init with payload and returns the close status
// if the server refuses (0 once acknowledged).
func (c *wsConn) init(payload map[string]any) websocket.StatusCode {
	raw, _ := json.Marshal(payload)
	c.send(wsMessage{Type: "connection_init", Payload: raw})
	for {
		m, closed := c.read()
		if closed != 0 || m.Type == "connection_ack" {
			return closed
		}
		if m.Type == "connection_error" {
			_, closed := c.read()
			return closed
		}
	}
}

// overWS runs the operation on a new authenticated connection.
func (s *secured) overWS(t *testing.T, token, query string, vars map[string]any) result {
	t.Helper()
	c := s.dialWS(t, "graphql-transport-ws", nil)
	if closed := c.init(map[string]any{"authorization": "Bearer " + token}); closed != 0 {
		return result{codes: []string{"UNAUTHENTICATED"}}
	}
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: payload})
	for {
		m, closed := c.read()
		require.Zero(t, closed)
		switch m.Type {
		case "next":
			return decodeResult(t, 0, m.Payload)
		case "error":
			return decodeResult(t, 0, append(append([]byte(`{"errors":`), m.Payload...), '}'))
		}
	}
}

// TestEveryRoleOverEveryTransport runs every operation with every role's
// token over HTTP, SSE and WebSocket: each runs for the roles that include
// its required role and fails with FORBIDDEN for the others.
func TestEveryRoleOverEveryTransport(t *testing.T) {
	t.Parallel()
	s := startSecured(t, nil)
	ctx := t.Context()
	ds, err := s.store.DataSourceCreate(ctx, &store.DataSourceCreateParams{
		Name: "target", Path: filepath.Join(s.root, "in"), FilePattern: "*", Enabled: true,
		Schedule:    store.Schedule{Interval: time.Hour, Anchor: time.Now(), Timezone: "UTC", MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP"},
		MaxAttempts: 1, RunTimeout: time.Minute,
	})
	require.NoError(t, err)
	id := ds.ID.String()
	input := func(name string) map[string]any {
		return map[string]any{"name": name, "path": filepath.Join(s.root, "in"), "filePattern": "*", "schedule": map[string]any{"interval": "1h"}}
	}

	type operation struct {
		name  string
		needs auth.Role
		query string
		vars  func(role auth.Role, transport string) map[string]any
	}
	none := func(auth.Role, string) map[string]any { return nil }
	byID := func(auth.Role, string) map[string]any { return map[string]any{"id": id} }
	unique := func(prefix string) func(auth.Role, string) map[string]any {
		return func(r auth.Role, transport string) map[string]any {
			return map[string]any{"input": input(prefix + "-" + r.String() + "-" + transport)}
		}
	}
	operations := []operation{
		{"dataSources", auth.Viewer, `{ dataSources(first: 5) { totalCount } }`, none},
		{"dataSource", auth.Viewer, `query($id: ID!) { dataSource(id: $id) { name runs(first: 5) { totalCount } } }`, byID},
		{"cluster", auth.Viewer, `{ cluster { replicas { replicaId } } }`, none},
		{"viewer", auth.Viewer, `{ viewer { role tokenName authEnabled } }`, none},
		{"cronPreview", auth.Viewer, `{ cronPreview(expression: "0 0 * * * ?") }`, none},
		{"createDataSource", auth.Editor, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`, unique("created")},
		{"updateDataSource", auth.Editor, `mutation($id: ID!) { updateDataSource(id: $id, input: {description: "changed"}) { version } }`, byID},
		{"pauseSchedule", auth.Editor, `mutation($id: ID!) { pauseSchedule(id: $id) { id } }`, byID},
		{"resumeSchedule", auth.Editor, `mutation($id: ID!) { resumeSchedule(id: $id) { id } }`, byID},
		{"triggerRun", auth.Editor, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, byID},
		{"apiTokens", auth.Admin, `{ apiTokens { name role } }`, none},
		{"createApiToken", auth.Admin, `mutation($name: String!) { createApiToken(input: {name: $name, role: VIEWER}) { secret } }`,
			func(r auth.Role, transport string) map[string]any {
				return map[string]any{"name": "made-" + r.String() + "-" + transport}
			}},
		{"deleteDataSource", auth.Editor, `mutation($id: ID!) { deleteDataSource(id: $id) }`,
			func(r auth.Role, transport string) map[string]any {
				victim, err := s.store.DataSourceCreate(ctx, &store.DataSourceCreateParams{
					Name: "victim-" + r.String() + "-" + transport, Path: filepath.Join(s.root, "in"), FilePattern: "*",
					Schedule:    store.Schedule{Interval: time.Hour, Anchor: time.Now(), Timezone: "UTC", MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP"},
					MaxAttempts: 1, RunTimeout: time.Minute,
				})
				require.NoError(t, err)
				return map[string]any{"id": victim.ID.String()}
			}},
	}
	transports := map[string]func(t *testing.T, token, query string, vars map[string]any) result{
		"http": func(t *testing.T, token, q string, v map[string]any) result {
			return s.overHTTP(t, "Bearer "+token, q, v)
		},
		"sse": func(t *testing.T, token, q string, v map[string]any) result {
			return s.overSSE(t, "Bearer "+token, q, v)
		},
		"ws": s.overWS,
	}
	for _, op := range operations {
		for transport, run := range transports {
			for _, role := range []auth.Role{auth.Viewer, auth.Editor, auth.Admin} {
				r := run(t, s.tokens[role], op.query, op.vars(role, transport))
				if role.Allows(op.needs) {
					require.Empty(t, r.codes, "%s as %s over %s", op.name, role, transport)
					require.NotEqual(t, "null", string(r.data), "%s as %s over %s", op.name, role, transport)
				} else {
					require.True(t, r.refused("FORBIDDEN"), "%s as %s over %s: %+v", op.name, role, transport, r.codes)
					if transport == "http" {
						require.Equal(t, http.StatusForbidden, r.status, "%s as %s", op.name, role)
					}
				}
			}
		}
	}

	// A mixed operation runs, and its refused field fails alone (apiTokens
	// is non-null, so GraphQL nulls the whole data).
	r := s.overHTTP(t, "Bearer "+s.tokens[auth.Viewer], `{ viewer { role } apiTokens { name } }`, nil)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, []string{"FORBIDDEN"}, r.codes)

	// The audit log names the token of each mutation asked, allowed or not.
	var refused, allowed int
	require.NoError(t, s.store.Pool().QueryRow(ctx, `SELECT count(*) FILTER (WHERE outcome = 'FORBIDDEN'), count(*) FILTER (WHERE outcome = 'ok')
		FROM ops.audit WHERE token_name = 'test-viewer' OR token_name = 'test-editor'`).Scan(&refused, &allowed))
	require.Equal(t, 3*(6+1+1), refused, "the viewer's six datasource mutations and createApiToken, and the editor's createApiToken, per transport")
	require.Equal(t, 3*6, allowed, "the editor's six datasource mutations, per transport")
}

// TestRefusedCredentials: missing, malformed, unknown, expired and revoked
// tokens are refused on every transport, with UNAUTHENTICATED (HTTP 401)
// or a WebSocket close 4403.
func TestRefusedCredentials(t *testing.T) {
	t.Parallel()
	s := startSecured(t, nil)
	ctx := t.Context()
	soon := time.Now().Add(time.Second)
	_, expired, err := auth.Create(ctx, s.store, auth.CreateParams{Name: "expired", Role: auth.Admin, ExpiresAt: &soon})
	require.NoError(t, err)
	_, revoked, err := auth.Create(ctx, s.store, auth.CreateParams{Name: "revoked", Role: auth.Admin})
	require.NoError(t, err)
	_, err = s.store.TokenRevoke(ctx, "revoked")
	require.NoError(t, err)
	time.Sleep(time.Until(soon)) // let the expiry pass; no timing is asserted

	const query = `{ viewer { role } }`
	for name, header := range map[string]string{
		"missing": "", "malformed": "Bearer not-a-token", "wrong scheme": "Token " + s.tokens[auth.Admin],
		"unknown": "Bearer " + auth.NewSecret(), "expired": "Bearer " + expired, "revoked": "Bearer " + revoked,
		"huge": "Bearer " + strings.Repeat("x", 32<<10),
	} {
		r := s.overHTTP(t, header, query, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, name)
		require.Equal(t, []string{"UNAUTHENTICATED"}, r.codes, name)
		_, status := s.openSSE(t, header, `subscription { clusterEvents { kind } }`, nil)
		require.Equal(t, http.StatusUnauthorized, status, name)

		secret, _ := auth.BearerToken(header)
		for _, protocol := range []string{"graphql-transport-ws", "graphql-ws"} {
			c := s.dialWS(t, protocol, nil)
			payload := map[string]any{}
			if header != "" {
				payload["authorization"] = "Bearer " + secret
			}
			require.Equal(t, websocket.StatusCode(4403), c.init(payload), "%s over %s", name, protocol)
		}
	}
	// No secret reached the log, refused or accepted.
	s.overHTTP(t, "Bearer "+s.tokens[auth.Viewer], query, nil)
	for _, secret := range []string{expired, revoked, s.tokens[auth.Viewer], s.tokens[auth.Admin]} {
		require.NotContains(t, s.log.String(), secret)
	}

	// The upgrade request's header works too, and the payload's token wins.
	c := s.dialWS(t, "graphql-transport-ws", http.Header{"Authorization": {"Bearer " + s.tokens[auth.Viewer]}})
	require.Zero(t, c.init(nil))
	c = s.dialWS(t, "graphql-transport-ws", http.Header{"Authorization": {"Bearer " + s.tokens[auth.Viewer]}})
	require.Equal(t, websocket.StatusCode(4403), c.init(map[string]any{"authorization": "Bearer " + revoked}))
}

// TestRevocationEndsOpenSubscriptions: a token revoked while its
// subscriptions are open ends them with UNAUTHENTICATED, and its WebSocket
// closes with 4403; another token's subscription goes on.
func TestRevocationEndsOpenSubscriptions(t *testing.T) {
	t.Parallel()
	s := startSecured(t, nil)
	ctx := t.Context()
	_, doomed, err := auth.Create(ctx, s.store, auth.CreateParams{Name: "doomed", Role: auth.Viewer})
	require.NoError(t, err)
	const sub = `subscription { dataSourceEvents { cursor kind } }`

	ws := s.dialWS(t, "graphql-transport-ws", nil)
	require.Zero(t, ws.init(map[string]any{"authorization": "Bearer " + doomed}))
	ws.send(wsMessage{ID: "1", Type: "subscribe", Payload: json.RawMessage(`{"query":"` + sub + `"}`)})
	sse, status := s.openSSE(t, "Bearer "+doomed, sub, nil)
	require.Equal(t, http.StatusOK, status)
	other, status := s.openSSE(t, "Bearer "+s.tokens[auth.Viewer], sub, nil)
	require.Equal(t, http.StatusOK, status)
	// Both streams are live: a change reaches them.
	_, err = s.store.DataSourceCreate(ctx, &store.DataSourceCreateParams{
		Name: "seen", Path: filepath.Join(s.root, "in"), FilePattern: "*",
		Schedule: store.Schedule{Interval: time.Hour, Anchor: time.Now(), Timezone: "UTC", MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP"}, MaxAttempts: 1, RunTimeout: time.Minute,
	})
	require.NoError(t, err)
	m, _ := ws.read()
	require.Equal(t, "next", m.Type)
	require.Empty(t, decodeResult(t, 0, sse()).codes)
	require.Empty(t, decodeResult(t, 0, other()).codes)

	subscribers := func() string {
		req, err := http.NewRequest(http.MethodGet, s.base+"/metrics", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+s.tokens[auth.Viewer])
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		var lines []string
		for line := range strings.SplitSeq(string(body), "\n") {
			if strings.HasPrefix(line, "ezplatform_subscribers{") {
				lines = append(lines, line)
			}
		}
		return strings.Join(lines, "; ")
	}
	require.Equal(t, `ezplatform_subscribers{transport="sse"} 2; ezplatform_subscribers{transport="websocket"} 1`, subscribers())

	revokedAt := time.Now()
	_, err = s.store.TokenRevoke(ctx, "doomed")
	require.NoError(t, err)

	r := decodeResult(t, 0, sse())
	require.Equal(t, []string{"UNAUTHENTICATED"}, r.codes, "SSE")
	m, _ = ws.read()
	require.Equal(t, "error", m.Type)
	require.Contains(t, string(m.Payload), "UNAUTHENTICATED")
	_, closed := ws.read()
	require.Equal(t, websocket.StatusCode(4403), closed)
	t.Logf("the revoked token's streams ended %s after the revocation (RefreshInterval %s)", time.Since(revokedAt).Round(time.Millisecond), auth.RefreshInterval)

	require.Eventually(t, func() bool {
		return subscribers() == `ezplatform_subscribers{transport="sse"} 1; ezplatform_subscribers{transport="websocket"} 0`
	}, 30*time.Second, 20*time.Millisecond)

	// The other token's stream goes on.
	_, err = s.store.DataSourceCreate(ctx, &store.DataSourceCreateParams{
		Name: "after", Path: filepath.Join(s.root, "in"), FilePattern: "*",
		Schedule: store.Schedule{Interval: time.Hour, Anchor: time.Now(), Timezone: "UTC", MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP"}, MaxAttempts: 1, RunTimeout: time.Minute,
	})
	require.NoError(t, err)
	require.Empty(t, decodeResult(t, 0, other()).codes)
}

// TestProtectedPages: /metrics and the River UI need a token (Bearer, or a
// browser's Basic password), River UI an admin's; health checks none.
func TestProtectedPages(t *testing.T) {
	t.Parallel()
	s := startSecured(t, nil)
	get := func(path string, set func(*http.Request)) int {
		req, err := http.NewRequest(http.MethodGet, s.base+path, nil)
		require.NoError(t, err)
		if set != nil {
			set(req)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res.StatusCode
	}
	bearer := func(r auth.Role) func(*http.Request) {
		return func(req *http.Request) { req.Header.Set("Authorization", "Bearer "+s.tokens[r]) }
	}
	basic := func(r auth.Role) func(*http.Request) {
		return func(req *http.Request) { req.SetBasicAuth("me", s.tokens[r]) }
	}

	require.Equal(t, http.StatusOK, get("/healthz", nil))
	require.Equal(t, http.StatusOK, get("/readyz", nil))
	require.Equal(t, http.StatusOK, get("/", nil), "the web app's page holds no data")
	require.Equal(t, http.StatusUnauthorized, get("/metrics", nil))
	require.Equal(t, http.StatusOK, get("/metrics", bearer(auth.Viewer)))
	require.Equal(t, http.StatusOK, get("/metrics", basic(auth.Viewer)))
	require.Equal(t, http.StatusUnauthorized, get("/riverui/", nil))
	require.Equal(t, http.StatusForbidden, get("/riverui/", basic(auth.Editor)))
	require.Equal(t, http.StatusOK, get("/riverui/", basic(auth.Admin)))
	require.Equal(t, http.StatusOK, get("/riverui/api/jobs?state=available&limit=5", bearer(auth.Admin)))

	public := startSecured(t, func(c *server.Config) { c.MetricsPublic = true })
	res, err := http.Get(public.base + "/metrics")
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}

// TestBootstrapAndFirstStart: with no token, the replica says how to make
// the first; EZ_BOOTSTRAP_TOKEN_FILE's token is an admin at once.
func TestBootstrapAndFirstStart(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "bootstrap")
	secret := auth.NewSecret()
	require.NoError(t, os.WriteFile(file, []byte(secret+"\n"), 0o600))
	s := startSecured(t, func(c *server.Config) { c.BootstrapTokenFile = file })
	r := s.overHTTP(t, "Bearer "+secret, `{ viewer { role tokenName } }`, nil)
	require.Empty(t, r.codes)
	require.JSONEq(t, `{"viewer":{"role":"ADMIN","tokenName":"bootstrap"}}`, string(r.data))
	require.NotContains(t, s.log.String(), secret)

	empty := startSecured(t, nil) // its tokens are made after it started
	require.Eventually(t, func() bool { return strings.Contains(empty.log.String(), "ezplatform token create") },
		30*time.Second, 50*time.Millisecond, "the first start says how to make a token")
}

// TestCORS: pages on allowed origins may call the API; preflights need no
// token; other origins get no CORS headers.
func TestCORS(t *testing.T) {
	t.Parallel()
	s := startSecured(t, func(c *server.Config) { c.AllowedOrigins = []string{"*.example.com"} })
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, s.base+"/graphql", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = res.Body.Close()
		return res
	}
	res := preflight("https://app.example.com")
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	require.Equal(t, "https://app.example.com", res.Header.Get("Access-Control-Allow-Origin"))
	require.Contains(t, res.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	res = preflight("https://evil.test")
	require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
}
