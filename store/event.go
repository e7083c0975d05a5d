package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
)

// Every event is written by Tx.recordEvent and inserted, with the one
// NOTIFY of its transaction, by Tx.flushEvents: nothing else writes to the
// events table. Its payload is one of the types of event_payload.go, which
// Event.Decode reads back.

// ScheduleEventsChannel is the NOTIFY channel of schedule, run and
// leadership changes, and DataSourceEventsChannel the channel of the
// transactions that write a datasource. Both carry {"count": n, "last": id}:
// the number of events the transaction wrote and the highest id; a
// datasource write adds {"id", "op", "version", "event"}: the datasource,
// "create", "update" or "delete", its new version, and its event's id. The
// notification only says "look again": readers fetch the rows themselves.
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
	// EventFilesDiscovered follows RUN_SUCCEEDED when the run found files.
	EventFilesDiscovered = "FILES_DISCOVERED"
	EventLeaderElected   = "LEADER_ELECTED"
	EventLeaderResigned  = "LEADER_RESIGNED"
)

// EventTopic is the family of an event, stored in events.topic: a stream
// follows one topic.
type EventTopic string

const (
	// TopicSchedules: RUN_*, SCHEDULE_* and FILES_DISCOVERED.
	TopicSchedules EventTopic = "SCHEDULES"
	// TopicDataSources: DATASOURCE_CREATED, _UPDATED and _DELETED.
	TopicDataSources EventTopic = "DATASOURCES"
	// TopicCluster: leadership changes (streamed from etcd, recorded here
	// for operators).
	TopicCluster EventTopic = "CLUSTER"
)

// eventTopics is the topic of each kind this package writes.
var eventTopics = map[string]EventTopic{
	EventRunScheduled: TopicSchedules, EventRunStarted: TopicSchedules, EventRunRetrying: TopicSchedules,
	EventRunSucceeded: TopicSchedules, EventRunFailed: TopicSchedules, EventRunSkipped: TopicSchedules,
	EventRunMissed: TopicSchedules, EventRunCancelled: TopicSchedules,
	EventSchedulePaused: TopicSchedules, EventScheduleResumed: TopicSchedules, EventScheduleNextRun: TopicSchedules,
	EventFilesDiscovered:   TopicSchedules,
	EventDataSourceCreated: TopicDataSources, EventDataSourceUpdated: TopicDataSources,
	EventDataSourceDeleted: TopicDataSources,
	EventLeaderElected:     TopicCluster, EventLeaderResigned: TopicCluster,
}

// pendingEvent is an event recorded in a Tx, inserted at commit.
type pendingEvent struct {
	kind         string
	topic        EventTopic
	dataSourceID *uuid.UUID
	runID        *int64
	payload      string
}

// dataSourceWrite is what the NOTIFY of a datasource write says of it.
type dataSourceWrite struct {
	id      uuid.UUID
	op      string
	version int
}

var dataSourceOps = map[string]string{
	EventDataSourceCreated: "create", EventDataSourceUpdated: "update", EventDataSourceDeleted: "delete",
}

// recordEvent queues an event for the transaction. payload is the kind's
// type (event_payload.go).
func (t *Tx) recordEvent(kind string, dataSourceID *uuid.UUID, runID *int64, payload any) error {
	topic, ok := eventTopics[kind]
	if !ok {
		return fmt.Errorf("store: unknown event kind %s", kind)
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("store: encode %s event: %w", kind, err)
	}
	if ds, ok := payload.(*DataSource); ok {
		t.dataSourceWrite = &dataSourceWrite{id: ds.ID, op: dataSourceOps[kind], version: ds.Version}
	}
	t.events = append(t.events, pendingEvent{kind: kind, topic: topic, dataSourceID: dataSourceID, runID: runID, payload: string(data)})
	return nil
}

// flushEvents inserts the queued events in one statement, in the order they
// were recorded, and sends the transaction's one NOTIFY (NOTIFY takes a
// global lock at commit): on DataSourceEventsChannel if a datasource was
// written, so that the planner hears it, and on ScheduleEventsChannel
// otherwise.
func (t *Tx) flushEvents(ctx context.Context) error {
	if len(t.events) == 0 {
		return nil
	}
	n := len(t.events)
	kinds, topics, payloads := make([]string, n), make([]string, n), make([]string, n)
	dsIDs, runIDs := make([]*uuid.UUID, n), make([]*int64, n)
	for i, e := range t.events {
		kinds[i], topics[i], dsIDs[i], runIDs[i], payloads[i] = e.kind, string(e.topic), e.dataSourceID, e.runID, e.payload
	}
	channel, write := ScheduleEventsChannel, t.dataSourceWrite
	var writeID *uuid.UUID
	var writeOp string
	var writeVersion int
	if write != nil {
		channel, writeID, writeOp, writeVersion = DataSourceEventsChannel, &write.id, write.op, write.version
	}
	_, err := t.tx.Exec(ctx, `
		WITH e AS (
			INSERT INTO events (kind, topic, datasource_id, run_id, payload)
			SELECT kind, topic, datasource_id, run_id, payload
			FROM unnest($1::text[], $2::text[], $3::uuid[], $4::bigint[], $5::json[]) WITH ORDINALITY
				AS u(kind, topic, datasource_id, run_id, payload, n)
			ORDER BY n
			RETURNING id, topic
		)
		SELECT pg_notify($6, CASE WHEN $7::uuid IS NULL THEN json_build_object('count', count(*), 'last', max(id))
			ELSE json_build_object('id', $7::uuid, 'op', $8::text, 'version', $9::int,
				'event', max(id) FILTER (WHERE topic = 'DATASOURCES'), 'count', count(*), 'last', max(id)) END::text)
		FROM e`,
		kinds, topics, dsIDs, runIDs, payloads, channel, writeID, writeOp, writeVersion)
	t.events, t.dataSourceWrite = nil, nil
	return err
}
