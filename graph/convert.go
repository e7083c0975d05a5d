package graph

import (
	"github.com/google/uuid"

	"github.com/ezplatform/ezplatform/graph/model"
	"github.com/ezplatform/ezplatform/store"
)

func toModelDataSource(ds *store.DataSource) *model.DataSource {
	out := toModelDataSourceFields(ds)
	out.Schedule = toModelSchedule(ds)
	return out
}

// toModelDataSourceFields is toModelDataSource without the schedule, for
// a page whose selection has none (its columns were not read).
func toModelDataSourceFields(ds *store.DataSource) *model.DataSource {
	return &model.DataSource{
		ID:             ds.ID.String(),
		Name:           ds.Name,
		Description:    ds.Description,
		SupplierName:   ds.SupplierName,
		Category:       ds.Category,
		Path:           ds.Path,
		FilePattern:    ds.FilePattern,
		Enabled:        ds.Enabled,
		MaxAttempts:    ds.MaxAttempts,
		RunTimeout:     ds.RunTimeout.String(),
		MinFileAge:     ds.MinFileAge.String(),
		HashFiles:      ds.HashFiles,
		MaxFilesPerRun: ds.MaxFilesPerRun,
		CreatedAt:      ds.CreatedAt,
		UpdatedAt:      ds.UpdatedAt,
		Version:        ds.Version,
	}
}

func toModelSchedule(ds *store.DataSource) *model.Schedule {
	s := &ds.Schedule
	out := &model.Schedule{
		DataSource:    ds,
		DataSourceID:  ds.ID.String(),
		Anchor:        s.Anchor,
		Timezone:      s.Timezone,
		MisfirePolicy: model.MisfirePolicy(s.MisfirePolicy),
		OverlapPolicy: model.OverlapPolicy(s.OverlapPolicy),
		Paused:        s.Paused,
	}
	if s.Cron != "" {
		out.Cron = ptr(s.Cron)
	} else {
		out.Interval = ptr(s.Interval.String())
	}
	return out
}

// parseID reads a datasource id. A malformed id cannot name a datasource, so
// it is NOT_FOUND, like an id that names none.
func parseID(field, id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, newFieldError(CodeNotFound, field, "no datasource with id %q", truncate(id, 64))
	}
	return u, nil
}
