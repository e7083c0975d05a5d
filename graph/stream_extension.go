package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/internal/gqlws"
	"github.com/ezplatform/ezplatform/scheduler"
)

// A subscription resolver returns a channel, and gqlgen executes the
// selection set once per event per subscriber. Two things are missing, and
// the streams extension adds them:
//
//   - Why a stream ended. When the channel closes, gqlgen completes the
//     operation; the extension first reports the stream's error (slow
//     consumer, shutdown, with the cursor to resume from): an `error`
//     message over WebSocket, a last result with errors over SSE.
//   - Shared work. Thousands of clients usually subscribe with the same
//     document. The extension pulls each event from the stream (follow)
//     and hands it to gqlgen itself; an event of the hub it executes once
//     per distinct operation (query,
//     operation name and variables): later subscribers get the same
//     response. The key must grow the caller's identity once results
//     depend on who asks.

// eventStream is what every subscription reads, pulled in the goroutine
// that serves it: *hub.Stream (schedule and datasource events) and
// *scheduler.ClusterStream. Next returns nil once the stream has ended, and
// Err then says why.
type eventStream[E any] interface {
	Next() E
	Err() error
	// Cursor is the position of the last event Next returned.
	Cursor() string
	Close()
}

var (
	_ eventStream[*hub.Message]            = (*hub.Stream)(nil)
	_ eventStream[*scheduler.ClusterEvent] = (*scheduler.ClusterStream)(nil)
)

// memoized is an event that shares work among its subscribers
// (*hub.Message).
type memoized interface {
	Memo(key string, compute func() any) any
}

// streamState links a subscription's resolver to its responses.
type streamState struct {
	key string // the operation, for shared responses

	mu      sync.Mutex
	err     func() error       // why the stream ended, once it has
	next    func() (any, bool) // the stream's next event...
	deliver func(any)          // ...handed to the channel gqlgen reads
	ended   bool
}

type streamStateKey struct{}

// follow is the one adapter from a stream to gqlgen: it returns the relay
// channel that the streams extension feeds from st, for gqlgen to read,
// and records where the stream's ending error comes from (st.Err unless
// end is given).
func follow[E comparable](ctx context.Context, st eventStream[E], end func() error) (<-chan E, error) {
	state, ok := ctx.Value(streamStateKey{}).(*streamState)
	if !ok {
		st.Close()
		return nil, errors.New("graph: subscriptions need the streams extension, which NewHandler installs")
	}
	if end == nil {
		end = st.Err
	}
	ended := func() error {
		err := end()
		if cause := context.Cause(ctx); err == nil && errors.Is(cause, auth.ErrUnauthenticated) {
			err = cause // the token was revoked: the stream ended with its context, and says why
		}
		if err != nil {
			return &streamEnd{err: err, cursor: st.Cursor()}
		}
		return nil
	}
	relay := make(chan E, 1)
	var none E
	state.mu.Lock()
	defer state.mu.Unlock()
	state.err = ended
	state.next = func() (any, bool) {
		e := st.Next()
		return e, e != none
	}
	state.deliver = deliverTo(relay)
	return relay, nil
}

// streamEnd is why a stream ended, and the cursor of the last event it
// delivered ("" if none), so that every ending says where to resume.
type streamEnd struct {
	err    error
	cursor string
}

func (e *streamEnd) Error() string { return e.err.Error() }
func (e *streamEnd) Unwrap() error { return e.err }

// deliverTo hands events to gqlgen through relay.
func deliverTo[E any](relay chan E) func(any) {
	return func(e any) {
		// gqlgen may have ended an execution on a cancelled context
		// without taking its event: drop it, or the send would block.
		select {
		case <-relay:
		default:
		}
		relay <- e.(E)
	}
}

// endErr returns the ending error once.
func (s *streamState) endErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended || s.err == nil {
		return nil
	}
	s.ended = true
	return s.err()
}

func (s *streamState) source() (func() (any, bool), func(any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next, s.deliver
}

// streams is the gqlgen extension described above.
type streams struct {
	logger     *slog.Logger
	subscribed func(transport string) (ended func())
}

var (
	_ graphql.HandlerExtension     = streams{}
	_ graphql.OperationInterceptor = streams{}
	_ graphql.ResponseInterceptor  = streams{}
)

func (streams) ExtensionName() string                   { return "Streams" }
func (streams) Validate(graphql.ExecutableSchema) error { return nil }

func (s streams) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		if s.subscribed != nil {
			transport := "sse"
			if gqlws.InOperation(ctx) {
				transport = "websocket"
			}
			context.AfterFunc(ctx, s.subscribed(transport))
		}
		vars, _ := json.Marshal(oc.Variables) // map keys come out sorted
		ctx = context.WithValue(ctx, streamStateKey{}, &streamState{key: oc.OperationName + "\x00" + oc.RawQuery + "\x00" + string(vars)})
	}
	return next(ctx)
}

func (s streams) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	state, ok := ctx.Value(streamStateKey{}).(*streamState)
	if !ok {
		return next(ctx)
	}
	var resp *graphql.Response
	if source, deliver := state.source(); source != nil {
		resp = s.shared(ctx, state, source, deliver, next)
	} else {
		resp = next(ctx)
	}
	if resp != nil {
		return resp
	}
	return s.end(ctx, state)
}

// shared returns the response to the stream's next event: for events that
// share work, the one another subscriber with the same operation computed,
// or its own.
func (streams) shared(ctx context.Context, state *streamState, source func() (any, bool), deliver func(any),
	next graphql.ResponseHandler,
) *graphql.Response {
	// The stream's work (replay, live feed) runs here, in the goroutine
	// that serves the subscription: a subscriber costs no other.
	e, ok := source()
	if !ok {
		return nil
	}
	execute := func() *graphql.Response {
		deliver(e)
		return next(ctx)
	}
	m, ok := e.(memoized)
	if !ok {
		return execute()
	}
	shared, _ := m.Memo(state.key, func() any {
		resp := execute()
		if resp == nil {
			return nil
		}
		// gqlgen reuses the buffer behind Data for the operation's next
		// event: others must get a copy.
		own := *resp
		own.Data = bytes.Clone(resp.Data)
		return &own
	}).(*graphql.Response)
	if shared != nil {
		return shared
	}
	if ctx.Err() != nil {
		return nil // it was this subscriber, and it is leaving
	}
	// Another subscriber computed it and left half way: compute our own.
	return execute()
}

// end reports why the stream ended, if it did not end with its context.
func (s streams) end(ctx context.Context, state *streamState) *graphql.Response {
	err := state.endErr()
	if err == nil {
		return nil
	}
	gqlErr := streamError(ctx, s.logger, err)
	if gqlws.AddSubscriptionError(ctx, gqlErr) {
		return nil // WebSocket: an `error` message ends the operation
	}
	return &graphql.Response{Errors: gqlerror.List{gqlErr}} // SSE: a last result
}
