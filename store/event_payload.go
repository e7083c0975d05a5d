package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The payload of each event kind is one of the types below, written by
// json.Marshal and read back by json.Unmarshal into the same type. Run and
// DataSource are the structs the row scanners fill: a new column is added
// to the struct, its scan, and nothing else. Times are written in UTC.

// RunEvent is the payload of RUN_* events: the run as the change left it
// (its keys are the column names), and for the planner's RUN_SCHEDULED the
// schedule's next slot. Until 2026-12-02 it also repeated the run's main
// fields at the top level; rows written before keep them, and decode the
// same.
type RunEvent struct {
	// NextRunAt is set on the planner's RUN_SCHEDULED: the schedule's next
	// slot after this one. LastSlot instead says that there is none.
	NextRunAt *time.Time `json:"nextRunAt,omitempty"`
	LastSlot  bool       `json:"lastSlot,omitempty"`
	Run       *Run       `json:"run"`
}

func newRunEvent(r *Run) *RunEvent {
	return &RunEvent{Run: r}
}

// SchedulePauseEvent is the payload of SCHEDULE_PAUSED and SCHEDULE_RESUMED.
type SchedulePauseEvent struct {
	DataSourceID uuid.UUID `json:"dataSourceId"`
	Paused       bool      `json:"paused"`
	Version      int       `json:"version"`
}

// ScheduleNextRunEvent is the payload of SCHEDULE_NEXT_RUN. A nil
// NextRunAt means never again.
type ScheduleNextRunEvent struct {
	DataSourceID uuid.UUID  `json:"dataSourceId"`
	NextRunAt    *time.Time `json:"nextRunAt"`
}

// ScheduleSnapshot is the payload of a schedules SNAPSHOT: the schedule and
// the last run that started, if any. A nil NextRunAt is not yet computed.
type ScheduleSnapshot struct {
	DataSourceID uuid.UUID  `json:"dataSourceId"`
	Enabled      bool       `json:"enabled"`
	Paused       bool       `json:"paused"`
	NextRunAt    *time.Time `json:"nextRunAt"`
	Run          *Run       `json:"run"`
}

// LeaderEvent is the payload of LEADER_ELECTED and LEADER_RESIGNED.
type LeaderEvent struct {
	Epoch     int64  `json:"epoch"`
	ReplicaID string `json:"replicaId"`
	Address   string `json:"address,omitempty"`
}

// FilesSummary is what a run discovered: the payload of FILES_DISCOVERED.
type FilesSummary struct {
	RunID        int64     `json:"runId"`
	DataSourceID uuid.UUID `json:"dataSourceId"`
	Files        int       `json:"filesFound"`
	Bytes        int64     `json:"bytesFound"`
	Records      int64     `json:"recordsFound"`
}

// EventData is the typed content of an event's payload, as subscribers
// read it. Decode it once per replica and share it among subscribers: it
// is never modified.
type EventData struct {
	// DataSource is set for DATASOURCE_* events and datasource snapshots:
	// the datasource as it was after the change.
	DataSource *DataSource
	// Run is set for RUN_* events (the run as the change left it) and, when
	// the datasource has run, for schedule snapshots (its last run).
	Run *Run
	// Schedule is set for SCHEDULE_* events, schedule snapshots, and the
	// RUN_SCHEDULED events that announce the next slot.
	Schedule *ScheduleState
	// Files is set for FILES_DISCOVERED events.
	Files *FilesSummary
	// Leader is set for LEADER_* events.
	Leader *LeaderEvent
}

// ScheduleState is what a schedule event says about the schedule. A nil
// field is one the event does not change.
type ScheduleState struct {
	Enabled *bool
	Paused  *bool
	// NextRunAt is the next planned slot, in UTC; HasNextRunAt says whether
	// the event carries it (a nil NextRunAt with HasNextRunAt means
	// "never", or for a snapshot "not computed yet").
	NextRunAt    *time.Time
	HasNextRunAt bool
}

func nextRunState(t *time.Time) *ScheduleState {
	s := &ScheduleState{HasNextRunAt: true}
	if t != nil && t.Before(NeverTime) {
		utc := t.UTC()
		s.NextRunAt = &utc
	}
	return s
}

// Decode unmarshals the payload into its kind's type. Unknown kinds decode
// to an empty EventData: a newer replica may write kinds this one does not
// know.
func (e *Event) Decode() (*EventData, error) {
	var d EventData
	var err error
	switch {
	case e.Kind == EventKindSnapshot && e.Topic == TopicSchedules:
		var p ScheduleSnapshot
		if err = json.Unmarshal(e.Payload, &p); err == nil {
			d.Schedule = nextRunState(p.NextRunAt)
			d.Schedule.Enabled, d.Schedule.Paused, d.Run = &p.Enabled, &p.Paused, p.Run
		}
	case e.Topic == TopicDataSources:
		d.DataSource = new(DataSource)
		err = json.Unmarshal(e.Payload, d.DataSource)
	case e.Kind == EventFilesDiscovered:
		d.Files = new(FilesSummary)
		err = json.Unmarshal(e.Payload, d.Files)
	case e.Kind == EventSchedulePaused, e.Kind == EventScheduleResumed:
		var p SchedulePauseEvent
		if err = json.Unmarshal(e.Payload, &p); err == nil {
			d.Schedule = &ScheduleState{Paused: &p.Paused}
		}
	case e.Kind == EventScheduleNextRun:
		var p ScheduleNextRunEvent
		if err = json.Unmarshal(e.Payload, &p); err == nil {
			d.Schedule = nextRunState(p.NextRunAt)
		}
	case e.Topic == TopicCluster:
		d.Leader = new(LeaderEvent)
		err = json.Unmarshal(e.Payload, d.Leader)
	case e.Topic == TopicSchedules:
		if _, ok := runEventStatus[e.Kind]; !ok {
			break
		}
		var p RunEvent
		if err = json.Unmarshal(e.Payload, &p); err == nil {
			d.Run = p.Run
			if p.NextRunAt != nil || p.LastSlot {
				d.Schedule = nextRunState(p.NextRunAt)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: decode %s event %s: %w", e.Kind, e.Cursor, err)
	}
	return &d, nil
}
