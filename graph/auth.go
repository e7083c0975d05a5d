package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/graph/model"
	"github.com/ezplatform/ezplatform/store"
)

// Authorization: every request carries an auth.Principal (the replica's
// HTTP layer puts it in the context; auth.Open when authentication is
// off). A field marked @requires(role:) fails with FORBIDDEN for a
// principal below that role; an operation whose every top-level field does
// fails as a whole, with HTTP 403. Every mutation asked is written to the
// audit log, allowed or not, and each token's mutations are rate limited.

const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	// CodeRateLimited: the token sent more mutations than its rate allows;
	// extensions.retryAfterMs says when to try again.
	CodeRateLimited = "RATE_LIMITED"
)

var roles = map[model.Role]auth.Role{model.RoleViewer: auth.Viewer, model.RoleEditor: auth.Editor, model.RoleAdmin: auth.Admin}

func modelRole(r auth.Role) model.Role {
	for m, a := range roles {
		if a == r {
			return m
		}
	}
	return model.RoleViewer
}

// requires is the @requires directive.
func requires(ctx context.Context, _ any, next graphql.Resolver, role model.Role) (any, error) {
	if err := allowed(auth.FromContext(ctx), roles[role], graphql.GetFieldContext(ctx).Field.Name); err != nil {
		return nil, err
	}
	return next(ctx)
}

func allowed(p *auth.Principal, required auth.Role, field string) *fieldError {
	if p == nil {
		return newFieldError(CodeUnauthenticated, "", "this request carries no credentials")
	}
	if !p.Role.Allows(required) {
		return newFieldError(CodeForbidden, "", "the %s role may not use %s: it needs %s", p.Role, field, required)
	}
	return nil
}

// requiredRole is the role a field's @requires names, or 0.
func requiredRole(def *ast.FieldDefinition) auth.Role {
	if def == nil {
		return 0
	}
	d := def.Directives.ForName("requires")
	if d == nil {
		return 0
	}
	return roles[model.Role(d.Arguments.ForName("role").Value.Raw)]
}

// authorization refuses, before execution, an operation without a
// principal (401) or whose every top-level field the principal may not use
// (403).
type authorization struct {
	schema *ast.Schema
	audit  *auditor
}

var (
	_ graphql.HandlerExtension        = authorization{}
	_ graphql.OperationContextMutator = authorization{}
)

func (authorization) ExtensionName() string                          { return "Authorization" }
func (authorization) Validate(schema graphql.ExecutableSchema) error { return nil }

func (a authorization) MutateOperationContext(ctx context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	p := auth.FromContext(ctx)
	if p == nil {
		setStatus(ctx, http.StatusUnauthorized)
		return &gqlerror.Error{Message: "this API needs a token: send Authorization: Bearer <token>",
			Extensions: map[string]any{"code": CodeUnauthenticated}}
	}
	var root *ast.Definition
	switch rc.Operation.Operation {
	case ast.Mutation:
		root = a.schema.Mutation
	case ast.Subscription:
		root = a.schema.Subscription
	default:
		root = a.schema.Query
	}
	var denied []string
	var need auth.Role
	fields := graphql.CollectFields(rc, rc.Operation.SelectionSet, nil)
	for _, f := range fields {
		if r := requiredRole(root.Fields.ForName(f.Name)); r != 0 && !p.Role.Allows(r) {
			denied, need = append(denied, f.Name), max(need, r)
		}
	}
	if len(denied) == 0 || len(denied) < len(fields) {
		return nil // fields the role may not use fail one by one
	}
	if rc.Operation.Operation == ast.Mutation {
		for _, f := range fields {
			a.audit.record(ctx, p, f.Name, dataSourceArg(f.ArgumentMap(rc.Variables)), CodeForbidden)
		}
	}
	setStatus(ctx, http.StatusForbidden)
	return &gqlerror.Error{
		Message:    fmt.Sprintf("the %s role may not use %s: it needs %s", p.Role, strings.Join(denied, ", "), need),
		Extensions: map[string]any{"code": CodeForbidden},
	}
}

// auditor writes every mutation to the audit log and limits each token's
// rate of mutations.
type auditor struct {
	store     *store.Store
	replicaID string
	rate      rate.Limit
	burst     int

	mu       sync.Mutex
	limiters map[string]*rate.Limiter
}

var (
	_ graphql.HandlerExtension        = (*auditor)(nil)
	_ graphql.OperationContextMutator = (*auditor)(nil)
)

func (*auditor) ExtensionName() string                          { return "Audit" }
func (*auditor) Validate(schema graphql.ExecutableSchema) error { return nil }

// MutateOperationContext puts the auditor in the field middleware of
// mutations only. As a FieldInterceptor it would be a layer around every
// field of every query: 300 calls for a page of 50 datasources, which then
// need deeper stacks, for nothing.
func (a *auditor) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil || rc.Operation.Operation != ast.Mutation {
		return nil
	}
	inner := rc.ResolverMiddleware
	rc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
		return a.interceptField(ctx, func(ctx context.Context) (any, error) { return inner(ctx, next) })
	}
	return nil
}

// interceptField admits and records a mutation's root field.
func (a *auditor) interceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" {
		return next(ctx)
	}
	p := auth.FromContext(ctx)
	if wait, ok := a.admit(p); !ok {
		a.record(ctx, p, fc.Field.Name, dataSourceArg(fc.Args), CodeRateLimited)
		return nil, &gqlerror.Error{
			Message:    fmt.Sprintf("too many mutations from this token: retry in %s", wait.Round(time.Millisecond)),
			Extensions: map[string]any{"code": CodeRateLimited, "retryAfterMs": wait.Milliseconds()},
		}
	}
	res, err := next(ctx)
	id := dataSourceArg(fc.Args)
	if ds, ok := res.(*model.DataSource); ok && ds != nil && id == nil {
		if parsed, perr := uuid.Parse(ds.ID); perr == nil {
			id = &parsed
		}
	}
	a.record(ctx, p, fc.Field.Name, id, errorCode(err))
	return res, err
}

// admit takes one mutation from the principal's allowance, or says how
// long to wait.
func (a *auditor) admit(p *auth.Principal) (time.Duration, bool) {
	if a.rate <= 0 || p == nil {
		return 0, true
	}
	a.mu.Lock()
	l := a.limiters[p.TokenName]
	if l == nil {
		if len(a.limiters) > 10_000 {
			clear(a.limiters) // names are bounded by the tokens table; this bounds memory anyway
		}
		l = rate.NewLimiter(a.rate, a.burst)
		a.limiters[p.TokenName] = l
	}
	a.mu.Unlock()
	r := l.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return d, false
	}
	return 0, true
}

func (a *auditor) record(ctx context.Context, p *auth.Principal, operation string, dataSourceID *uuid.UUID, outcome string) {
	if a.store == nil {
		return
	}
	e := &store.AuditEntry{Role: "none", Operation: operation, DataSourceID: dataSourceID, Outcome: outcome, ReplicaID: a.replicaID}
	if p != nil {
		e.Role = p.Role.String()
		if p.Authenticated() {
			e.TokenName = &p.TokenName
		}
	}
	// The client leaving must not lose the record of what it did.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := a.store.AuditRecord(ctx, e); err != nil {
		graphql.AddError(ctx, &gqlerror.Error{Message: "the audit log could not be written", Extensions: map[string]any{"code": CodeInternal}})
	}
}

// dataSourceArg is the datasource a mutation names in its id argument.
func dataSourceArg(args map[string]any) *uuid.UUID {
	s, _ := args["id"].(string)
	id, err := uuid.Parse(s)
	if err != nil {
		return nil
	}
	return &id
}

// errorCode is the audit outcome of a resolver's error.
func errorCode(err error) string {
	var (
		fe       *fieldError
		gqlErr   *gqlerror.Error
		conflict *store.VersionConflictError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &fe):
		return fe.Code
	case errors.As(err, &conflict):
		return CodeVersionConflict
	case errors.Is(err, store.ErrNotFound):
		return CodeNotFound
	case errors.As(err, &gqlErr) && gqlErr.Extensions["code"] != nil:
		return fmt.Sprint(gqlErr.Extensions["code"])
	}
	return CodeInternal
}

// statusKey holds the HTTP status an extension chose for the response.
type statusKey struct{}

func setStatus(ctx context.Context, code int) {
	if s, ok := ctx.Value(statusKey{}).(*int); ok {
		*s = code
	}
}

// withStatus lets the extensions choose the status of a GET or POST
// response (gqlgen answers 200 or 422). Streams are left alone: they need
// their ResponseWriter's Hijacker and Flusher.
func withStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		status := new(int)
		next.ServeHTTP(&statusWriter{ResponseWriter: w, status: status}, r.WithContext(context.WithValue(r.Context(), statusKey{}, status)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	status      *int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if *w.status != 0 {
		code = *w.status
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func apiToken(t *store.APIToken) *model.APIToken {
	role, _ := auth.ParseRole(t.Role)
	return &model.APIToken{Name: t.Name, Role: modelRole(role), CreatedAt: t.CreatedAt, CreatedBy: t.CreatedBy,
		LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
}
