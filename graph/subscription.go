package graph

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/store"
)

// maxSubscribedDataSources caps scheduleEvents' dataSourceIds; a client
// that follows more subscribes to all.
const maxSubscribedDataSources = 1000

// eventDataSourceID is the datasource of a hub message, as an ID.
func eventDataSourceID(m *hub.Message) string {
	if m.DataSourceID == nil {
		return ""
	}
	return m.DataSourceID.String()
}

// parseDataSourceIDs reads scheduleEvents' filter: nil (every datasource)
// stays nil.
func parseDataSourceIDs(raw []string) ([]uuid.UUID, error) {
	if raw == nil {
		return nil, nil
	}
	if len(raw) > maxSubscribedDataSources {
		return nil, newFieldError(CodeValidation, "dataSourceIds",
			"at most %d datasources per subscription; subscribe to all by leaving dataSourceIds out", maxSubscribedDataSources)
	}
	ids := make([]uuid.UUID, 0, len(raw))
	for _, s := range raw {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, newFieldError(CodeValidation, "dataSourceIds", "%q is not a datasource id (a UUID)", truncate(s, 64))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// subscribe starts a hub stream for a subscription resolver.
func (r *subscriptionResolver) subscribe(ctx context.Context, params hub.SubscribeParams, after *string) (<-chan *hub.Message, error) {
	if after != nil {
		c, err := store.ParseEventCursor(*after)
		if err != nil {
			return nil, newFieldError(CodeInvalidCursor, "after", "%q is not an event cursor", truncate(*after, 64))
		}
		params.After = &c
	}
	st, err := r.Hub.Subscribe(ctx, params)
	switch {
	case errors.Is(err, store.ErrCursorExpired):
		return nil, newFieldError(CodeCursorExpired, "after",
			"cursor %s is older than the event retention: subscribe without after to start from a snapshot", *after)
	case errors.Is(err, store.ErrInvalidCursor):
		return nil, newFieldError(CodeInvalidCursor, "after", "no event has cursor %s", *after)
	case err != nil:
		return nil, err
	}
	onStreamEnd(ctx, st.Err)
	return st.C, nil
}

// A subscription resolver returns a channel; when the channel closes,
// gqlgen completes the operation and has no way to say why. streamEnd
// carries the reason (slow consumer, shutdown) from the resolver to the
// response that ends the stream: an `error` message over WebSocket, and a
// last result with errors over SSE.
type streamEnd struct {
	mu   sync.Mutex
	err  func() error
	done bool
}

type streamEndKey struct{}

// onStreamEnd registers where the subscription's ending error comes from.
func onStreamEnd(ctx context.Context, err func() error) {
	if end, ok := ctx.Value(streamEndKey{}).(*streamEnd); ok {
		end.mu.Lock()
		end.err = err
		end.mu.Unlock()
	}
}

// take returns the ending error once.
func (e *streamEnd) take() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done || e.err == nil {
		return nil
	}
	e.done = true
	return e.err()
}

// streamEnds is the gqlgen extension that reports why a stream ended.
type streamEnds struct{ logger *slog.Logger }

var (
	_ graphql.HandlerExtension     = streamEnds{}
	_ graphql.OperationInterceptor = streamEnds{}
	_ graphql.ResponseInterceptor  = streamEnds{}
)

func (streamEnds) ExtensionName() string                   { return "StreamEnds" }
func (streamEnds) Validate(graphql.ExecutableSchema) error { return nil }

func (streamEnds) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Subscription {
		ctx = context.WithValue(ctx, streamEndKey{}, &streamEnd{})
	}
	return next(ctx)
}

func (s streamEnds) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp != nil {
		return resp
	}
	end, ok := ctx.Value(streamEndKey{}).(*streamEnd)
	if !ok {
		return nil
	}
	err := end.take()
	if err == nil {
		return nil
	}
	gqlErr := streamError(ctx, s.logger, err)
	if graphql.GetOperationContext(ctx).Headers.Get("Upgrade") != "" {
		// WebSocket: an `error` message ends the operation.
		transport.AddSubscriptionError(ctx, gqlErr)
		return nil
	}
	return &graphql.Response{Errors: gqlerror.List{gqlErr}}
}

// streamError presents the reason a stream ended, with the cursor to
// resume from when there is one.
func streamError(ctx context.Context, logger *slog.Logger, err error) *gqlerror.Error {
	var resumable *hub.StreamError
	if errors.As(err, &resumable) {
		code, msg := CodeSlowConsumer, "the subscription fell too far behind and was closed: resubscribe with after set to extensions.cursor"
		if errors.Is(err, hub.ErrStopped) {
			code, msg = CodeShuttingDown, "this replica is shutting down: resubscribe, to any replica, with after set to extensions.cursor"
		}
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code, "cursor": resumable.Cursor.String()}}
	}
	logger.ErrorContext(ctx, "graphql: subscription failed", "error", err)
	return &gqlerror.Error{Message: "internal error: the subscription ended; resubscribe", Extensions: map[string]any{"code": CodeInternal}}
}
