package graph

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/ezplatform/ezplatform/internal/gqlws"
)

// Live configures the streaming transports: WebSocket (graphql-transport-ws
// and the legacy graphql-ws, served by internal/gqlws) and server-sent
// events (graphql-sse, gqlgen's).
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
	// InitTimeout bounds the WebSocket handshake and the wait for
	// connection_init (default 10 s).
	InitTimeout time.Duration
	// ConnectionInit, if set, sees each WebSocket's connection_init payload
	// (where clients put credentials) and returns the context its
	// operations run in, or an error that refuses the connection.
	ConnectionInit func(ctx context.Context, payload map[string]any) (context.Context, error)
	// Subscribed, if set, is told of each subscription as it starts, with
	// its transport ("websocket" or "sse"), and returns what to call when it
	// ends: the replica counts its subscribers by transport.
	Subscribed func(transport string) (ended func())
	// Drain, when it ends, closes every WebSocket with 1001 (going away):
	// clients reconnect, to another replica. Hub streams (over both
	// transports) end first, through hub.Hub.Drain, each with its cursor.
	Drain context.Context
}

// transports returns the streaming transports.
func (l Live) transports() []graphql.Transport {
	keepAlive := cmp.Or(l.KeepAlive, gqlws.DefaultKeepAlive)
	return []graphql.Transport{
		transport.SSE{KeepAlivePingInterval: keepAlive},
		&gqlws.Transport{
			AllowedOrigins: l.AllowedOrigins,
			KeepAlive:      keepAlive,
			InitTimeout:    l.InitTimeout,
			Init:           l.ConnectionInit,
			Drain:          l.Drain,
		},
	}
}

// wrap lets streams that have no event cursor (cluster events) see the
// replica drain (untilDrained).
func (l Live) wrap(next http.Handler) http.Handler {
	if l.Drain == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
