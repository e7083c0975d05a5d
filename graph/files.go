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
	params.First = size
	page, err := r.Store.DiscoveredFileList(ctx, params)
	if err != nil {
		return nil, err
	}
	conn := &model.DiscoveredFileConnection{
		Edges:      make([]model.DiscoveredFileEdge, len(page.Files)),
		TotalCount: page.TotalCount,
		PageInfo:   &model.PageInfo{HasNextPage: page.HasNextPage, HasPreviousPage: params.After != ""},
	}
	for i, f := range page.Files {
		conn.Edges[i] = model.DiscoveredFileEdge{Cursor: page.Cursors[i], Node: f}
	}
	if n := len(page.Cursors); n > 0 {
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &page.Cursors[0], &page.Cursors[n-1]
	}
	return conn, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
