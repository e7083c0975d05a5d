package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// ScheduleEventsChannel is the NOTIFY channel of schedule and run changes.
// Its payload is {"count": n, "last": id}: the number of events the
// transaction wrote and the highest id. Readers fetch the rows themselves.
const ScheduleEventsChannel = "schedule_events"

// Event kinds of schedules and runs.
const (
	EventRunScheduled    = "RUN_SCHEDULED"
	EventRunStarted      = "RUN_STARTED"
	EventRunRetrying     = "RUN_RETRYING"
	EventRunSucceeded    = "RUN_SUCCEEDED"
	EventRunFailed       = "RUN_FAILED"
	EventRunSkipped      = "RUN_SKIPPED"
	EventRunMissed       = "RUN_MISSED"
	EventRunCancelled    = "RUN_CANCELLED"
	EventSchedulePaused  = "SCHEDULE_PAUSED"
	EventScheduleResumed = "SCHEDULE_RESUMED"
	EventScheduleNextRun = "SCHEDULE_NEXT_RUN"
	// EventFilesDiscovered follows RUN_SUCCEEDED when the run found files:
	// {runId, dataSourceId, filesFound, bytesFound, recordsFound}.
	EventFilesDiscovered = "FILES_DISCOVERED"
	EventLeaderElected   = "LEADER_ELECTED"
	EventLeaderResigned  = "LEADER_RESIGNED"
)

// pendingEvent is an event recorded in a Tx, inserted at commit.
type pendingEvent struct {
	kind         string
	dataSourceID *uuid.UUID
	runID        *int64
	payload      []byte
}

// recordEvent queues an event for the transaction.
func (t *Tx) recordEvent(kind string, dataSourceID *uuid.UUID, runID *int64, payload any) error {
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: encode %s event: %w", kind, err)
	}
	t.events = append(t.events, pendingEvent{kind: kind, dataSourceID: dataSourceID, runID: runID, payload: data})
	return nil
}

// flushEvents inserts the queued events in one statement and sends one
// NOTIFY for all of them, and for those that statements inserted by
// themselves. A run's events carry the run row as it is at commit ("run"),
// so that subscribers need not read it again.
func (t *Tx) flushEvents(ctx context.Context) error {
	notify := t.notify
	t.notify = false
	if len(t.events) == 0 {
		if !notify {
			return nil
		}
		_, err := t.tx.Exec(ctx, `SELECT pg_notify($1, '{}')`, ScheduleEventsChannel)
		return err
	}
	kinds := make([]string, len(t.events))
	dsIDs := make([]*uuid.UUID, len(t.events))
	runIDs := make([]*int64, len(t.events))
	payloads := make([]string, len(t.events))
	for i, e := range t.events {
		kinds[i], dsIDs[i], runIDs[i], payloads[i] = e.kind, e.dataSourceID, e.runID, string(e.payload)
	}
	_, err := t.tx.Exec(ctx, `
		WITH e AS (
			INSERT INTO events (kind, datasource_id, run_id, payload)
			SELECT u.kind, u.datasource_id, u.run_id,
				CASE WHEN r.id IS NULL THEN u.payload ELSE u.payload || jsonb_build_object('run', to_jsonb(r)) END
			FROM unnest($1::text[], $2::uuid[], $3::bigint[], $4::jsonb[]) WITH ORDINALITY
				AS u(kind, datasource_id, run_id, payload, n)
			LEFT JOIN runs r ON r.id = u.run_id
			ORDER BY u.n
			RETURNING id
		)
		SELECT pg_notify($5, json_build_object('count', count(*), 'last', max(id))::text) FROM e`,
		kinds, dsIDs, runIDs, payloads, ScheduleEventsChannel)
	t.events = nil
	return err
}
