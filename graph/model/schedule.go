package model

import "time"

// Schedule is hand-written rather than generated so that it can carry its
// datasource's id, which the lastRun resolver needs.
type Schedule struct {
	DataSourceID  string        `json:"-"`
	Cron          *string       `json:"cron,omitempty"`
	Interval      *string       `json:"interval,omitempty"`
	Anchor        time.Time     `json:"anchor"`
	Timezone      string        `json:"timezone"`
	MisfirePolicy MisfirePolicy `json:"misfirePolicy"`
	OverlapPolicy OverlapPolicy `json:"overlapPolicy"`
	Paused        bool          `json:"paused"`
	NextRunAt     *time.Time    `json:"nextRunAt,omitempty"`
}
