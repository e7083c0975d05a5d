package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/ezplatform/ezplatform/graph/model"
)

// connection builds a Relay connection's edges and page info from one page
// of a store list: items[i] is at cursors[i], hasNext says whether more
// follow, and after is the cursor the page was asked after ("" for the
// first page). edge makes the schema's edge of a cursor and an item.
func connection[T, E any](items []T, cursors []string, hasNext bool, after string, edge func(cursor string, item T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(items))
	for i, item := range items {
		edges[i] = edge(cursors[i], item)
	}
	info := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: after != ""}
	if n := len(cursors); n > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[n-1]
	}
	return edges, info
}

// asksTotalCount reports whether the connection being resolved selects
// totalCount (directly or in a fragment): a count costs a second scan of
// every matching row, which a page alone does not need.
func asksTotalCount(ctx context.Context) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "totalCount" {
			return true
		}
	}
	return false
}
