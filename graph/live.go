package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
)

// Live configures the streaming transports: WebSocket (graphql-transport-ws
// and the legacy graphql-ws) and server-sent events (graphql-sse).
type Live struct {
	// AllowedOrigins are host patterns (path.Match syntax, such as
	// "app.example.com" or "*.example.com") whose pages may open a
	// WebSocket. Same-origin requests are always allowed; empty means
	// only those.
	AllowedOrigins []string
	// KeepAlive is how often the server pings. A graphql-transport-ws peer
	// that misses two pongs is closed; graphql-ws and SSE get keep-alive
	// messages (default 15 s).
	KeepAlive time.Duration
	// InitTimeout bounds the wait for connection_init (default 10 s).
	InitTimeout time.Duration
	// ConnectionInit, if set, sees each WebSocket's connection_init payload
	// (where clients put credentials) and returns the context its
	// operations run in, or an error that refuses the connection.
	ConnectionInit func(ctx context.Context, payload map[string]any) (context.Context, error)
	// Drain, when it ends, closes every WebSocket with 1001 (going away):
	// clients reconnect, to another replica. Streams over SSE end through
	// the hub (hub.Hub.Drain).
	Drain context.Context
}

const (
	defaultKeepAlive   = 15 * time.Second
	defaultInitTimeout = 10 * time.Second
	// closeGoingAway tells a WebSocket client that the server is going
	// down: graphql-ws clients retry on it.
	closeGoingAway = int(websocket.StatusGoingAway)
)

// transports returns the streaming transports.
func (l Live) transports() []graphql.Transport {
	keepAlive := l.KeepAlive
	if keepAlive <= 0 {
		keepAlive = defaultKeepAlive
	}
	initTimeout := l.InitTimeout
	if initTimeout <= 0 {
		initTimeout = defaultInitTimeout
	}
	ws := transport.Websocket{
		Implementation: drainingWebsocket{
			inner:    transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: l.AllowedOrigins}},
			draining: l.Drain,
		},
		KeepAlivePingInterval: keepAlive, // graphql-ws "ka"
		PingPongInterval:      keepAlive, // graphql-transport-ws ping, pong expected within 2×
		InitTimeout:           initTimeout,
	}
	if l.ConnectionInit != nil {
		ws.InitFunc = func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			ctx, err := l.ConnectionInit(ctx, payload)
			if err != nil {
				// 4403 Forbidden: graphql-ws clients do not retry it.
				return transport.WithWebsocketCloseCode(ctx, 4403), nil, err
			}
			return ctx, nil, nil
		}
	}
	return []graphql.Transport{transport.SSE{KeepAlivePingInterval: keepAlive}, ws}
}

// wrap ends WebSocket requests when Drain ends. http.Server.Shutdown does
// not close hijacked connections; this does, with a proper close code.
func (l Live) wrap(next http.Handler) http.Handler {
	if l.Drain == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			stop := context.AfterFunc(l.Drain, cancel)
			defer stop()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), drainKey{}, l.Drain)))
	})
}

type drainKey struct{}

// errDrained ends a stream that has no event cursor (cluster events) when
// the replica drains.
var errDrained = errors.New("graph: the replica is shutting down")

// untilDrained returns a context that also ends when the replica drains,
// and whether it has: hub streams end through the hub, others through this.
func untilDrained(ctx context.Context) (context.Context, func() bool) {
	drain, ok := ctx.Value(drainKey{}).(context.Context)
	if !ok {
		return ctx, func() bool { return false }
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(drain, cancel)
	context.AfterFunc(ctx, func() { stop() }) // the stream ended first: forget it
	return ctx, func() bool { return drain.Err() != nil }
}

// drainingWebsocket accepts WebSockets whose normal close turns into
// "going away" once the replica drains.
type drainingWebsocket struct {
	inner    transport.CoderWebsocketImplementation
	draining context.Context
}

func (d drainingWebsocket) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := d.inner.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	return &drainingConn{WebsocketConn: conn, draining: d.draining}, nil
}

type drainingConn struct {
	transport.WebsocketConn
	draining context.Context
}

var (
	_ transport.WebsocketReadLimiter   = (*drainingConn)(nil)
	_ transport.WebsocketReadDeadliner = (*drainingConn)(nil)
)

func (c *drainingConn) WriteClose(code int, msg string) error {
	if c.draining != nil && c.draining.Err() != nil && code == transport.WebsocketCloseNormalClosure {
		code, msg = closeGoingAway, "replica shutting down: reconnect"
	}
	return c.WebsocketConn.WriteClose(code, msg)
}

func (c *drainingConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *drainingConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
