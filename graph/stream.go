package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/internal/gqlws"
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
//     document. For hub streams the extension moves each event from the hub
//     to gqlgen itself, and executes it once per distinct operation (query,
//     operation name and variables): later subscribers get the same
//     response. The key must grow the caller's identity once results
//     depend on who asks.

// streamState links a subscription's resolver to its responses.
type streamState struct {
	key string // the operation, for shared responses

	mu     sync.Mutex
	err    func() error        // why the stream ended, once it has
	source func() *hub.Message // hub streams: the next event...
	relay  chan *hub.Message   // ...and the channel gqlgen reads
	ended  bool
}

type streamStateKey struct{}

// follow makes the state follow st: it returns the relay that the streams
// extension feeds from st, for gqlgen to read, and records where the
// stream's ending error comes from.
func (s *streamState) follow(st *hub.Stream) <-chan *hub.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.err, s.source, s.relay = st.Err, st.Next, make(chan *hub.Message, 1)
	return s.relay
}

// onStreamEnd records where a stream's ending error comes from, for
// streams that are not relayed.
func onStreamEnd(ctx context.Context, err func() error) {
	if state, ok := ctx.Value(streamStateKey{}).(*streamState); ok {
		state.mu.Lock()
		state.err = err
		state.mu.Unlock()
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

func (s *streamState) hubSource() (func() *hub.Message, chan *hub.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.source, s.relay
}

// streams is the gqlgen extension described above.
type streams struct{ logger *slog.Logger }

var (
	_ graphql.HandlerExtension     = streams{}
	_ graphql.OperationInterceptor = streams{}
	_ graphql.ResponseInterceptor  = streams{}
)

func (streams) ExtensionName() string                   { return "Streams" }
func (streams) Validate(graphql.ExecutableSchema) error { return nil }

func (streams) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
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
	if source, relay := state.hubSource(); source != nil {
		resp = s.shared(ctx, state, source, relay, next)
	} else {
		resp = next(ctx)
	}
	if resp != nil {
		return resp
	}
	return s.end(ctx, state)
}

// shared returns the response to the stream's next event: the one another
// subscriber with the same operation computed, or its own.
func (streams) shared(ctx context.Context, state *streamState, source func() *hub.Message, relay chan *hub.Message,
	next graphql.ResponseHandler,
) *graphql.Response {
	// The stream's work (replay, live feed) runs here, in the goroutine
	// that serves the subscription: a subscriber costs no other.
	m := source()
	if m == nil {
		return nil
	}
	execute := func() *graphql.Response {
		// gqlgen may have ended an execution on a cancelled context
		// without taking its event: drop it, or the send would block.
		select {
		case <-relay:
		default:
		}
		relay <- m
		return next(ctx)
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
