// Package gqlws serves GraphQL over WebSocket for gqlgen: the
// graphql-transport-ws subprotocol (the graphql-ws library's) and the
// legacy graphql-ws one (subscriptions-transport-ws).
//
// gqlgen ships such a transport. This one exists because a replica holds
// thousands of mostly idle subscriptions, and it is built for that: a
// connection costs one goroutine (its reader) and an operation one more (its
// executor); keep-alives are timers, not goroutines; a connection holds no
// write buffer between messages; and a response is framed without
// re-encoding the data gqlgen produced.
package gqlws

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Subprotocols, in order of preference.
const (
	TransportWS = "graphql-transport-ws"
	LegacyWS    = "graphql-ws"
)

// Close codes the subprotocols define, and the ones this transport adds.
const (
	CloseNormal         = websocket.CloseNormalClosure
	CloseGoingAway      = websocket.CloseGoingAway // the replica drains: reconnect, elsewhere
	CloseBadRequest     = 4400
	CloseUnauthorized   = 4401
	CloseForbidden      = 4403
	CloseInitTimeout    = 4408
	CloseDuplicateID    = 4409
	CloseTooManyInits   = 4429
	closeReasonMaxBytes = 123 // a close frame's payload is at most 125 bytes
)

// Defaults of the Transport's zero fields.
const (
	DefaultKeepAlive       = 15 * time.Second
	DefaultInitTimeout     = 10 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxMessageBytes = 1 << 20
	DefaultMaxOperations   = 100
)

// Transport is a gqlgen transport (graphql.Transport) for WebSocket
// upgrades.
type Transport struct {
	// AllowedOrigins are host patterns (path.Match syntax, such as
	// "app.example.com" or "*.example.com") whose pages may connect.
	// Same-origin requests, and requests without an Origin header (not
	// from a browser), are always allowed. Others get 403.
	AllowedOrigins []string
	// KeepAlive is how often the server pings (graphql-transport-ws) or
	// sends "ka" (graphql-ws). A graphql-transport-ws peer that sends no
	// pong for two intervals is closed.
	KeepAlive time.Duration
	// InitTimeout bounds the wait for connection_init.
	InitTimeout time.Duration
	// WriteTimeout bounds each write; a peer that does not read for that
	// long is closed.
	WriteTimeout time.Duration
	// MaxMessageBytes caps a client message; a larger one closes the
	// connection (1009).
	MaxMessageBytes int64
	// MaxOperations caps the operations one connection runs at once; one
	// more gets an error message.
	MaxOperations int
	// Init, if set, sees each connection_init payload (where clients put
	// credentials) and returns the context the connection's operations
	// run in, or an error that refuses the connection (4403). When that
	// context ends before the connection (the credentials were revoked),
	// the operations end, each saying why, and the connection closes with
	// 4403 and the context's cause.
	Init func(ctx context.Context, payload map[string]any) (context.Context, error)
	// Drain, when it ends, closes every connection with 1001 (going
	// away), which clients take as "reconnect, to another server". A
	// connection first gives its operations up to a second to end on
	// their own (and say why).
	Drain context.Context

	once     sync.Once
	upgrader websocket.Upgrader
}

var _ graphql.Transport = (*Transport)(nil)

// Supports reports whether r asks for a WebSocket.
func (t *Transport) Supports(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Do upgrades the request, and returns: the connection is served by a
// goroutine of its own. net/http keeps its per-connection buffers (8 KB)
// until the handler returns, even after the upgrade.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.once.Do(t.init)
	ws, err := t.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	ws.SetReadLimit(t.MaxMessageBytes)
	c := newConn(t, ws, r, exec)
	go c.serve()
}

func (t *Transport) init() {
	t.KeepAlive = cmp.Or(t.KeepAlive, DefaultKeepAlive)
	t.InitTimeout = cmp.Or(t.InitTimeout, DefaultInitTimeout)
	t.WriteTimeout = cmp.Or(t.WriteTimeout, DefaultWriteTimeout)
	t.MaxMessageBytes = cmp.Or(t.MaxMessageBytes, DefaultMaxMessageBytes)
	t.MaxOperations = cmp.Or(t.MaxOperations, DefaultMaxOperations)
	t.upgrader = websocket.Upgrader{
		HandshakeTimeout: t.InitTimeout,
		Subprotocols:     []string{TransportWS, LegacyWS},
		CheckOrigin:      t.checkOrigin,
		// Client messages are small. A write buffer is lent per message by
		// the pool: an idle connection holds none.
		ReadBufferSize:  512,
		WriteBufferPool: &sync.Pool{},
	}
}

// checkOrigin allows same-origin requests, requests without an Origin,
// and origins whose host matches an allowed pattern.
func (t *Transport) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	_, host, ok := strings.Cut(origin, "://")
	if !ok {
		return false
	}
	if strings.EqualFold(host, r.Host) {
		return true
	}
	host = strings.ToLower(host)
	for _, pattern := range t.AllowedOrigins {
		if ok, _ := path.Match(strings.ToLower(pattern), host); ok {
			return true
		}
	}
	return false
}

// AddSubscriptionError ends the operation of ctx with an `error` message
// carrying errs, instead of a normal `complete`, once its responses end.
// It reports whether ctx is an operation of this transport.
func AddSubscriptionError(ctx context.Context, errs ...*gqlerror.Error) bool {
	op, ok := ctx.Value(operationKey{}).(*operation)
	if !ok {
		return false
	}
	op.mu.Lock()
	op.endErrors = append(op.endErrors, errs...)
	op.mu.Unlock()
	return true
}

type operationKey struct{}

// InOperation reports whether ctx is that of an operation on a WebSocket.
func InOperation(ctx context.Context) bool {
	_, ok := ctx.Value(operationKey{}).(*operation)
	return ok
}

// message is a message of either subprotocol.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// errClosed is returned by writes on a closed connection.
var errClosed = errors.New("gqlws: connection closed")
