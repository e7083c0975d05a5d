package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// TestEventListWaitsForLateCommit is the trap of DESIGN.md I5: a
// transaction that inserts an event first (lower id) and commits last must
// not be skipped by a reader that already moved past a later id.
func TestEventListWaitsForLateCommit(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)

	first, err := b.store.DataSourceCreate(ctx, createParams("early"))
	require.NoError(t, err)
	start := settledEvents(t, ctx, b.store)[0].Cursor

	// The early transaction takes its xid and its event id first...
	inserted, release, early := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		early <- b.store.InTxBeforeCommit(ctx, func(tx *store.Tx) error {
			return tx.SchedulesSetNext(ctx, []store.ScheduleNext{{DataSourceID: first.ID, NextRunAt: time.Now()}})
		}, func() error {
			close(inserted)
			<-release
			return nil
		})
	}()
	<-inserted

	// ...then a later one commits.
	ds, err := b.store.DataSourceCreate(ctx, createParams("late-commit"))
	require.NoError(t, err)

	events, more, err := b.store.EventList(ctx, &store.EventListParams{After: start})
	require.NoError(t, err)
	require.Empty(t, events, "the committed event must wait for the older transaction in flight")
	require.True(t, more, "the reader must know that committed events are held back")

	close(release)
	require.NoError(t, <-early)
	events = settledEvents(t, ctx, b.store)[1:]
	require.Len(t, events, 2)
	require.Equal(t, store.EventScheduleNextRun, events[0].Kind)
	require.Equal(t, store.EventDataSourceCreated, events[1].Kind)
	require.True(t, events[0].Cursor.Less(events[1].Cursor))

	// A cursor resumes exactly after its event.
	rest, _, err := b.store.EventList(ctx, &store.EventListParams{After: events[0].Cursor})
	require.NoError(t, err)
	require.Len(t, rest, 1)
	require.Equal(t, events[1].Cursor, rest[0].Cursor)

	data, err := rest[0].Decode()
	require.NoError(t, err)
	require.Equal(t, ds.ID, data.DataSource.ID)
	require.Equal(t, ds.Name, data.DataSource.Name)
	require.Equal(t, ds.MinFileAge, data.DataSource.MinFileAge)
	require.Equal(t, ds.RunTimeout, data.DataSource.RunTimeout)

	head, err := b.store.EventHead(ctx)
	require.NoError(t, err)
	require.Equal(t, events[1].Cursor, head)
}

// settledEvents waits until no transaction in flight holds events back (the
// test cluster is shared with other tests), and returns every event.
func settledEvents(t *testing.T, ctx context.Context, st *store.Store) []*store.Event {
	t.Helper()
	var events []*store.Event
	require.Eventually(t, func() bool {
		var more bool
		var err error
		events, more, err = st.EventList(ctx, &store.EventListParams{})
		require.NoError(t, err)
		return !more
	}, 30*time.Second, 5*time.Millisecond)
	return events
}

func TestEventCursor(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)

	_, err := b.store.DataSourceCreate(ctx, createParams("cursor-a"))
	require.NoError(t, err)
	_, err = b.store.DataSourceCreate(ctx, createParams("cursor-b"))
	require.NoError(t, err)
	events := settledEvents(t, ctx, b.store)
	require.Len(t, events, 2)

	t.Run("RoundTrip", func(t *testing.T) {
		c, err := store.ParseEventCursor(events[0].Cursor.String())
		require.NoError(t, err)
		require.Equal(t, events[0].Cursor, c)
		zero, err := store.ParseEventCursor("0:0")
		require.NoError(t, err)
		require.True(t, zero.IsZero())
	})
	t.Run("Malformed", func(t *testing.T) {
		for _, s := range []string{"", ":", "1", "a:b", "-1:2", "1:-2", "0:5", "5:0", "1:2:3",
			"99999999999999999999999:1", string(make([]byte, 10_000))} {
			_, err := store.ParseEventCursor(s)
			require.ErrorIs(t, err, store.ErrInvalidCursor, "%q", s)
		}
	})
	t.Run("Check", func(t *testing.T) {
		require.NoError(t, b.store.EventCursorCheck(ctx, events[1].Cursor))
		require.NoError(t, b.store.EventCursorCheck(ctx, store.EventCursor{}))
		future := store.EventCursor{TxID: events[1].Cursor.TxID + 1000, ID: events[1].Cursor.ID + 1000}
		require.ErrorIs(t, b.store.EventCursorCheck(ctx, future), store.ErrInvalidCursor)

		// Retention prunes the oldest event: its cursor has expired.
		_, err := b.store.PruneHistory(ctx, &store.RetentionParams{
			RunsOlderThan: time.Unix(0, 0), RunsPerDataSource: 1 << 30, Batch: 1,
			EventsOlderThan: events[0].OccurredAt.Add(time.Microsecond),
		})
		require.NoError(t, err)
		require.ErrorIs(t, b.store.EventCursorCheck(ctx, events[0].Cursor), store.ErrCursorExpired)
		require.NoError(t, b.store.EventCursorCheck(ctx, events[1].Cursor))
	})
}

func TestEventSnapshot(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)

	a, err := b.store.DataSourceCreate(ctx, createParams("snap-a"))
	require.NoError(t, err)
	_, err = b.store.DataSourceCreate(ctx, createParams("snap-b"))
	require.NoError(t, err)
	all := settledEvents(t, ctx, b.store)
	head := all[len(all)-1].Cursor

	var got []*store.EventData
	at, err := b.store.EventSnapshot(ctx, &store.EventSnapshotParams{Topic: store.SnapshotSchedules},
		func(e *store.Event) error {
			require.Equal(t, store.EventKindSnapshot, e.Kind)
			d, err := e.Decode()
			got = append(got, d)
			return err
		})
	require.NoError(t, err)
	require.Equal(t, head, at.Head)
	for _, e := range all {
		require.True(t, at.Covers(e.Cursor), "the snapshot shows %s", e.Kind)
	}
	require.False(t, at.Covers(store.EventCursor{TxID: head.TxID + 1_000_000, ID: 1}))
	require.Len(t, got, 2)
	require.NotNil(t, got[0].Schedule)
	require.False(t, *got[0].Schedule.Paused)
	require.Nil(t, got[0].Run, "no run has started yet")

	got = nil
	_, err = b.store.EventSnapshot(ctx, &store.EventSnapshotParams{Topic: store.SnapshotDataSources, DataSourceIDs: []uuid.UUID{a.ID}},
		func(e *store.Event) error {
			d, err := e.Decode()
			got = append(got, d)
			return err
		})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, a.ID, got[0].DataSource.ID)
	require.Equal(t, a.Schedule.Cron, got[0].DataSource.Schedule.Cron)
}

// TestListenerWatches: one LISTEN connection serves several consumers,
// each woken only by the channels it watches, and all told each time it
// starts listening: the first time, and after a reconnect.
func TestListenerWatches(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	l := b.store.NewListener(store.ScheduleEventsChannel, store.DataSourceEventsChannel)
	planner, stopPlanner := l.Watch(store.DataSourceEventsChannel)
	defer stopPlanner()
	hub, stopHub := l.Watch()
	defer stopHub()
	listenCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(listenCtx, func(error) {})
	}()
	defer func() { stop(); <-done }()

	conn, err := pgx.Connect(ctx, b.url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	wait := func(ch <-chan struct{}, what string) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(30 * time.Second):
			t.Fatalf("no signal: %s", what)
		}
	}
	// Watchers that read the tables before LISTEN was in place learn
	// when it is, and read them again.
	wait(planner.Listening(), "planner, first LISTEN")
	wait(hub.Listening(), "hub, first LISTEN")
	// A leadership change writes on schedule_events only.
	require.NoError(t, b.store.LeaderRecord(ctx, &store.LeaderRecordParams{Epoch: 1, ReplicaID: "test"}))
	wait(hub.Notified(), "hub, schedule_events")
	select {
	case <-planner.Notified():
		t.Fatal("the planner watches datasource_events only")
	case <-time.After(100 * time.Millisecond):
	}

	_, err = b.store.DataSourceCreate(ctx, createParams("watched"))
	require.NoError(t, err)
	wait(planner.Notified(), "planner, datasource write")
	wait(hub.Notified(), "hub, datasource write")

	var killed int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&killed))
	require.Equal(t, 1, killed, "one connection for every watch")
	wait(planner.Listening(), "planner, reconnect")
	wait(hub.Listening(), "hub, reconnect")
}

// TestRunEventDecodes: a planned RUN_SCHEDULED event carries the run as it
// was committed and the schedule's next slot.
func TestRunEventDecodes(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("decoded"))
	require.NoError(t, err)
	slot := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	next := slot.Add(30 * time.Second)
	b.insertRuns(t, ctx, store.RunInsert{
		DataSourceID: ds.ID, ScheduledFor: slot, Trigger: store.TriggerSchedule, Status: store.RunScheduled,
		MaxAttempts: 3, NextRunAt: next,
	})
	var planned *store.Event
	for _, e := range settledEvents(t, ctx, b.store) {
		if e.Kind == store.EventRunScheduled {
			planned = e
		}
	}
	require.NotNil(t, planned)
	data, err := planned.Decode()
	require.NoError(t, err)
	require.Equal(t, store.RunScheduled, data.Run.Status)
	require.True(t, data.Run.ScheduledFor.Equal(slot))
	require.Equal(t, 3, data.Run.MaxAttempts)
	require.NotNil(t, data.Schedule)
	require.True(t, data.Schedule.NextRunAt.Equal(next))
}
