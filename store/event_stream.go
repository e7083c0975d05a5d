package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The event stream is the events table read in (tx_id, id) order, and only
// below its horizon (events_horizon(), migrations 000018 and 000021): the oldest
// transaction in flight that can still write events. An id is taken at
// insert, not at commit, so "id > last" would skip a transaction that
// inserted early and committed late. Every event writer locks the events
// table before its transaction has an id (InTx does it first), so a
// transaction id below the horizon can no longer gain events: every reader
// that stops there sees the same, final prefix of the stream, and a cursor
// into it never misses or repeats an event (DESIGN.md I5). A transaction
// that stays open holds the stream back only if it can write events: a
// psql session, a report or a migration elsewhere does not.

// EventCursor is a position in the event stream: the event's writing
// transaction and id. The zero cursor is before every event.
type EventCursor struct {
	TxID uint64
	ID   int64
}

// String returns the cursor as clients see it: "<tx_id>:<id>", which psql
// can match against ops.event_stream.
func (c EventCursor) String() string {
	return strconv.FormatUint(c.TxID, 10) + ":" + strconv.FormatInt(c.ID, 10)
}

// Less reports whether c comes before d in the stream.
func (c EventCursor) Less(d EventCursor) bool {
	return c.TxID < d.TxID || c.TxID == d.TxID && c.ID < d.ID
}

// Compare returns -1, 0 or +1 as c comes before, at or after d.
func (c EventCursor) Compare(d EventCursor) int {
	switch {
	case c.Less(d):
		return -1
	case d.Less(c):
		return 1
	}
	return 0
}

// IsZero reports whether c is before every event.
func (c EventCursor) IsZero() bool { return c == EventCursor{} }

// ParseEventCursor parses a cursor from String, or returns ErrInvalidCursor.
func ParseEventCursor(s string) (EventCursor, error) {
	tx, id, ok := strings.Cut(s, ":")
	if !ok {
		return EventCursor{}, ErrInvalidCursor
	}
	txID, err1 := strconv.ParseUint(tx, 10, 64)
	eventID, err2 := strconv.ParseInt(id, 10, 64)
	zero := txID == 0 && eventID == 0 // before every event
	if err1 != nil || err2 != nil || !zero && (txID == 0 || eventID <= 0) {
		return EventCursor{}, ErrInvalidCursor
	}
	return EventCursor{TxID: txID, ID: eventID}, nil
}

// MarshalText returns String, for the one cursor codec of every stream
// (encoding.TextMarshaler).
func (c EventCursor) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses String's form, or returns ErrInvalidCursor.
func (c *EventCursor) UnmarshalText(b []byte) error {
	parsed, err := ParseEventCursor(string(b))
	if err == nil {
		*c = parsed
	}
	return err
}

// ErrCursorExpired means that a cursor's event was pruned by retention: the
// subscriber cannot resume without a gap and must start from a snapshot.
var ErrCursorExpired = errors.New("store: cursor is older than the event retention")

// Event is one row of the event stream. Payload is the raw JSON; Decode
// helpers read it.
type Event struct {
	Cursor       EventCursor
	Kind         string
	Topic        EventTopic
	OccurredAt   time.Time
	DataSourceID *uuid.UUID
	RunID        *int64
	Payload      json.RawMessage
}

// EventKindSnapshot marks the synthetic events that start a subscription
// without a cursor: one per datasource, with its current state. They are
// never stored.
const EventKindSnapshot = "SNAPSHOT"

const eventColumns = `tx_id::text::bigint, id, kind, topic, occurred_at, datasource_id, run_id, payload`

// queryRower is a pool, a connection or a transaction.
type queryRower interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

// eventHorizon returns the stream's horizon as a transaction id. Read the
// events below it in a later statement: see events_horizon().
func eventHorizon(ctx context.Context, q queryRower) (string, error) {
	var h string
	err := q.QueryRow(ctx, `SELECT events_horizon()::text`).Scan(&h)
	return h, err
}

func scanEvent(row pgx.Row) (*Event, error) {
	var e Event
	var txID int64
	if err := row.Scan(&txID, &e.Cursor.ID, &e.Kind, &e.Topic, &e.OccurredAt, &e.DataSourceID, &e.RunID, &e.Payload); err != nil {
		return nil, err
	}
	e.Cursor.TxID = uint64(txID)
	return &e, nil
}

// EventListParams selects a page of the stream.
type EventListParams struct {
	// After is exclusive; the zero cursor starts at the beginning.
	After EventCursor
	// Until, if set, is inclusive: a replay stops at the position the live
	// stream took over from.
	Until *EventCursor
	// DataSourceIDs, if not nil, keeps the events of these datasources.
	DataSourceIDs []uuid.UUID
	// Topic, if set, keeps the events of this topic.
	Topic EventTopic
	// Kinds, if not nil, keeps these kinds.
	Kinds []string
	// Limit caps the page (default 500).
	Limit int
}

// EventList returns the next page of the stream after params.After, in
// stream order, stopping below the oldest transaction in flight. More
// reports whether committed events exist beyond the page: either the page
// was full, or a transaction in flight holds them back and the caller
// should look again soon.
func (s *Store) EventList(ctx context.Context, params *EventListParams) (events []*Event, more bool, err error) {
	limit := params.Limit
	if limit <= 0 {
		limit = 500
	}
	var until any
	if params.Until != nil {
		until = params.Until.String()
	}
	horizon, err := eventHorizon(ctx, s.pool)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+eventColumns+` FROM events
		WHERE (tx_id, id) > ($1::text::xid8, $2)
			AND tx_id < $8::text::xid8
			AND ($3::text IS NULL OR (tx_id, id) <= (split_part($3, ':', 1)::xid8, split_part($3, ':', 2)::bigint))
			AND ($4::uuid[] IS NULL OR datasource_id = ANY($4))
			AND ($5::text[] IS NULL OR kind = ANY($5))
			AND ($7::text = '' OR topic = $7)
		ORDER BY tx_id, id
		LIMIT $6`,
		strconv.FormatUint(params.After.TxID, 10), params.After.ID, until, params.DataSourceIDs, params.Kinds, limit,
		string(params.Topic), horizon)
	if err != nil {
		return nil, false, err
	}
	events, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Event, error) { return scanEvent(row) })
	if err != nil {
		return nil, false, err
	}
	if len(events) == limit {
		return events, true, nil
	}
	if params.Until != nil {
		return events, false, nil
	}
	last := params.After
	if len(events) > 0 {
		last = events[len(events)-1].Cursor
	}
	err = s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM events WHERE (tx_id, id) > ($1::text::xid8, $2)
			AND ($3::uuid[] IS NULL OR datasource_id = ANY($3)) AND ($4::text[] IS NULL OR kind = ANY($4))
			AND ($5::text = '' OR topic = $5))`,
		strconv.FormatUint(last.TxID, 10), last.ID, params.DataSourceIDs, params.Kinds, string(params.Topic)).Scan(&more)
	return events, more, err
}

// EventHead returns the position of the last event in the stream: every
// event at or before it is final.
func (s *Store) EventHead(ctx context.Context) (EventCursor, error) {
	horizon, err := eventHorizon(ctx, s.pool)
	if err != nil {
		return EventCursor{}, err
	}
	return eventHead(ctx, s.pool, horizon)
}

// eventHead returns the last event below horizon.
func eventHead(ctx context.Context, q queryRower, horizon string) (EventCursor, error) {
	var txID, id int64
	err := q.QueryRow(ctx, `
		SELECT tx_id::text::bigint, id FROM events
		WHERE tx_id < $1::text::xid8
		ORDER BY tx_id DESC, id DESC LIMIT 1`, horizon).Scan(&txID, &id)
	if errors.Is(err, pgx.ErrNoRows) {
		return EventCursor{}, nil
	}
	if err != nil {
		return EventCursor{}, err
	}
	return EventCursor{TxID: uint64(txID), ID: id}, nil
}

// EventCursorCheck returns nil if a subscription can resume after c:
// c names an event still in the table, or is the zero cursor. A cursor
// that names no event is ErrCursorExpired when it is older than the oldest
// event kept (retention pruned it) and ErrInvalidCursor otherwise.
func (s *Store) EventCursorCheck(ctx context.Context, c EventCursor) error {
	if c.IsZero() {
		return nil
	}
	horizon, err := eventHorizon(ctx, s.pool)
	if err != nil {
		return err
	}
	var exists, older bool
	err = s.pool.QueryRow(ctx, `
		SELECT
			EXISTS (SELECT 1 FROM events WHERE tx_id = $1::text::xid8 AND id = $2),
			NOT EXISTS (SELECT 1 FROM events WHERE (tx_id, id) < ($1::text::xid8, $2))
				AND EXISTS (SELECT 1 FROM events WHERE tx_id < $3::text::xid8
					AND (tx_id, id) > ($1::text::xid8, $2))`,
		strconv.FormatUint(c.TxID, 10), c.ID, horizon).Scan(&exists, &older)
	switch {
	case err != nil:
		return err
	case exists:
		return nil
	case older:
		return fmt.Errorf("%w: %s", ErrCursorExpired, c)
	default:
		return fmt.Errorf("%w: no event has cursor %s", ErrInvalidCursor, c)
	}
}

// SnapshotTopic says which state EventSnapshot reads: its snapshots are
// events of that topic.
type SnapshotTopic = EventTopic

const (
	// SnapshotDataSources: the payload is the DataSource, as in
	// DATASOURCE_* events.
	SnapshotDataSources = TopicDataSources
	// SnapshotSchedules: the payload is a ScheduleSnapshot.
	SnapshotSchedules = TopicSchedules
)

// EventSnapshotParams selects the state of EventSnapshot.
type EventSnapshotParams struct {
	Topic SnapshotTopic
	// DataSourceIDs, if not nil, keeps these datasources.
	DataSourceIDs []uuid.UUID
}

// SnapshotPosition is where a snapshot sits in the stream: it shows every
// event up to Head, and some after it: those of transactions that had
// committed, out of stream order, when it was read.
type SnapshotPosition struct {
	Head EventCursor
	xmax uint64
	xip  map[uint64]bool
}

// Covers reports whether the snapshot already shows event c, so that a
// stream that continues after it skips c.
func (p *SnapshotPosition) Covers(c EventCursor) bool {
	return !p.Head.Less(c) || c.TxID < p.xmax && !p.xip[c.TxID]
}

// EventSnapshot calls emit with one SNAPSHOT event per live datasource,
// read in one repeatable-read transaction, and returns its position in
// the stream. A stream continues after Head and skips what the position
// Covers: no event is lost and none is shown twice. emit runs inside the
// transaction, which holds a pool connection: it must not wait on a client.
func (s *Store) EventSnapshot(ctx context.Context, params *EventSnapshotParams, emit func(*Event) error) (*SnapshotPosition, error) {
	var head EventCursor
	pos := &SnapshotPosition{xip: map[uint64]bool{}}
	if params.Topic != SnapshotDataSources && params.Topic != SnapshotSchedules {
		return nil, fmt.Errorf("store: no snapshot of topic %q", params.Topic)
	}
	// The horizon comes before the snapshot: every event below it is in the
	// snapshot, so the head read in it is exact.
	horizon, err := eventHorizon(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if head, err = eventHead(ctx, tx, horizon); err != nil {
			return err
		}
		var xmax int64
		var xip []int64
		if err := tx.QueryRow(ctx, `SELECT pg_snapshot_xmax(s)::text::bigint,
				ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x)
			FROM pg_current_snapshot() AS s`).Scan(&xmax, &xip); err != nil {
			return err
		}
		pos.Head, pos.xmax = head, uint64(xmax)
		for _, x := range xip {
			pos.xip[uint64(x)] = true
		}
		return snapshotEmit(ctx, tx, params, head, emit)
	})
	if err != nil {
		return nil, err
	}
	return pos, nil
}

// snapshotEmit reads the state of EventSnapshot in tx, and emits it.
func snapshotEmit(ctx context.Context, tx pgx.Tx, params *EventSnapshotParams, head EventCursor, emit func(*Event) error) error {
	var now time.Time
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&now); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT `+dataSourceColumns+` FROM datasources
		WHERE deleted_at IS NULL AND ($1::uuid[] IS NULL OR id = ANY($1))
		ORDER BY name COLLATE "C"`, params.DataSourceIDs)
	if err != nil {
		return err
	}
	dataSources, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*DataSource, error) { return scanDataSource(row) })
	if err != nil {
		return err
	}
	lastRuns := map[uuid.UUID]*Run{}
	if params.Topic == SnapshotSchedules && len(dataSources) > 0 {
		ids := make([]uuid.UUID, len(dataSources))
		for i, ds := range dataSources {
			ids[i] = ds.ID
		}
		if lastRuns, err = runsLastStarted(ctx, tx, ids); err != nil {
			return err
		}
	}
	for _, ds := range dataSources {
		var payload any = ds
		if params.Topic == SnapshotSchedules {
			p := &ScheduleSnapshot{DataSourceID: ds.ID, Enabled: ds.Enabled, Paused: ds.Schedule.Paused, Run: lastRuns[ds.ID]}
			if ds.NextRunAt != nil {
				at := ds.NextRunAt.UTC()
				p.NextRunAt = &at
			}
			payload = p
		}
		data, err := json.Marshal(payload)
		if err != nil {
			return err
		}
		id := ds.ID
		e := &Event{Cursor: head, Kind: EventKindSnapshot, Topic: params.Topic, OccurredAt: now, DataSourceID: &id, Payload: data}
		if err := emit(e); err != nil {
			return err
		}
	}
	return nil
}
