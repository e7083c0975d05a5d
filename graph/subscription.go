package graph

import (
	"context"
	"encoding"
	"errors"
	"log/slog"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/auth"
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
	var err error
	if params.After, err = parseAfter[store.EventCursor](after, "an event cursor"); err != nil {
		return nil, err
	}
	st, err := r.Hub.Subscribe(ctx, params)
	if err != nil {
		return nil, subscribeError(err, after)
	}
	return follow(ctx, st, nil)
}

// parseAfter reads a subscription's after argument with the cursor's text
// codec, the same for every stream: nil stays nil.
func parseAfter[C any, P interface {
	*C
	encoding.TextUnmarshaler
}](after *string, what string) (*C, error) {
	if after == nil {
		return nil, nil
	}
	c := new(C)
	if err := P(c).UnmarshalText([]byte(*after)); err != nil {
		return nil, newFieldError(CodeInvalidCursor, "after", "%q is not %s", truncate(*after, 64), what)
	}
	return c, nil
}

// subscribeError presents why a stream could not start after a cursor:
// the same two errors for every stream.
func subscribeError(err error, after *string) error {
	switch {
	case errors.Is(err, store.ErrCursorExpired):
		return newFieldError(CodeCursorExpired, "after",
			"cursor %s is older than the stream's history: subscribe without after to start from a snapshot", *after)
	case errors.Is(err, store.ErrInvalidCursor):
		return newFieldError(CodeInvalidCursor, "after", "no event has cursor %s", *after)
	}
	return err
}

// streamError presents the reason a stream ended, with the cursor to
// resume from (extensions.cursor) once the stream has delivered an event.
func streamError(ctx context.Context, logger *slog.Logger, err error) *gqlerror.Error {
	cursor := ""
	var end *streamEnd
	if errors.As(err, &end) {
		cursor = end.cursor
	}
	var resumable *hub.StreamError
	if errors.As(err, &resumable) {
		cursor = resumable.Cursor.String()
	}
	code, msg := CodeInternal, "internal error: the subscription ended; resubscribe"
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		code, msg = CodeUnauthenticated, "the token was revoked or has expired: sign in again, then resubscribe"
	case errors.Is(err, errDrained), errors.Is(err, hub.ErrStopped):
		code, msg = CodeShuttingDown, "this replica is shutting down: resubscribe, to any replica"
	case resumable != nil:
		code, msg = CodeSlowConsumer, "the subscription fell too far behind and was closed: resubscribe"
	default:
		logger.ErrorContext(ctx, "graphql: subscription failed", "error", err)
	}
	ext := map[string]any{"code": code}
	if cursor != "" {
		ext["cursor"] = cursor
		msg += ", with after set to extensions.cursor"
	}
	return &gqlerror.Error{Message: msg, Extensions: ext}
}
