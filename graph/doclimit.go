package graph

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// documentLimit checks a new document before gqlgen validates it. One of
// validation's rules (OverlappingFieldsCanBeMerged) compares the fields
// that share a response name pairwise, a cost that grows with the square
// of their number and that no request deadline stops: 8,000 copies of one
// field, a 40 KB request, took a replica 3 s to refuse. So a document may
// hold at most maxFields fields in all (fieldLimit, after validation,
// counts them again with fragments spread) and repeat one response name at
// most maxRepeats times in a selection set (maxFields 0: no limit).
// Documents in the query cache passed when they were added.
// maxRepeatedField is how often a response name may repeat in a selection
// set: a client that means it asks once.
const maxRepeatedField = 100

type documentLimit struct {
	cache      graphql.Cache[*ast.QueryDocument]
	maxTokens  int
	maxFields  int
	maxRepeats int
}

var (
	_ graphql.HandlerExtension          = documentLimit{}
	_ graphql.OperationParameterMutator = documentLimit{}
)

func (documentLimit) ExtensionName() string                   { return "DocumentLimit" }
func (documentLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d documentLimit) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	if _, ok := d.cache.Get(ctx, p.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, d.maxTokens)
	if err != nil {
		return nil // gqlgen parses it again and says what is wrong
	}
	fields, repeated, repeats := 0, "", 0
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		names := map[string]int{}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				fields++
				if names[s.Alias]++; names[s.Alias] > repeats {
					repeated, repeats = s.Alias, names[s.Alias]
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	switch {
	case d.maxFields > 0 && fields > d.maxFields:
		return limitError(fmt.Sprintf("the document holds %d fields; the limit is %d", fields, d.maxFields))
	case repeats > d.maxRepeats:
		return limitError(fmt.Sprintf("a selection asks for %q %d times; the limit is %d", repeated, repeats, d.maxRepeats))
	}
	return nil
}

func limitError(message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": "FIELD_LIMIT_EXCEEDED"}}
}

// boundedCache is an LRU for gqlgen's document and persisted-query caches,
// bounded by the bytes of what it holds as well as by count: bounded by
// count alone, a thousand distinct 1 MiB queries (comments cost no
// tokens) held a gigabyte. An entry larger than maxEntry is not kept.
type boundedCache[T any] struct {
	maxItems, maxBytes, maxEntry int
	cost                         func(key string, value T) int

	mu    sync.Mutex
	bytes int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type cacheEntry[T any] struct {
	key   string
	value T
	cost  int
}

func newBoundedCache[T any](maxItems, maxBytes, maxEntry int, cost func(key string, value T) int) *boundedCache[T] {
	return &boundedCache[T]{maxItems: maxItems, maxBytes: maxBytes, maxEntry: maxEntry, cost: cost,
		order: list.New(), items: map[string]*list.Element{}}
}

func (c *boundedCache[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*cacheEntry[T]).value, true
	}
	var zero T
	return zero, false
}

func (c *boundedCache[T]) Add(_ context.Context, key string, value T) {
	cost := c.cost(key, value)
	if cost > c.maxEntry {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.remove(e)
	}
	c.items[key] = c.order.PushFront(&cacheEntry[T]{key: key, value: value, cost: cost})
	c.bytes += cost
	for len(c.items) > c.maxItems || c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

func (c *boundedCache[T]) remove(e *list.Element) {
	entry := c.order.Remove(e).(*cacheEntry[T])
	delete(c.items, entry.key)
	c.bytes -= entry.cost
}
