package graph

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/time/rate"

	"github.com/ezplatform/ezplatform/scheduler"
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
	// MaxAliases caps the aliased fields of an operation: aliases repeat a
	// field at no parse cost.
	MaxAliases int
	// MaxFields caps the fields an operation selects, fragments spread.
	MaxFields int
	// MaxTokens caps the lexical tokens of a document, before it is parsed.
	MaxTokens int
	// NoIntrospection turns introspection off, and with it the "did you
	// mean" suggestions of validation errors, which would leak the schema.
	NoIntrospection bool
	// MutationsPerSecond and MutationBurst limit each token's mutations
	// (RATE_LIMITED beyond); zero means no limit.
	MutationsPerSecond float64
	MutationBurst      int
}

// DefaultLimits suit the API's own clients with a wide margin.
var DefaultLimits = Limits{MaxBodyBytes: 1 << 20, MaxComplexity: 5000, MaxDepth: 12, MaxAliases: 30, MaxFields: 2000, MaxTokens: 10_000,
	MutationsPerSecond: 50, MutationBurst: 100}

// NewHandler returns the /graphql HTTP handler: queries and mutations over
// GET and POST, subscriptions over WebSocket and SSE.
func NewHandler(r *Resolver, limits Limits, live Live) http.Handler {
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	cfg := Config{Resolvers: r}
	cfg.Directives.Requires = requires
	// A connection or list costs its size times its selection, nested
	// sizes multiplied: an operation's cost bounds the rows it can read.
	cfg.Complexity.Query.DataSources = func(child int, first *int, _ *string, _ *string, _ *bool) int {
		return pageCost(first, child)
	}
	cfg.Complexity.DataSource.Runs = func(child int, first *int, _ *string, _ []string) int {
		return pageCost(first, child)
	}
	cfg.Complexity.DataSource.Files = func(child int, first *int, _ *string, _ *string) int {
		return pageCost(first, child)
	}
	cfg.Complexity.Run.Files = func(child int, first *int, _ *string) int { return pageCost(first, child) }
	cfg.Complexity.Cluster.Leaders = func(child int, first *int) int { return pageCost(first, child) }
	cfg.Complexity.Schedule.Upcoming = func(child int, n *int) int {
		return 1 + min(max(deref(n), 0), scheduler.MaxUpcoming)
	}
	cfg.Complexity.Query.CronPreview = func(child int, _ string, _ *string, count *int) int {
		n := 5
		if count != nil {
			n = min(max(*count, 1), scheduler.MaxUpcoming)
		}
		return 1 + n
	}
	// Tokens are few (people and services, not data); each counts as a page
	// of the default size.
	cfg.Complexity.Query.APITokens = func(child int) int { return pageCost(nil, child) }
	// filesPerDay is one query per datasource and returns exactly days
	// rows: across a page of datasources it soon reaches the limit.
	cfg.Complexity.DataSource.FilesPerDay = func(child int, days *int) int {
		n := 14
		if days != nil {
			n = min(max(*days, 1), maxFileDays)
		}
		return 1 + n*child
	}

	schema := NewExecutableSchema(cfg)
	srv := handler.New(schema)
	for _, t := range live.transports() {
		srv.AddTransport(t)
	}
	srv.AddTransport(httpTransport{maxBodyBytes: limits.MaxBodyBytes})
	// Parsed documents, and the persisted queries' text, are kept by count
	// and by bytes: at most 1,000 each, 4 MiB of query text in all, none
	// over 64 KiB (a parsed document's size follows its text's).
	documents := newBoundedCache(1000, 4<<20, 64<<10, func(query string, _ *ast.QueryDocument) int { return len(query) })
	srv.SetQueryCache(documents)
	// Automatic persisted queries: a client sends a query's SHA-256, and
	// the query itself only the first time this replica does not know it.
	srv.Use(extension.AutomaticPersistedQuery{Cache: newBoundedCache(1000, 4<<20, 64<<10, func(hash, query string) int { return len(hash) + len(query) })})
	// After the persisted query is resolved, before the document is
	// validated: see documentLimit.
	srv.Use(documentLimit{cache: documents, maxTokens: limits.MaxTokens, maxFields: limits.MaxFields, maxRepeats: maxRepeatedField})
	audit := &auditor{store: r.Store, replicaID: r.ReplicaID, rate: rate.Limit(limits.MutationsPerSecond),
		burst: max(limits.MutationBurst, 1), limiters: map[string]*rate.Limiter{}}
	srv.Use(fieldLimit{max: limits.MaxFields}) // first: see fieldLimit
	srv.Use(authorization{schema: schema.Schema(), audit: audit})
	srv.Use(audit)
	if limits.NoIntrospection {
		srv.SetDisableSuggestion(true)
	} else {
		srv.Use(extension.Introspection{})
	}
	if limits.MaxTokens > 0 {
		srv.SetParserTokenLimit(limits.MaxTokens)
	}
	srv.Use(extension.FixedComplexityLimit(limits.MaxComplexity))
	srv.Use(depthLimit{max: limits.MaxDepth})
	srv.Use(aliasLimit{max: limits.MaxAliases})
	srv.Use(streams{logger: r.Logger, subscribed: live.Subscribed})
	srv.SetErrorPresenter(errorPresenter(r.Logger))
	srv.SetRecoverFunc(recoverFunc(r.Logger))
	return withStatus(live.wrap(withLoaders(r.Store, srv)))
}

// pageCost is the cost of a page of first items (default 20) of child
// cost each. Out-of-range sizes are refused by the resolver with a clear
// message; they are clamped here so that they reach it.
func pageCost(first *int, child int) int {
	size := 20
	if first != nil {
		size = min(max(*first, 1), maxPageSize)
	}
	return 1 + size*child
}
