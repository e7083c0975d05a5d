package graph_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ezplatform/ezplatform/graph"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

// wsMessage is a message of either WebSocket subprotocol.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsConn is a raw coder/websocket client speaking one subprotocol.
type wsConn struct {
	t    *testing.T
	conn *websocket.Conn
}

func dialWS(t *testing.T, b *testBundle, subprotocol string, header http.Header) (*wsConn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(b.server.URL, "http"), &websocket.DialOptions{
		Subprotocols: []string{subprotocol}, HTTPHeader: header,
	})
	if err != nil {
		return nil, resp, err
	}
	t.Cleanup(func() { conn.CloseNow() })
	return &wsConn{t: t, conn: conn}, resp, nil
}

func (c *wsConn) send(m wsMessage) {
	c.t.Helper()
	data, err := json.Marshal(m)
	require.NoError(c.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, data))
}

// read returns the next message that is not a keep-alive; it answers pings.
func (c *wsConn) read() (wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		require.NoError(c.t, json.Unmarshal(data, &m), "%s", data)
		switch m.Type {
		case "ka", "pong":
			continue
		case "ping":
			c.send(wsMessage{Type: "pong"})
			continue
		}
		return m, nil
	}
}

func (c *wsConn) mustRead(typ string) wsMessage {
	c.t.Helper()
	m, err := c.read()
	require.NoError(c.t, err)
	require.Equal(c.t, typ, m.Type, "payload: %s", m.Payload)
	return m
}

// subscribe opens an operation: graphql-transport-ws says "subscribe", the
// legacy graphql-ws says "start".
func (c *wsConn) subscribe(id, start, query string, vars map[string]any) {
	c.t.Helper()
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(c.t, err)
	c.send(wsMessage{ID: id, Type: start, Payload: payload})
}

// event is the part of a schedule or datasource event the tests read.
type event struct {
	Cursor       string `json:"cursor"`
	Kind         string `json:"kind"`
	DataSourceID string `json:"dataSourceId"`
	Paused       *bool  `json:"paused"`
	DataSource   *struct {
		Name string `json:"name"`
	} `json:"dataSource"`
}

func decodeEvent(t *testing.T, payload json.RawMessage, field string) event {
	t.Helper()
	var resp struct {
		Data   map[string]event `json:"data"`
		Errors []gqlError       `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(payload, &resp), "%s", payload)
	require.Empty(t, resp.Errors)
	return resp.Data[field]
}

const scheduleEventsSub = `subscription($ids: [ID!], $after: String) {
	scheduleEvents(dataSourceIds: $ids, after: $after) { cursor kind occurredAt dataSourceId paused nextRunAt
		run { id status } files { files records } } }`

const dataSourceEventsSub = `subscription($after: String) {
	dataSourceEvents(after: $after) { cursor kind occurredAt dataSourceId dataSource { name } } }`

func (b *testBundle) setPaused(t *testing.T, id string, paused bool) {
	t.Helper()
	op := "resumeSchedule"
	if paused {
		op = "pauseSchedule"
	}
	b.mustDo(t, fmt.Sprintf(`mutation($id: ID!) { %s(id: $id) { id } }`, op), map[string]any{"id": id})
}

// TestSubscribeGraphQLTransportWS drives the graphql-transport-ws protocol
// with a raw client: snapshot, live events, then a resume from a cursor
// after a dropped connection.
func TestSubscribeGraphQLTransportWS(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, "ws-sales")["id"].(string)

	c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
	require.NoError(t, err)
	c.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`{"token":"any"}`)})
	c.mustRead("connection_ack")
	c.subscribe("1", "subscribe", scheduleEventsSub, map[string]any{"ids": []string{id}})

	snap := decodeEvent(t, c.mustRead("next").Payload, "scheduleEvents")
	require.Equal(t, "SNAPSHOT", snap.Kind)
	require.Equal(t, id, snap.DataSourceID)
	require.False(t, *snap.Paused)

	b.setPaused(t, id, true)
	paused := decodeEvent(t, c.mustRead("next").Payload, "scheduleEvents")
	require.Equal(t, "SCHEDULE_PAUSED", paused.Kind)
	require.True(t, *paused.Paused)

	// The network goes away; meanwhile the schedule is resumed and paused.
	c.conn.CloseNow()
	b.setPaused(t, id, false)
	b.setPaused(t, id, true)

	c, _, err = dialWS(t, b, "graphql-transport-ws", nil)
	require.NoError(t, err)
	c.send(wsMessage{Type: "connection_init"})
	c.mustRead("connection_ack")
	c.subscribe("2", "subscribe", scheduleEventsSub, map[string]any{"ids": []string{id}, "after": paused.Cursor})
	resumed := decodeEvent(t, c.mustRead("next").Payload, "scheduleEvents")
	require.Equal(t, "SCHEDULE_RESUMED", resumed.Kind)
	again := decodeEvent(t, c.mustRead("next").Payload, "scheduleEvents")
	require.Equal(t, "SCHEDULE_PAUSED", again.Kind)
	require.NotEqual(t, paused.Cursor, again.Cursor)

	// After the client's complete, the server sends nothing more for it
	// (not even a complete).
	c.send(wsMessage{ID: "2", Type: "complete"})
	b.setPaused(t, id, false)
	c.subscribe("3", "subscribe", dataSourceEventsSub, nil)
	m := c.mustRead("next")
	require.Equal(t, "3", m.ID, "the completed operation sends nothing more")
}

// TestSubscribeLegacyGraphQLWS drives the legacy graphql-ws protocol.
func TestSubscribeLegacyGraphQLWS(t *testing.T) {
	t.Parallel()
	b := setup(t)

	c, _, err := dialWS(t, b, "graphql-ws", nil)
	require.NoError(t, err)
	c.send(wsMessage{Type: "connection_init"})
	c.mustRead("connection_ack")
	b.create(t, "legacy-first")
	c.subscribe("1", "start", dataSourceEventsSub, map[string]any{})
	snap := decodeEvent(t, c.mustRead("data").Payload, "dataSourceEvents")
	require.Equal(t, "SNAPSHOT", snap.Kind)
	require.Equal(t, "legacy-first", snap.DataSource.Name)
	id := b.create(t, "legacy-sales")["id"].(string)
	created := decodeEvent(t, c.mustRead("data").Payload, "dataSourceEvents")
	require.Equal(t, "DATASOURCE_CREATED", created.Kind)
	require.Equal(t, id, created.DataSourceID)
	require.Equal(t, "legacy-sales", created.DataSource.Name)
	c.send(wsMessage{ID: "1", Type: "stop"})
	c.mustRead("complete")
}

// TestSubscribeGqlgenClient uses gqlgen's own client (graphql-ws).
func TestSubscribeGqlgenClient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.create(t, "gqlgen-a")
	c := client.New(b.handler)
	sub := c.Websocket(`subscription { dataSourceEvents { kind dataSource { name } } }`)
	defer sub.Close()
	var resp struct {
		DataSourceEvents struct {
			Kind       string
			DataSource struct{ Name string }
		}
	}
	require.NoError(t, sub.Next(&resp))
	require.Equal(t, "SNAPSHOT", resp.DataSourceEvents.Kind)
	require.Equal(t, "gqlgen-a", resp.DataSourceEvents.DataSource.Name)
	b.create(t, "gqlgen-b")
	require.NoError(t, sub.Next(&resp))
	require.Equal(t, "DATASOURCE_CREATED", resp.DataSourceEvents.Kind)
	require.Equal(t, "gqlgen-b", resp.DataSourceEvents.DataSource.Name)
}

// sseStream reads a graphql-sse (distinct connections) response.
type sseStream struct {
	t      *testing.T
	res    *http.Response
	reader *bufio.Reader
}

func openSSE(t *testing.T, b *testBundle, query string, vars map[string]any) *sseStream {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	// A bound on the whole stream, so that a missing event fails the test
	// instead of hanging it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.server.URL, strings.NewReader(string(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	return &sseStream{t: t, res: res, reader: bufio.NewReader(res.Body)}
}

// next returns the next event's name and data, skipping comments.
func (s *sseStream) next() (string, string) {
	s.t.Helper()
	var name, data string
	for {
		line, err := s.reader.ReadString('\n')
		require.NoError(s.t, err)
		line = strings.TrimRight(line, "\r\n")
		switch {
		case line == "":
			if name != "" || data != "" {
				return name, data
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		}
	}
}

// TestSubscribeSSE reads text/event-stream with a plain HTTP client, and
// checks how a draining replica ends the stream: an error with the cursor
// to resume from, then complete.
func TestSubscribeSSE(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, "sse-sales")["id"].(string)

	s := openSSE(t, b, scheduleEventsSub, map[string]any{"ids": []string{id}})
	name, data := s.next()
	require.Equal(t, "next", name)
	require.Equal(t, "SNAPSHOT", decodeEvent(t, json.RawMessage(data), "scheduleEvents").Kind)
	b.setPaused(t, id, true)
	_, data = s.next()
	paused := decodeEvent(t, json.RawMessage(data), "scheduleEvents")
	require.Equal(t, "SCHEDULE_PAUSED", paused.Kind)

	b.hub.Drain()
	name, data = s.next()
	require.Equal(t, "next", name)
	var resp gqlResponse
	require.NoError(t, json.Unmarshal([]byte(data), &resp))
	e := requireCode(t, &resp, "REPLICA_SHUTTING_DOWN", "")
	require.Equal(t, paused.Cursor, e.Extensions["cursor"])
	name, _ = s.next()
	require.Equal(t, "complete", name)
}

// TestDrainClosesWebSockets: a draining replica ends each stream with an
// error that carries its cursor, then closes with 1001 (going away), which
// graphql-ws clients retry.
func TestDrainClosesWebSockets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, "drain-sales")["id"].(string)

	c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
	require.NoError(t, err)
	c.send(wsMessage{Type: "connection_init"})
	c.mustRead("connection_ack")
	c.subscribe("1", "subscribe", scheduleEventsSub, map[string]any{"ids": []string{id}})
	c.mustRead("next") // the snapshot

	// As a replica shuts down: the hub, then the sockets, at once. The
	// stream's error still comes before the close.
	b.hub.Drain()
	b.drain()
	m := c.mustRead("error")
	var errs []gqlError
	require.NoError(t, json.Unmarshal(m.Payload, &errs))
	require.Equal(t, "REPLICA_SHUTTING_DOWN", errs[0].Extensions["code"])
	require.NotEmpty(t, errs[0].Extensions["cursor"])
	_, err = c.read()
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
}

func TestSubscribeRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)

	t.Run("CrossOrigin", func(t *testing.T) {
		_, resp, err := dialWS(t, b, "graphql-transport-ws", http.Header{"Origin": {"https://evil.example"}})
		require.Error(t, err)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
	t.Run("AllowedOrigin", func(t *testing.T) {
		c, _, err := dialWS(t, b, "graphql-transport-ws", http.Header{"Origin": {"https://trusted.example"}})
		require.NoError(t, err)
		c.send(wsMessage{Type: "connection_init"})
		c.mustRead("connection_ack")
	})
	t.Run("ConnectionInitRefused", func(t *testing.T) {
		c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
		require.NoError(t, err)
		c.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`{"token":"refused"}`)})
		for {
			_, err = c.read()
			if err != nil {
				break
			}
		}
		require.Equal(t, websocket.StatusCode(4403), websocket.CloseStatus(err), "%v", err)
	})

	ws := func(t *testing.T, query string, vars map[string]any) []gqlError {
		c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
		require.NoError(t, err)
		c.send(wsMessage{Type: "connection_init"})
		c.mustRead("connection_ack")
		c.subscribe("1", "subscribe", query, vars)
		m, err := c.read()
		require.NoError(t, err)
		var resp gqlResponse
		switch m.Type {
		case "error":
			require.NoError(t, json.Unmarshal(m.Payload, &resp.Errors))
		default:
			require.Equal(t, "next", m.Type)
			require.NoError(t, json.Unmarshal(m.Payload, &resp))
		}
		return resp.Errors
	}
	for name, tc := range map[string]struct {
		query       string
		vars        map[string]any
		code, field string
	}{
		"MalformedCursor":  {scheduleEventsSub, map[string]any{"after": "not-a-cursor"}, "INVALID_CURSOR", "after"},
		"UnknownCursor":    {dataSourceEventsSub, map[string]any{"after": "99999999999:99999999999"}, "INVALID_CURSOR", "after"},
		"HugeCursor":       {scheduleEventsSub, map[string]any{"after": strings.Repeat("9", 100_000)}, "INVALID_CURSOR", "after"},
		"BadDataSourceID":  {scheduleEventsSub, map[string]any{"ids": []string{"nope"}}, "VALIDATION", "dataSourceIds"},
		"TooManyIDs":       {scheduleEventsSub, map[string]any{"ids": manyIDs(1001)}, "VALIDATION", "dataSourceIds"},
		"BadClusterCursor": {`subscription { clusterEvents(after: "1:2") { kind } }`, nil, "INVALID_CURSOR", "after"},
		"OldClusterCursor": {`subscription { clusterEvents(after: "etcd-999999999-0") { kind } }`, nil, "CURSOR_EXPIRED", "after"},
		"PrunedCursor":     {dataSourceEventsSub, map[string]any{"after": prunedCursor(t, b)}, "CURSOR_EXPIRED", "after"},
	} {
		t.Run(name, func(t *testing.T) {
			errs := ws(t, tc.query, tc.vars)
			requireCode(t, &gqlResponse{Errors: errs}, tc.code, tc.field)
		})
	}
}

func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-0000-0000-%012d", i)
	}
	return ids
}

// TestDeadPeerIsClosed: a graphql-transport-ws client that stops answering
// pings is closed after two intervals.
func TestDeadPeerIsClosed(t *testing.T) {
	t.Parallel()
	b := setupWith(t, graph.DefaultLimits, graph.Live{KeepAlive: 100 * time.Millisecond})

	dead, _, err := dialWS(t, b, "graphql-transport-ws", nil)
	require.NoError(t, err)
	dead.send(wsMessage{Type: "connection_init"})
	dead.mustRead("connection_ack")

	// The dead peer reads (so TCP flows) but never answers a ping.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pings := 0
	for {
		_, data, err := dead.conn.Read(ctx)
		if err != nil {
			require.NotErrorIs(t, err, context.DeadlineExceeded, "the server never closed the dead peer")
			break
		}
		if strings.Contains(string(data), `"ping"`) {
			pings++
		}
	}
	require.GreaterOrEqual(t, pings, 1)

	// A peer that answers pings (read does) outlives many intervals.
	alive, _, err := dialWS(t, b, "graphql-transport-ws", nil)
	require.NoError(t, err)
	alive.send(wsMessage{Type: "connection_init"})
	alive.mustRead("connection_ack")
	alive.subscribe("1", "subscribe", dataSourceEventsSub, nil)
	go func() {
		// Ten ping intervals later; the read below checks the result.
		time.Sleep(time.Second)
		_, _ = b.store.DataSourceCreate(context.Background(), &store.DataSourceCreateParams{
			Name: "still-alive", Path: filepath.Join(b.root, "sales"), FilePattern: "*.csv", Enabled: true,
			Schedule: store.Schedule{Interval: time.Hour, Timezone: "UTC", MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP"},
		})
	}()
	m := alive.mustRead("next")
	require.Equal(t, "1", m.ID)
	require.Equal(t, "DATASOURCE_CREATED", decodeEvent(t, m.Payload, "dataSourceEvents").Kind)
}

// prunedCursor returns the cursor of an event that retention has pruned.
func prunedCursor(t *testing.T, b *testBundle) string {
	t.Helper()
	b.create(t, "pruned-1")
	b.create(t, "pruned-2")
	var events []*store.Event
	require.Eventually(t, func() bool {
		var more bool
		var err error
		events, more, err = b.store.EventList(t.Context(), &store.EventListParams{})
		require.NoError(t, err)
		return !more && len(events) >= 2
	}, 30*time.Second, 10*time.Millisecond)
	_, err := b.store.PruneHistory(t.Context(), &store.RetentionParams{
		RunsOlderThan: time.Unix(0, 0), RunsPerDataSource: 1 << 30, Batch: 1,
		EventsOlderThan: events[0].OccurredAt.Add(time.Microsecond),
	})
	require.NoError(t, err)
	return events[0].Cursor.String()
}

// TestSubscriptionOverPlainHTTP is refused with a pointer to the streams.
func TestSubscriptionOverPlainHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	status, resp := b.post(t, dataSourceEventsSub, nil, nil)
	require.Equal(t, http.StatusBadRequest, status)
	e := requireCode(t, resp, "BAD_REQUEST", "")
	require.Contains(t, e.Message, "text/event-stream")
}

// TestSharedResponses: subscribers with the same operation get the same
// response, computed once; another selection gets its own.
func TestSharedResponses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, "shared")["id"].(string)

	open := func(query string) *wsConn {
		c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
		require.NoError(t, err)
		c.send(wsMessage{Type: "connection_init"})
		c.mustRead("connection_ack")
		c.subscribe("1", "subscribe", query, map[string]any{"ids": []string{id}})
		c.mustRead("next") // the snapshot
		return c
	}
	const narrow = `subscription($ids: [ID!]) { scheduleEvents(dataSourceIds: $ids) { kind } }`
	a, c2, other := open(scheduleEventsSub), open(scheduleEventsSub), open(narrow)
	b.setPaused(t, id, true)
	pa, pb, po := a.mustRead("next").Payload, c2.mustRead("next").Payload, other.mustRead("next").Payload
	require.JSONEq(t, string(pa), string(pb))
	require.Equal(t, "SCHEDULE_PAUSED", decodeEvent(t, pa, "scheduleEvents").Kind)
	require.JSONEq(t, `{"data":{"scheduleEvents":{"kind":"SCHEDULE_PAUSED"}}}`, string(po))
}

// TestSubscriptionCyclesLeaveNoGoroutine: 1,000 subscribe/complete cycles
// over WebSocket and SSE, and 50 connections opened and dropped, leave no
// goroutine behind.
func TestSubscriptionCyclesLeaveNoGoroutine(t *testing.T) {
	b := setup(t)
	id := b.create(t, "cycles")["id"].(string)
	time.Sleep(100 * time.Millisecond) // let the setup's goroutines settle
	before := goleak.IgnoreCurrent()

	c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
	require.NoError(t, err)
	c.send(wsMessage{Type: "connection_init"})
	c.mustRead("connection_ack")
	for i := range 1000 {
		opID := strconv.Itoa(i)
		c.subscribe(opID, "subscribe", scheduleEventsSub, map[string]any{"ids": []string{id}})
		require.Equal(t, opID, c.mustRead("next").ID) // the snapshot
		c.send(wsMessage{ID: opID, Type: "complete"})
	}
	c.conn.Close(websocket.StatusNormalClosure, "")
	for range 50 {
		c, _, err := dialWS(t, b, "graphql-transport-ws", nil)
		require.NoError(t, err)
		c.send(wsMessage{Type: "connection_init"})
		c.mustRead("connection_ack")
		c.subscribe("1", "subscribe", dataSourceEventsSub, nil)
		c.mustRead("next")
		c.conn.CloseNow() // the network goes away
	}
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		body := strings.NewReader(`{"query":"subscription { dataSourceEvents { kind } }"}`)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.server.URL, body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		cancel()
		res.Body.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	require.Eventually(t, func() bool { return b.hub.Subscribers() == 0 }, 30*time.Second, 10*time.Millisecond)
	// A connection the pool opened meanwhile is the pool's, not a leak.
	goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgconn/internal/bgreader.(*BGReader).bgRead"))
}

// TestDrainEndsClusterStreams: a cluster stream over SSE, which the hub
// does not carry, also ends with REPLICA_SHUTTING_DOWN when the replica
// drains, with the cursor of its last event, then completes.
func TestDrainEndsClusterStreams(t *testing.T) {
	t.Parallel()
	b := setup(t)
	member, err := json.Marshal(scheduler.Member{ReplicaID: "registered", Address: "http://r", StartedAt: time.Now()})
	require.NoError(t, err)
	_, err = etcdtest.Client(t).Put(context.Background(), b.prefix+"/replicas/registered", string(member))
	require.NoError(t, err)
	s := openSSE(t, b, `subscription { clusterEvents { cursor kind replicaId } }`, nil)
	// The snapshot names the replica registered in etcd.
	name, data := s.next()
	require.Equal(t, "next", name)
	var first gqlResponse
	require.NoError(t, json.Unmarshal([]byte(data), &first))
	require.Empty(t, first.Errors)
	cursor := first.Data["clusterEvents"].(map[string]any)["cursor"].(string)
	require.NotEmpty(t, cursor)
	b.drain()
	var resp gqlResponse
	for {
		name, data = s.next()
		require.Equal(t, "next", name)
		resp = gqlResponse{}
		require.NoError(t, json.Unmarshal([]byte(data), &resp))
		if len(resp.Errors) > 0 {
			break
		}
		cursor = resp.Data["clusterEvents"].(map[string]any)["cursor"].(string)
	}
	e := requireCode(t, &resp, "REPLICA_SHUTTING_DOWN", "")
	require.Equal(t, cursor, e.Extensions["cursor"], "where to resume")
	name, _ = s.next()
	require.Equal(t, "complete", name)
}
