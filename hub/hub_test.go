package hub_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type testBundle struct {
	store *store.Store
	url   string
	hub   *hub.Hub
}

func setup(t *testing.T, opts hub.Options) (*testBundle, context.Context) {
	t.Helper()
	st, url := pgtest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	h := hub.New(st, opts)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &testBundle{store: st, url: url, hub: h}, ctx
}

func createParams(name string) *store.DataSourceCreateParams {
	return &store.DataSourceCreateParams{
		Name: name, Path: "/data/inbox/" + name, FilePattern: "*.csv", Enabled: true,
		Schedule: store.Schedule{
			Cron: "*/30 * * * * ?", Anchor: time.Unix(0, 0).UTC(), Timezone: "UTC",
			MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP",
		},
	}
}

// next returns the stream's next message, failing the test after 30 s.
func next(t *testing.T, s *hub.Stream) *hub.Message {
	t.Helper()
	m, ok := nextWithin(s, 30*time.Second)
	require.True(t, ok, "no message within 30 s")
	require.NotNil(t, m, "stream ended: %v", s.Err())
	return m
}

// nextWithin waits d for the stream's next message (nil if it ended). If
// none comes, the read goes on until the stream's context ends, and the
// stream must not be read again.
func nextWithin(s *hub.Stream, d time.Duration) (*hub.Message, bool) {
	got := make(chan *hub.Message, 1)
	go func() { got <- s.Next() }()
	select {
	case m := <-got:
		return m, true
	case <-time.After(d):
		return nil, false
	}
}

// settledHead waits until no transaction in flight holds events back (the
// test cluster is shared with other tests), and returns the stream head.
func settledHead(t *testing.T, ctx context.Context, st *store.Store) store.EventCursor {
	t.Helper()
	var head store.EventCursor
	require.Eventually(t, func() bool {
		events, more, err := st.EventList(ctx, &store.EventListParams{After: head})
		require.NoError(t, err)
		if len(events) > 0 {
			head = events[len(events)-1].Cursor
		}
		return !more
	}, 30*time.Second, 5*time.Millisecond)
	return head
}

func rename(t *testing.T, ctx context.Context, st *store.Store, id uuid.UUID, name string) {
	t.Helper()
	_, err := st.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: id, Name: &name})
	require.NoError(t, err)
}

func TestSnapshotThenLive(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{})

	a, err := b.store.DataSourceCreate(ctx, createParams("a"))
	require.NoError(t, err)

	s, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources})
	require.NoError(t, err)
	m := next(t, s)
	require.Equal(t, store.EventKindSnapshot, m.Kind)
	require.Equal(t, "a", m.Data.DataSource.Name)

	rename(t, ctx, b.store, a.ID, "a2")
	m = next(t, s)
	require.Equal(t, store.EventDataSourceUpdated, m.Kind)
	require.Equal(t, "a2", m.Data.DataSource.Name)
	require.Equal(t, 2, m.Data.DataSource.Version)
}

func TestFilterByDataSource(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{})

	a, err := b.store.DataSourceCreate(ctx, createParams("a"))
	require.NoError(t, err)
	other, err := b.store.DataSourceCreate(ctx, createParams("other"))
	require.NoError(t, err)
	head := settledHead(t, ctx, b.store)

	s, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicSchedules, DataSourceIDs: []uuid.UUID{a.ID, a.ID}, After: &head})
	require.NoError(t, err)
	for _, id := range []uuid.UUID{other.ID, a.ID} {
		paused := true
		_, err := b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: id, Paused: &paused})
		require.NoError(t, err)
	}
	m := next(t, s)
	require.Equal(t, store.EventSchedulePaused, m.Kind)
	require.Equal(t, a.ID, *m.DataSourceID, "the other datasource's event is filtered out")
	require.True(t, *m.Data.Schedule.Paused)
	if m, ok := nextWithin(s, 200*time.Millisecond); ok {
		t.Fatalf("unexpected message %v", m)
	}
}

// TestResumeIsGapFree reads half of a stream, disconnects, writes more, and
// resumes from the last cursor: the union is the events table, in order,
// each event once.
func TestResumeIsGapFree(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{})

	ds, err := b.store.DataSourceCreate(ctx, createParams("resume"))
	require.NoError(t, err)
	zero := store.EventCursor{}

	var seen []store.EventCursor
	subCtx, cancel := context.WithCancel(ctx)
	s, err := b.hub.Subscribe(subCtx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &zero})
	require.NoError(t, err)
	seen = append(seen, next(t, s).Cursor)
	for i := range 5 {
		rename(t, ctx, b.store, ds.ID, fmt.Sprintf("resume-%d", i))
		seen = append(seen, next(t, s).Cursor)
	}
	cancel() // the client goes away
	for range s.All() {
	}
	require.NoError(t, s.Err())

	for i := 5; i < 10; i++ { // written while it is away
		rename(t, ctx, b.store, ds.ID, fmt.Sprintf("resume-%d", i))
	}
	last := seen[len(seen)-1]
	s, err = b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &last})
	require.NoError(t, err)
	for i := 10; i < 15; i++ { // written while it replays
		rename(t, ctx, b.store, ds.ID, fmt.Sprintf("resume-%d", i))
	}
	for len(seen) < 16 {
		seen = append(seen, next(t, s).Cursor)
	}
	events, _, err := b.store.EventList(ctx, &store.EventListParams{Kinds: []string{
		store.EventDataSourceCreated, store.EventDataSourceUpdated, store.EventDataSourceDeleted}})
	require.NoError(t, err)
	var want []store.EventCursor
	for _, e := range events {
		want = append(want, e.Cursor)
	}
	require.Equal(t, want, seen)
}

func TestCursorErrors(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{})

	_, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicSchedules, After: &store.EventCursor{TxID: 1 << 40, ID: 1 << 40}})
	require.ErrorIs(t, err, store.ErrInvalidCursor)
}

// TestSlowConsumerIsCutOff: a subscriber that stops reading is cut off
// with a resumable cursor, while a fast one gets every event.
func TestSlowConsumerIsCutOff(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{Buffer: 4})

	ds, err := b.store.DataSourceCreate(ctx, createParams("slow"))
	require.NoError(t, err)
	head := settledHead(t, ctx, b.store)
	slow, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &head})
	require.NoError(t, err)
	fast, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &head})
	require.NoError(t, err)

	// The slow one reads one message, then stops.
	rename(t, ctx, b.store, ds.ID, "slow-0")
	first := next(t, slow)
	require.Equal(t, "slow-0", first.Data.DataSource.Name)
	require.Equal(t, "slow-0", next(t, fast).Data.DataSource.Name)

	const n = 40
	for i := 1; i <= n; i++ {
		rename(t, ctx, b.store, ds.ID, fmt.Sprintf("slow-%d", i))
		require.Equal(t, fmt.Sprintf("slow-%d", i), next(t, fast).Data.DataSource.Name)
	}

	// It gets what its buffer held, then the error with its last cursor.
	var last store.EventCursor
	for m := range slow.All() {
		last = m.Cursor
	}
	var streamErr *hub.StreamError
	require.ErrorAs(t, slow.Err(), &streamErr)
	require.ErrorIs(t, slow.Err(), hub.ErrSlowConsumer)
	require.Equal(t, last, streamErr.Cursor)

	// It resumes from that cursor and gets the rest, in order.
	resumed, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &streamErr.Cursor})
	require.NoError(t, err)
	for {
		m := next(t, resumed)
		if m.Data.DataSource.Name == fmt.Sprintf("slow-%d", n) {
			break
		}
	}
}

// TestListenerReconnectCatchesUp kills the hub's LISTEN connection: the
// events committed while it reconnects still arrive.
func TestListenerReconnectCatchesUp(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{Resync: time.Hour})

	ds, err := b.store.DataSourceCreate(ctx, createParams("reconnect"))
	require.NoError(t, err)
	head := settledHead(t, ctx, b.store)
	s, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &head})
	require.NoError(t, err)
	rename(t, ctx, b.store, ds.ID, "before")
	require.Equal(t, "before", next(t, s).Data.DataSource.Name)

	conn, err := pgx.Connect(ctx, b.url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	// The first event may have come from the table, before the LISTEN
	// connection was up: wait for it, then cut it.
	listening := func() int {
		var n int
		require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&n))
		return n
	}
	require.Eventually(t, func() bool { return listening() == 1 }, 30*time.Second, 10*time.Millisecond)
	var killed int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%'`).Scan(&killed))
	require.Equal(t, 1, killed)
	for i := range 3 {
		rename(t, ctx, b.store, ds.ID, fmt.Sprintf("during-%d", i))
	}
	for i := range 3 {
		require.Equal(t, fmt.Sprintf("during-%d", i), next(t, s).Data.DataSource.Name)
	}
}

func TestStopEndsStreams(t *testing.T) {
	t.Parallel()
	st, _ := pgtest.NewStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	h := hub.New(st, hub.Options{Logger: quietLogger()})
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx)
	}()
	zero := store.EventCursor{}
	s, err := h.Subscribe(context.Background(), hub.SubscribeParams{Topic: hub.TopicSchedules, After: &zero})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.Subscribers() == 1 }, 30*time.Second, 10*time.Millisecond)
	cancel()
	<-done
	for range s.All() {
	}
	require.ErrorIs(t, s.Err(), hub.ErrStopped)
}

// TestNoGoroutineLeak subscribes and unsubscribes 1,000 times.
func TestNoGoroutineLeak(t *testing.T) {
	b, ctx := setup(t, hub.Options{})
	_, err := b.store.DataSourceCreate(ctx, createParams("leak"))
	require.NoError(t, err)
	head := settledHead(t, ctx, b.store)
	require.Eventually(t, func() bool { return b.hub.Subscribers() == 0 }, 30*time.Second, 10*time.Millisecond)
	opt := goleak.IgnoreCurrent()

	for i := range 1000 {
		subCtx, cancel := context.WithCancel(ctx)
		params := hub.SubscribeParams{Topic: []hub.Topic{hub.TopicSchedules, hub.TopicDataSources}[i%2]}
		if i%3 == 0 {
			params.After = &head
		}
		s, err := b.hub.Subscribe(subCtx, params)
		require.NoError(t, err)
		if params.After == nil {
			next(t, s) // the snapshot's first message
		}
		cancel()
		for range s.All() {
		}
		if err := s.Err(); err != nil && !errors.Is(err, context.Canceled) {
			require.NoError(t, err)
		}
	}
	require.Equal(t, 0, b.hub.Subscribers())
	// A connection the pool opened meanwhile is the pool's, not a leak.
	goleak.VerifyNone(t, opt, goleak.IgnoreAnyFunction("github.com/jackc/pgx/v5/pgconn/internal/bgreader.(*BGReader).bgRead"))
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestBurstIsNotSlowness: one transaction writes more events than a
// subscriber could take in one go (a planner batch writes two per
// datasource); subscribers that keep draining are not cut off.
func TestBurstIsNotSlowness(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t, hub.Options{})
	ds, err := b.store.DataSourceCreate(ctx, createParams("burst"))
	require.NoError(t, err)
	head := settledHead(t, ctx, b.store)

	const subscribers, burst = 20, 3000
	var streams []*hub.Stream
	for range subscribers {
		s, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicSchedules, After: &head})
		require.NoError(t, err)
		streams = append(streams, s)
	}
	require.Eventually(t, func() bool { return b.hub.Subscribers() == subscribers }, 30*time.Second, 10*time.Millisecond)

	// One transaction, one NOTIFY, burst events.
	plan := make([]store.ScheduleNext, burst)
	for n := range plan {
		plan[n] = store.ScheduleNext{DataSourceID: ds.ID, NextRunAt: time.Now().Add(time.Duration(n+1) * time.Second)}
	}
	require.NoError(t, b.store.InTx(ctx, func(tx *store.Tx) error { return tx.SchedulesSetNext(ctx, plan) }))

	for i, s := range streams {
		for n := 0; n < burst; n++ {
			m := next(t, s)
			require.Equal(t, store.EventScheduleNextRun, m.Kind, "subscriber %d, event %d", i, n)
		}
	}
	require.Equal(t, subscribers, b.hub.Subscribers(), "nobody was cut off")
}

func TestMessageMemoComputesOnce(t *testing.T) {
	t.Parallel()
	m := &hub.Message{Event: &store.Event{Kind: store.EventRunStarted}}
	var calls atomic.Int32
	var wg sync.WaitGroup
	results := make([]any, 50)
	for i := range results {
		wg.Go(func() {
			results[i] = m.Memo("q", func() any {
				calls.Add(1)
				time.Sleep(10 * time.Millisecond)
				return "encoded"
			})
		})
	}
	wg.Wait()
	require.Equal(t, int32(1), calls.Load())
	for _, r := range results {
		require.Equal(t, "encoded", r)
	}
	require.Equal(t, "other", m.Memo("other query", func() any { return "other" }), "keys are separate")
}

// TestResumeFromMemoryAndFromTable: a subscriber that resumes from a
// recent cursor replays the hub's recent messages, the very ones live
// subscribers got (so their Memo is shared); one that resumes from further
// back reads the table. Both get the same events as the table holds.
func TestResumeFromMemoryAndFromTable(t *testing.T) {
	t.Parallel()
	const recent = 5 // the hub keeps Buffer messages
	b, ctx := setup(t, hub.Options{Buffer: recent})
	zero := store.EventCursor{}
	live, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &zero})
	require.NoError(t, err)
	ds, err := b.store.DataSourceCreate(ctx, createParams("recent"))
	require.NoError(t, err)
	got := []*hub.Message{next(t, live)}
	for i := range 12 {
		rename(t, ctx, b.store, ds.ID, fmt.Sprintf("recent-%d", i))
		got = append(got, next(t, live))
	}

	resume := func(after store.EventCursor) []*hub.Message {
		s, err := b.hub.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &after})
		require.NoError(t, err)
		var out []*hub.Message
		for range len(got) - slices.IndexFunc(got, func(m *hub.Message) bool { return m.Cursor == after }) - 1 {
			out = append(out, next(t, s))
		}
		return out
	}
	fromMemory := resume(got[len(got)-recent+1].Cursor)
	require.Len(t, fromMemory, recent-2)
	for i, m := range fromMemory {
		require.Same(t, got[len(got)-recent+2+i], m, "the live subscriber's message")
	}
	fromTable := resume(got[2].Cursor)
	require.Len(t, fromTable, len(got)-3)
	for i, m := range fromTable {
		require.Equal(t, got[3+i].Cursor, m.Cursor)
		require.Equal(t, got[3+i].Data, m.Data)
	}
	require.NotSame(t, got[3], fromTable[0], "read from the table")
}
