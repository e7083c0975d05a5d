package store

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// EventData is the typed content of an event's payload. Decode it once per
// replica and share it among subscribers: it is never modified.
type EventData struct {
	// DataSource is set for DATASOURCE_* events and datasource snapshots:
	// the datasource as it was after the change.
	DataSource *DataSource
	// Run is set for RUN_* events (the run at commit) and, when the
	// datasource has run, for schedule snapshots (its last run).
	Run *Run
	// Schedule is set for SCHEDULE_* events, schedule snapshots, and the
	// RUN_SCHEDULED events that announce the next slot.
	Schedule *ScheduleState
	// Files is set for FILES_DISCOVERED events.
	Files *FilesSummary
}

// ScheduleState is what a schedule event says about the schedule. A nil
// field is one the event does not change.
type ScheduleState struct {
	Enabled *bool
	Paused  *bool
	// NextRunAt is the next planned slot; HasNextRunAt says whether the
	// event carries it (a nil NextRunAt with HasNextRunAt means "never").
	NextRunAt    *time.Time
	HasNextRunAt bool
}

// FilesSummary is what a run discovered.
type FilesSummary struct {
	RunID        int64
	Files        int
	Bytes        int64
	Records      int64
	DataSourceID uuid.UUID
}

// Decode reads the payload by kind. Unknown kinds decode to an empty
// EventData: a newer replica may write kinds this one does not know.
func (e *Event) Decode() (*EventData, error) {
	var d EventData
	var err error
	switch {
	case strings.HasPrefix(e.Kind, "DATASOURCE_"):
		d.DataSource, err = decodeDataSourceRow(e.Payload)
	case strings.HasPrefix(e.Kind, "RUN_"):
		// The planner's RUN_SCHEDULED also carries the schedule's next slot.
		d.Schedule, d.Run, err = decodeSchedulePayload(e.Payload)
		if err == nil && !d.Schedule.HasNextRunAt {
			d.Schedule = nil
		}
	case strings.HasPrefix(e.Kind, "SCHEDULE_"), e.Kind == EventKindSnapshot && e.isScheduleSnapshot():
		d.Schedule, d.Run, err = decodeSchedulePayload(e.Payload)
	case e.Kind == EventKindSnapshot:
		d.DataSource, err = decodeDataSourceRow(e.Payload)
	case e.Kind == EventFilesDiscovered:
		var p struct {
			RunID        int64     `json:"runId"`
			DataSourceID uuid.UUID `json:"dataSourceId"`
			Files        int       `json:"filesFound"`
			Bytes        int64     `json:"bytesFound"`
			Records      int64     `json:"recordsFound"`
		}
		if err = json.Unmarshal(e.Payload, &p); err == nil {
			d.Files = &FilesSummary{RunID: p.RunID, DataSourceID: p.DataSourceID, Files: p.Files, Bytes: p.Bytes, Records: p.Records}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: decode %s event %s: %w", e.Kind, e.Cursor, err)
	}
	return &d, nil
}

// isScheduleSnapshot tells the two snapshot payloads apart: a schedule
// snapshot has dataSourceId, a datasource row has id.
func (e *Event) isScheduleSnapshot() bool {
	var p struct {
		DataSourceID *string `json:"dataSourceId"`
	}
	return json.Unmarshal(e.Payload, &p) == nil && p.DataSourceID != nil
}

func decodeSchedulePayload(payload []byte) (*ScheduleState, *Run, error) {
	var p struct {
		Enabled   *bool           `json:"enabled"`
		Paused    *bool           `json:"paused"`
		NextRunAt json.RawMessage `json:"nextRunAt"`
		Run       json.RawMessage `json:"run"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, nil, err
	}
	s := &ScheduleState{Enabled: p.Enabled, Paused: p.Paused, HasNextRunAt: len(p.NextRunAt) > 0}
	if s.HasNextRunAt {
		t, err := decodeTimestamp(p.NextRunAt)
		if err != nil {
			return nil, nil, err
		}
		if t != nil && !t.Before(NeverTime) {
			t = nil
		}
		s.NextRunAt = t
	}
	var run *Run
	if len(p.Run) > 0 && string(p.Run) != "null" {
		var err error
		if run, err = decodeRunRow(p.Run); err != nil {
			return nil, nil, err
		}
	}
	return s, run, nil
}

// decodeTimestamp reads a JSON timestamp as PostgreSQL or Go writes it;
// null is nil and "infinity" is NeverTime.
func decodeTimestamp(raw json.RawMessage) (*time.Time, error) {
	var s *string
	if err := json.Unmarshal(raw, &s); err != nil || s == nil {
		return nil, err
	}
	if *s == "infinity" {
		return &NeverTime, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// runRow is a runs row as to_jsonb writes it.
type runRow struct {
	ID            int64          `json:"id"`
	DataSourceID  uuid.UUID      `json:"datasource_id"`
	ScheduledFor  time.Time      `json:"scheduled_for"`
	CoversUntil   *time.Time     `json:"covers_until"`
	SlotCount     int            `json:"slot_count"`
	Trigger       string         `json:"trigger"`
	Status        string         `json:"status"`
	Attempt       int            `json:"attempt"`
	MaxAttempts   int            `json:"max_attempts"`
	ReplicaID     *string        `json:"replica_id"`
	RiverJobID    *int64         `json:"river_job_id"`
	Epoch         *int64         `json:"epoch"`
	StartedAt     *time.Time     `json:"started_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
	Error         *string        `json:"error"`
	AttemptErrors []AttemptError `json:"attempt_errors"`
	FilesFound    int            `json:"files_found"`
	BytesFound    int64          `json:"bytes_found"`
	RecordsFound  int64          `json:"records_found"`
	Skipped       []SkippedEntry `json:"skipped"`
	SkippedCount  int            `json:"skipped_count"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

func decodeRunRow(raw []byte) (*Run, error) {
	var r runRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	run := &Run{
		ID: r.ID, DataSourceID: r.DataSourceID, ScheduledFor: r.ScheduledFor, CoversUntil: r.CoversUntil,
		SlotCount: r.SlotCount, Trigger: r.Trigger, Status: r.Status, Attempt: r.Attempt, MaxAttempts: r.MaxAttempts,
		RiverJobID: r.RiverJobID, Epoch: r.Epoch, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		AttemptErrors: r.AttemptErrors, FilesFound: r.FilesFound, BytesFound: r.BytesFound, RecordsFound: r.RecordsFound,
		Skipped: r.Skipped, SkippedCount: r.SkippedCount, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.ReplicaID != nil {
		run.ReplicaID = *r.ReplicaID
	}
	if r.Error != nil {
		run.Error = *r.Error
	}
	if run.AttemptErrors == nil {
		run.AttemptErrors = []AttemptError{}
	}
	if run.Skipped == nil {
		run.Skipped = []SkippedEntry{}
	}
	return run, nil
}

// dataSourceRow is a datasources row as to_jsonb writes it.
type dataSourceRow struct {
	ID             uuid.UUID       `json:"id"`
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	SupplierName   string          `json:"supplier_name"`
	Category       string          `json:"category"`
	Path           string          `json:"path"`
	FilePattern    string          `json:"file_pattern"`
	Enabled        bool            `json:"enabled"`
	ScheduleCron   *string         `json:"schedule_cron"`
	Interval       *string         `json:"schedule_interval"`
	Anchor         time.Time       `json:"schedule_anchor"`
	Timezone       string          `json:"schedule_timezone"`
	MisfirePolicy  string          `json:"misfire_policy"`
	OverlapPolicy  string          `json:"overlap_policy"`
	Paused         bool            `json:"paused"`
	MaxAttempts    int             `json:"max_attempts"`
	RunTimeout     string          `json:"run_timeout"`
	MinFileAge     string          `json:"min_file_age"`
	HashFiles      bool            `json:"hash_files"`
	MaxFilesPerRun int             `json:"max_files_per_run"`
	NextRunAt      json.RawMessage `json:"next_run_at"`
	Version        int             `json:"version"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
}

func decodeDataSourceRow(raw []byte) (*DataSource, error) {
	var r dataSourceRow
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, err
	}
	ds := &DataSource{
		ID: r.ID, Name: r.Name, Description: r.Description, SupplierName: r.SupplierName, Category: r.Category,
		Path: r.Path, FilePattern: r.FilePattern, Enabled: r.Enabled,
		Schedule: Schedule{Anchor: r.Anchor, Timezone: r.Timezone, MisfirePolicy: r.MisfirePolicy,
			OverlapPolicy: r.OverlapPolicy, Paused: r.Paused},
		MaxAttempts: r.MaxAttempts, HashFiles: r.HashFiles, MaxFilesPerRun: r.MaxFilesPerRun,
		Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.ScheduleCron != nil {
		ds.Schedule.Cron = *r.ScheduleCron
	}
	var err error
	if r.Interval != nil {
		if ds.Schedule.Interval, err = parseInterval(*r.Interval); err != nil {
			return nil, err
		}
	}
	if ds.RunTimeout, err = parseInterval(r.RunTimeout); err != nil {
		return nil, err
	}
	if ds.MinFileAge, err = parseInterval(r.MinFileAge); err != nil {
		return nil, err
	}
	if len(r.NextRunAt) > 0 {
		if ds.NextRunAt, err = decodeTimestamp(r.NextRunAt); err != nil {
			return nil, err
		}
	}
	return ds, nil
}

// parseInterval reads an interval in PostgreSQL's default output style:
// "[N day[s] ][-]HH:MM:SS[.ffffff]". Months and years have no fixed
// length and never occur in the intervals this schema stores.
func parseInterval(s string) (time.Duration, error) {
	var d time.Duration
	rest := strings.TrimSpace(s)
	if days, after, ok := strings.Cut(rest, " day"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("interval %q: %w", s, err)
		}
		d = time.Duration(n) * 24 * time.Hour
		rest = strings.TrimSpace(strings.TrimPrefix(after, "s"))
	}
	if rest == "" {
		return d, nil
	}
	neg := strings.HasPrefix(rest, "-")
	parts := strings.Split(strings.TrimLeft(rest, "+-"), ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("interval %q: want [N days] HH:MM:SS", s)
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, fmt.Errorf("interval %q: want [N days] HH:MM:SS", s)
	}
	clock := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec*float64(time.Second)+0.5)
	if neg {
		clock = -clock
	}
	return d + clock, nil
}
