package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/ezplatform/ezplatform/store"
)

// Error codes, in extensions.code. They are a contract with clients.
const (
	CodeValidation      = "VALIDATION"
	CodeNameTaken       = "NAME_TAKEN"
	CodeNotFound        = "NOT_FOUND"
	CodeVersionConflict = "VERSION_CONFLICT"
	CodeInvalidCursor   = "INVALID_CURSOR"
	// CodeCursorExpired: the event log no longer reaches back to the cursor.
	CodeCursorExpired = "CURSOR_EXPIRED"
	// CodeSlowConsumer ends a subscription that fell a buffer behind;
	// extensions.cursor says where to resume.
	CodeSlowConsumer = "SLOW_CONSUMER"
	// CodeShuttingDown ends a subscription on a replica that stops;
	// extensions.cursor says where to resume, on any replica.
	CodeShuttingDown = "REPLICA_SHUTTING_DOWN"
	CodeInternal     = "INTERNAL"
	CodeBadRequest   = "BAD_REQUEST"
)

// fieldError is a user error about one input field. Field is the path in
// GraphQL terms, e.g. "input.schedule.cron".
type fieldError struct {
	Code  string
	Field string
	Msg   string
}

func (e *fieldError) Error() string { return e.Msg }

func newFieldError(code, field, format string, args ...any) *fieldError {
	return &fieldError{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// errorPresenter turns resolver errors into GraphQL errors with a code.
// Errors it does not know are logged and shown as INTERNAL without detail:
// internals (SQL, paths of the server) are not the client's business.
func errorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Extensions["code"] != nil {
			return gqlErr
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		var (
			fe       *fieldError
			conflict *store.VersionConflictError
		)
		switch {
		case errors.As(err, &fe):
			out.Message = fe.Msg
			out.Extensions = map[string]any{"code": fe.Code}
			if fe.Field != "" {
				out.Extensions["field"] = fe.Field
			}
		case errors.As(err, &conflict):
			out.Message = fmt.Sprintf("the datasource changed since you read it: you expected version %d, it is now at version %d; reload it and retry", conflict.Expected, conflict.Actual)
			out.Extensions = map[string]any{"code": CodeVersionConflict, "field": "expectedVersion",
				"expectedVersion": conflict.Expected, "actualVersion": conflict.Actual}
		case errors.Is(err, store.ErrNotFound):
			out.Message = "no datasource with that id"
			out.Extensions = map[string]any{"code": CodeNotFound, "field": "id"}
		case errors.Is(err, store.ErrInvalidCursor):
			out.Message = "the cursor is not one this server returned; start again without after"
			out.Extensions = map[string]any{"code": CodeInvalidCursor, "field": "after"}
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			out.Message = "the request was cancelled or timed out"
			out.Extensions = map[string]any{"code": CodeInternal}
		case gqlErr != nil && gqlErr.Err == nil:
			// gqlgen's own errors already say what is wrong; only the code is
			// missing.
			if out.Extensions == nil {
				out.Extensions = map[string]any{}
			}
			out.Extensions["code"] = CodeBadRequest
		default:
			logger.ErrorContext(ctx, "graphql: internal error", "path", out.Path.String(), "error", err)
			out.Message = "internal error; the server log has the details"
			out.Extensions = map[string]any{"code": CodeInternal}
		}
		return out
	}
}

// recoverFunc keeps a panicking resolver from taking the replica down (I7).
func recoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql: panic in resolver", "panic", p)
		return errors.New("internal error")
	}
}

// userErrors reports every error but the first through the response context
// and returns the first, so that a form can show all its problems at once.
func userErrors(ctx context.Context, errs []*fieldError) error {
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs[1:] {
		graphql.AddError(ctx, e)
	}
	return errs[0]
}
