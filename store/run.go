package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Run statuses, as stored in runs.status and named by the GraphQL enum.
const (
	RunScheduled = "SCHEDULED"
	RunRunning   = "RUNNING"
	RunRetrying  = "RETRYING"
	RunSucceeded = "SUCCEEDED"
	RunFailed    = "FAILED"
	RunSkipped   = "SKIPPED"
	RunMissed    = "MISSED"
	RunCancelled = "CANCELLED"
)

// Run triggers.
const (
	TriggerSchedule = "SCHEDULE"
	TriggerManual   = "MANUAL"
)

// Run is one slot of a datasource's schedule: a run, or a slot that was
// skipped, missed or cancelled. A MISSED run may cover a range of slots.
type Run struct {
	// The JSON names are the column names: a run in an event payload reads
	// like the row in psql.
	ID            int64          `json:"id"`
	DataSourceID  uuid.UUID      `json:"datasource_id"`
	ScheduledFor  time.Time      `json:"scheduled_for"`
	CoversUntil   *time.Time     `json:"covers_until"`
	SlotCount     int            `json:"slot_count"`
	Trigger       string         `json:"trigger"`
	Status        string         `json:"status"`
	Attempt       int            `json:"attempt"`
	MaxAttempts   int            `json:"max_attempts"`
	ReplicaID     string         `json:"replica_id"`
	RiverJobID    *int64         `json:"river_job_id"`
	Epoch         *int64         `json:"epoch"`
	StartedAt     *time.Time     `json:"started_at"`
	FinishedAt    *time.Time     `json:"finished_at"`
	Error         string         `json:"error"`
	AttemptErrors []AttemptError `json:"attempt_errors"`
	FilesFound    int            `json:"files_found"`
	BytesFound    int64          `json:"bytes_found"`
	RecordsFound  int64          `json:"records_found"`
	// Skipped lists entries the run skipped (at most MaxSkippedKept);
	// SkippedCount counts them all.
	Skipped      []SkippedEntry `json:"skipped"`
	SkippedCount int            `json:"skipped_count"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// SkippedEntry is an entry a discovery run skipped, and why: an unreadable
// file or directory, or a symlink or special file matching the pattern.
type SkippedEntry struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// MaxSkippedKept bounds the skipped entries a run keeps.
const MaxSkippedKept = 100

// AttemptError is the error of one failed attempt.
type AttemptError struct {
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	Error   string    `json:"error"`
}

// Final reports whether the run has reached a status it never leaves.
func (r *Run) Final() bool { return finalStatus(r.Status) }

func finalStatus(status string) bool {
	switch status {
	case RunSucceeded, RunFailed, RunSkipped, RunMissed, RunCancelled:
		return true
	}
	return false
}

const runColumns = `id, datasource_id, scheduled_for, covers_until, slot_count, trigger, status, attempt, max_attempts,
	coalesce(replica_id, ''), river_job_id, epoch, started_at, finished_at, coalesce(error, ''), attempt_errors,
	files_found, bytes_found, records_found, skipped, skipped_count, created_at, updated_at`

func scanRun(row pgx.Row) (*Run, error) { return scanRunWith(allRunColumns, row) }

func collectRuns(rows pgx.Rows) ([]*Run, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Run, error) { return scanRun(row) })
}

// recordRunEvents records the event of each run's current status, and a
// FILES_DISCOVERED event after a success that found files.
func (t *Tx) recordRunEvents(runs []*Run) error {
	for _, r := range runs {
		if err := t.recordEvent(runEventKind[r.Status], &r.DataSourceID, &r.ID, newRunEvent(r)); err != nil {
			return err
		}
		if r.Status == RunSucceeded && r.FilesFound > 0 {
			files := &FilesSummary{RunID: r.ID, DataSourceID: r.DataSourceID, Files: r.FilesFound, Bytes: r.BytesFound,
				Records: r.RecordsFound}
			if err := t.recordEvent(EventFilesDiscovered, &r.DataSourceID, &r.ID, files); err != nil {
				return err
			}
		}
	}
	return nil
}

// runEventKind is the event a run's change to a status records.
var runEventKind = map[string]string{
	RunScheduled: EventRunScheduled, RunRunning: EventRunStarted, RunRetrying: EventRunRetrying,
	RunSucceeded: EventRunSucceeded, RunFailed: EventRunFailed, RunSkipped: EventRunSkipped,
	RunMissed: EventRunMissed, RunCancelled: EventRunCancelled,
}

// runEventStatus is the status of each RUN_* kind.
var runEventStatus = func() map[string]string {
	m := make(map[string]string, len(runEventKind))
	for status, kind := range runEventKind {
		m[kind] = status
	}
	return m
}()

// RunGetByID returns a run, or ErrNotFound.
func (s *Store) RunGetByID(ctx context.Context, id int64) (*Run, error) {
	r, err := scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id))
	if err != nil {
		return nil, translate(err)
	}
	return r, nil
}
