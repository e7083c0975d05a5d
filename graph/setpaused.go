package graph

import (
	"context"

	"github.com/ezplatform/ezplatform/graph/model"
	"github.com/ezplatform/ezplatform/store"
)

func (r *mutationResolver) setPaused(ctx context.Context, id string, paused bool) (*model.DataSource, error) {
	dsID, err := parseID("id", id)
	if err != nil {
		return nil, err
	}
	ds, err := r.Store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: dsID, Paused: &paused})
	if err != nil {
		return nil, err
	}
	return toModelDataSource(ds), nil
}
