package gqlws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/executor/testexecutor"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ezplatform/ezplatform/internal/gqlws"
)

// The protocol tests run gqlgen's test executor (a schema with a `name`
// query and a `name` subscription whose events the test sends) behind
// the transport, and drive it with coder/websocket: another
// implementation than the server's.

type server struct {
	exec *testexecutor.TestExecutor
	url  string
}

func start(t *testing.T, tr *gqlws.Transport) *server {
	t.Helper()
	exec := testexecutor.New()
	srv := handler.New(exec.Schema())
	srv.AddTransport(tr)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &server{exec: exec, url: "ws" + strings.TrimPrefix(ts.URL, "http")}
}

type client struct {
	t    *testing.T
	conn *websocket.Conn
}

func (s *server) dial(t *testing.T, subprotocol string, header http.Header) *client {
	t.Helper()
	c, err := s.tryDial(t, subprotocol, header)
	require.NoError(t, err)
	return c
}

func (s *server) tryDial(t *testing.T, subprotocol string, header http.Header) (*client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{HTTPHeader: header}
	if subprotocol != "" {
		opts.Subprotocols = []string{subprotocol}
	}
	conn, resp, err := websocket.Dial(ctx, s.url, opts)
	if err != nil {
		if resp != nil {
			return nil, errors.New(resp.Status)
		}
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { conn.CloseNow() })
	return &client{t: t, conn: conn}, nil
}

func (c *client) send(msg string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, []byte(msg)))
}

type message struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// read returns the next message, skipping keep-alives.
func (c *client) read() (message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, data, err := c.conn.Read(ctx)
		if err != nil {
			return message{}, err
		}
		var m message
		require.NoError(c.t, json.Unmarshal(data, &m), "%s", data)
		if m.Type != "ka" && m.Type != "ping" {
			return m, nil
		}
	}
}

func (c *client) expect(typ, id string) message {
	c.t.Helper()
	m, err := c.read()
	require.NoError(c.t, err)
	require.Equal(c.t, typ, m.Type, "%s", m.Payload)
	require.Equal(c.t, id, m.ID)
	return m
}

// expectClose reads until the server closes, and returns the close code.
func (c *client) expectClose() websocket.StatusCode {
	c.t.Helper()
	for {
		_, err := c.read()
		if err != nil {
			require.NotErrorIs(c.t, err, context.DeadlineExceeded, "the server did not close")
			return websocket.CloseStatus(err)
		}
	}
}

func (c *client) init() {
	c.t.Helper()
	c.send(`{"type":"connection_init"}`)
	c.expect("connection_ack", "")
}

func TestSubscription(t *testing.T) {
	for _, tc := range []struct{ subprotocol, start, data, stop string }{
		{gqlws.TransportWS, "subscribe", "next", "complete"},
		{gqlws.LegacyWS, "start", "data", "stop"},
		{"", "start", "data", "stop"}, // no subprotocol: graphql-ws, as gqlgen's
	} {
		t.Run(tc.subprotocol, func(t *testing.T) {
			t.Parallel()
			s := start(t, &gqlws.Transport{})
			c := s.dial(t, tc.subprotocol, nil)
			c.init()
			c.send(`{"id":"a","type":"` + tc.start + `","payload":{"query":"subscription { name }"}}`)
			for range 3 {
				s.exec.SendNextSubscriptionMessage()
				m := c.expect(tc.data, "a")
				require.JSONEq(t, `{"data":{"name":"test"}}`, string(m.Payload))
			}
			c.send(`{"id":"a","type":"` + tc.stop + `"}`)
			if tc.stop == "stop" {
				c.expect("complete", "a") // graphql-ws acknowledges a stop
			}
			// Nothing more for a: the next message is b's.
			c.send(`{"id":"b","type":"` + tc.start + `","payload":{"query":"{ name }"}}`)
			c.expect(tc.data, "b")
			c.expect("complete", "b")
		})
	}
}

func TestProtocolViolationsClose(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{InitTimeout: 200 * time.Millisecond, MaxMessageBytes: 4096})
	for name, tc := range map[string]struct {
		init bool
		send []string
		code websocket.StatusCode
	}{
		"SubscribeBeforeInit": {send: []string{`{"id":"1","type":"subscribe","payload":{"query":"{ name }"}}`}, code: gqlws.CloseUnauthorized},
		"SecondInit":          {init: true, send: []string{`{"type":"connection_init"}`}, code: gqlws.CloseTooManyInits},
		"DuplicateID": {init: true, send: []string{
			`{"id":"1","type":"subscribe","payload":{"query":"subscription { name }"}}`,
			`{"id":"1","type":"subscribe","payload":{"query":"subscription { name }"}}`,
		}, code: gqlws.CloseDuplicateID},
		"LongDuplicateID": {init: true, send: []string{
			`{"id":"` + strings.Repeat("é", 1000) + `","type":"subscribe","payload":{"query":"subscription { name }"}}`,
			`{"id":"` + strings.Repeat("é", 1000) + `","type":"subscribe","payload":{"query":"subscription { name }"}}`,
		}, code: gqlws.CloseDuplicateID},
		"MissingID":       {init: true, send: []string{`{"type":"subscribe","payload":{"query":"{ name }"}}`}, code: gqlws.CloseBadRequest},
		"NotJSON":         {send: []string{`{"type":`}, code: gqlws.CloseBadRequest},
		"NoType":          {send: []string{`{"id":"1"}`}, code: gqlws.CloseBadRequest},
		"UnknownType":     {init: true, send: []string{`{"type":"hello"}`}, code: gqlws.CloseBadRequest},
		"InitNotAnObject": {send: []string{`{"type":"connection_init","payload":[1]}`}, code: gqlws.CloseBadRequest},
		"NoInit":          {code: gqlws.CloseInitTimeout},
		"TooLarge":        {init: true, send: []string{`{"type":"ping","payload":"` + strings.Repeat("x", 5000) + `"}`}, code: websocket.StatusMessageTooBig},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := s.dial(t, gqlws.TransportWS, nil)
			if tc.init {
				c.init()
			}
			for _, m := range tc.send {
				c.send(m)
			}
			require.Equal(t, tc.code, c.expectClose())
		})
	}
}

func TestInitHook(t *testing.T) {
	t.Parallel()
	var got []map[string]any
	var mu sync.Mutex
	s := start(t, &gqlws.Transport{Init: func(ctx context.Context, payload map[string]any) (context.Context, error) {
		mu.Lock()
		got = append(got, payload)
		mu.Unlock()
		if payload["token"] == "bad" {
			return nil, errors.New("bad token")
		}
		return ctx, nil
	}})

	c := s.dial(t, gqlws.TransportWS, nil)
	c.send(`{"type":"connection_init","payload":{"token":"good"}}`)
	c.expect("connection_ack", "")

	c = s.dial(t, gqlws.TransportWS, nil)
	c.send(`{"type":"connection_init","payload":{"token":"bad"}}`)
	require.Equal(t, websocket.StatusCode(gqlws.CloseForbidden), c.expectClose())

	c = s.dial(t, gqlws.LegacyWS, nil)
	c.send(`{"type":"connection_init","payload":{"token":"bad"}}`)
	m := c.expect("connection_error", "")
	require.JSONEq(t, `{"message":"bad token"}`, string(m.Payload))
	require.Equal(t, websocket.StatusCode(gqlws.CloseForbidden), c.expectClose())

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []map[string]any{{"token": "good"}, {"token": "bad"}, {"token": "bad"}}, got)
}

func TestOperationErrors(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{})
	c := s.dial(t, gqlws.TransportWS, nil)
	c.init()

	// A document that does not parse: an error message, no complete.
	c.send(`{"id":"1","type":"subscribe","payload":{"query":"subscription {"}}`)
	m := c.expect("error", "1")
	require.Contains(t, string(m.Payload), "Expected Name")

	// A payload that is not a request.
	c.send(`{"id":"2","type":"subscribe","payload":"nope"}`)
	m = c.expect("error", "2")
	require.Contains(t, string(m.Payload), "not a GraphQL request")

	// An operation that fails as it runs: next with errors, then complete.
	c.send(`{"id":"3","type":"subscribe","payload":{"query":"mutation { name }"}}`)
	m = c.expect("next", "3")
	require.Contains(t, string(m.Payload), "mutations are not supported")
	c.expect("complete", "3")

	// The connection is still usable.
	c.send(`{"id":"4","type":"subscribe","payload":{"query":"{ name }"}}`)
	c.expect("next", "4")
	c.expect("complete", "4")
}

func TestPingPong(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{})
	c := s.dial(t, gqlws.TransportWS, nil)
	c.init()
	c.send(`{"type":"ping"}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"pong"}`, string(data))
}

func TestKeepAlive(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{KeepAlive: 50 * time.Millisecond})

	// graphql-transport-ws: pings; a peer that never answers is closed.
	c := s.dial(t, gqlws.TransportWS, nil)
	c.init()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pings := 0
	var err error
	for err == nil {
		var data []byte
		if _, data, err = c.conn.Read(ctx); err == nil {
			require.JSONEq(t, `{"type":"ping"}`, string(data))
			pings++
		}
	}
	require.GreaterOrEqual(t, pings, 1)
	require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)

	// graphql-ws: "ka" messages, and no pong is expected.
	c = s.dial(t, gqlws.LegacyWS, nil)
	c.init()
	for range 5 {
		_, data, err := c.conn.Read(ctx)
		require.NoError(t, err)
		require.JSONEq(t, `{"type":"ka"}`, string(data))
	}
}

func TestOrigins(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{AllowedOrigins: []string{"*.example.com"}})
	for origin, allowed := range map[string]bool{
		"":                            true, // not a browser
		"https://app.example.com":     true,
		"https://APP.Example.com":     true,
		"https://example.com.evil.io": false,
		"https://evil.io":             false,
		"not a url":                   false,
	} {
		header := http.Header{}
		if origin != "" {
			header.Set("Origin", origin)
		}
		_, err := s.tryDial(t, gqlws.TransportWS, header)
		if allowed {
			require.NoError(t, err, origin)
		} else {
			require.ErrorContains(t, err, "403", origin)
		}
	}
	// Same origin is always allowed.
	header := http.Header{"Origin": {"http" + strings.TrimPrefix(s.url, "ws")}}
	_, err := s.tryDial(t, gqlws.TransportWS, header)
	require.NoError(t, err)
}

func TestDrainClosesGoingAway(t *testing.T) {
	t.Parallel()
	drain, drained := context.WithCancel(context.Background())
	s := start(t, &gqlws.Transport{Drain: drain})
	c := s.dial(t, gqlws.TransportWS, nil)
	c.init()
	c.send(`{"id":"1","type":"subscribe","payload":{"query":"subscription { name }"}}`)
	drained()
	require.Equal(t, websocket.StatusGoingAway, c.expectClose())
}

func TestMaxOperations(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{MaxOperations: 3})
	c := s.dial(t, gqlws.TransportWS, nil)
	c.init()
	for _, id := range []string{"1", "2", "3", "4"} {
		c.send(`{"id":"` + id + `","type":"subscribe","payload":{"query":"subscription { name }"}}`)
	}
	m := c.expect("error", "4")
	require.Contains(t, string(m.Payload), "already runs 3 operations")

	// Completing one makes room.
	c.send(`{"id":"1","type":"complete"}`)
	require.Eventually(t, func() bool {
		c.send(`{"id":"5","type":"subscribe","payload":{"query":"{ name }"}}`)
		m, err := c.read()
		require.NoError(t, err)
		return m.Type == "next" && m.ID == "5"
	}, 10*time.Second, 10*time.Millisecond)
}

// TestConcurrentOperations runs many operations on one connection at once:
// their writes interleave whole messages (and the race detector watches).
func TestConcurrentOperations(t *testing.T) {
	t.Parallel()
	s := start(t, &gqlws.Transport{MaxOperations: 200})
	c := s.dial(t, gqlws.TransportWS, nil)
	c.init()
	const n = 200
	for i := range n {
		c.send(`{"id":"` + string(rune('A'+i%26)) + strings.Repeat("x", i/26) + `","type":"subscribe","payload":{"query":"{ name }"}}`)
	}
	nexts, completes := map[string]bool{}, map[string]bool{}
	for len(completes) < n {
		m, err := c.read()
		require.NoError(t, err)
		switch m.Type {
		case "next":
			require.JSONEq(t, `{"data":{"name":"test"}}`, string(m.Payload))
			require.False(t, nexts[m.ID])
			nexts[m.ID] = true
		case "complete":
			require.True(t, nexts[m.ID], "complete before next for %s", m.ID)
			completes[m.ID] = true
		default:
			t.Fatalf("unexpected %s", m.Type)
		}
	}
}

// TestNoGoroutineLeak: connections and operations that end, however they
// end, leave nothing behind.
func TestNoGoroutineLeak(t *testing.T) {
	s := start(t, &gqlws.Transport{KeepAlive: time.Hour})
	before := goleak.IgnoreCurrent()
	for i := range 100 {
		c := s.dial(t, gqlws.TransportWS, nil)
		c.init()
		c.send(`{"id":"1","type":"subscribe","payload":{"query":"subscription { name }"}}`)
		c.send(`{"id":"2","type":"subscribe","payload":{"query":"subscription { name }"}}`)
		switch i % 3 {
		case 0:
			c.send(`{"id":"1","type":"complete"}`)
			c.conn.Close(websocket.StatusNormalClosure, "")
		case 1:
			c.conn.CloseNow() // the network goes away
		case 2:
			c.send(`{"type":"bogus"}`)
			c.expectClose()
		}
	}
	goleak.VerifyNone(t, before)
}

// TestInitContextEnds: credentials revoked while connected end the
// connection's context; the connection then closes with 4403 and the
// hook's cause as the reason.
func TestInitContextEnds(t *testing.T) {
	t.Parallel()
	revoke := make(chan context.CancelCauseFunc, 1)
	s := start(t, &gqlws.Transport{Init: func(ctx context.Context, payload map[string]any) (context.Context, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		revoke <- cancel
		return ctx, nil
	}})
	c := s.dial(t, gqlws.TransportWS, nil)
	c.send(`{"type":"connection_init"}`)
	c.expect("connection_ack", "")
	(<-revoke)(errors.New("token revoked"))
	require.Equal(t, websocket.StatusCode(gqlws.CloseForbidden), c.expectClose())
}
