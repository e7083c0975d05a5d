package graph

import (
	"context"

	"github.com/ezplatform/ezplatform/graph/model"
	"github.com/ezplatform/ezplatform/store"
)

// filePage reads one page of discovered files as a connection.
func (r *Resolver) filePage(ctx context.Context, params *store.DiscoveredFileListParams, first *int) (*model.DiscoveredFileConnection, error) {
	size, err := pageSize(first)
	if err != nil {
		return nil, err
	}
	params.First, params.SkipTotal = size, !asksTotalCount(ctx)
	page, err := r.Store.DiscoveredFileList(ctx, params)
	if err != nil {
		return nil, err
	}
	edges, info := connection(page.Files, page.Cursors, page.HasNextPage, params.After, func(cursor string, f *store.DiscoveredFile) model.DiscoveredFileEdge {
		return model.DiscoveredFileEdge{Cursor: cursor, Node: f}
	})
	return &model.DiscoveredFileConnection{Edges: edges, TotalCount: page.TotalCount, PageInfo: info}, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
