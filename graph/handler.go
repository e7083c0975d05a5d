package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"
)

// Limits protect a replica from expensive or hostile requests (I7).
type Limits struct {
	// MaxBodyBytes caps a POST body.
	MaxBodyBytes int64
	// MaxComplexity caps gqlgen's complexity score of an operation; a
	// connection counts its page size times its selection.
	MaxComplexity int
	// MaxDepth caps the nesting of selections, introspection excepted.
	MaxDepth int
	// MutationsPerSecond and MutationBurst limit each token's mutations
	// (RATE_LIMITED beyond); zero means no limit.
	MutationsPerSecond float64
	MutationBurst      int
}

// DefaultLimits suit the API's own clients with a wide margin.
var DefaultLimits = Limits{MaxBodyBytes: 1 << 20, MaxComplexity: 2000, MaxDepth: 12, MutationsPerSecond: 50, MutationBurst: 100}

// NewHandler returns the /graphql HTTP handler: queries and mutations over
// GET and POST, subscriptions over WebSocket and SSE.
func NewHandler(r *Resolver, limits Limits, live Live) http.Handler {
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	cfg := Config{Resolvers: r}
	cfg.Directives.Requires = requires
	cfg.Complexity.Query.DataSources = func(child int, first *int, _ *string, _ *string, _ *bool) int {
		// Out-of-range sizes are refused by the resolver with a clear
		// message; clamp here so that they reach it.
		size := 20
		if first != nil {
			size = min(max(*first, 1), maxPageSize)
		}
		return 1 + size*child
	}
	cfg.Complexity.Schedule.Upcoming = func(child int, n *int) int {
		return 1 + min(max(deref(n), 0), 100)
	}
	// filesPerDay is one query per datasource and returns exactly days
	// rows: across a page of datasources it soon reaches the limit.
	cfg.Complexity.DataSource.FilesPerDay = func(child int, days *int) int {
		n := 14
		if days != nil {
			n = min(max(*days, 1), maxFileDays)
		}
		return 1 + n*child
	}
	cfg.Complexity.Cluster.Leaders = func(child int, first *int) int {
		size := 20
		if first != nil {
			size = min(max(*first, 1), maxPageSize)
		}
		return 1 + size*child
	}

	schema := NewExecutableSchema(cfg)
	srv := handler.New(schema)
	for _, t := range live.transports() {
		srv.AddTransport(t)
	}
	srv.AddTransport(httpTransport{maxBodyBytes: limits.MaxBodyBytes})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	audit := &auditor{store: r.Store, replicaID: r.ReplicaID, rate: rate.Limit(limits.MutationsPerSecond),
		burst: max(limits.MutationBurst, 1), limiters: map[string]*rate.Limiter{}}
	srv.Use(authorization{schema: schema.Schema(), audit: audit})
	srv.Use(audit)
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(limits.MaxComplexity))
	srv.Use(depthLimit{max: limits.MaxDepth})
	srv.Use(streams{logger: r.Logger})
	srv.SetErrorPresenter(errorPresenter(r.Logger))
	srv.SetRecoverFunc(recoverFunc(r.Logger))
	return withStatus(live.wrap(withLoaders(r.Store, srv)))
}

// depthLimit refuses operations nested deeper than max. Introspection is
// exempt: GraphiQL's own introspection query is deep, and its cost is bounded
// by the schema, not by the data.
type depthLimit struct{ max int }

var (
	_ graphql.HandlerExtension        = depthLimit{}
	_ graphql.OperationContextMutator = depthLimit{}
)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(rc.Operation.SelectionSet, 0); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("the operation is nested %d levels deep; the limit is %d", depth, d.max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

// selectionDepth returns the deepest field nesting of set. Fragment spreads
// are followed; validation has already refused fragment cycles.
func selectionDepth(set ast.SelectionSet, depth int) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				continue
			}
			d = selectionDepth(s.SelectionSet, depth+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, depth)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
