package model

import (
	"time"

	"github.com/ezplatform/ezplatform/store"
)

// Schedule is hand-written rather than generated so that it can carry its
// datasource: its id, which the lastRun resolver needs, and its stored
// schedule and version, by which nextRunAt and upcoming find the parsed
// schedule.
type Schedule struct {
	DataSource    *store.DataSource `json:"-"`
	DataSourceID  string            `json:"-"`
	Cron          *string           `json:"cron,omitempty"`
	Interval      *string           `json:"interval,omitempty"`
	Anchor        time.Time         `json:"anchor"`
	Timezone      string            `json:"timezone"`
	MisfirePolicy MisfirePolicy     `json:"misfirePolicy"`
	OverlapPolicy OverlapPolicy     `json:"overlapPolicy"`
	Paused        bool              `json:"paused"`
}
