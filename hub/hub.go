// Package hub fans the event stream out to the subscriptions of one replica.
//
// Each replica runs one Hub. It holds one LISTEN connection (store.Listener)
// and reads every committed event once, in stream order (see store's
// EventList), then hands a shared, decoded Message to each subscription
// whose filter matches. Subscriptions are indexed by topic and datasource,
// so an event costs work only for the subscriptions that want it.
//
// A send to a subscription never blocks: each has a bounded queue, and one
// that falls Buffer messages behind is cut off with ErrSlowConsumer and the
// cursor of the last message it got (DESIGN.md I6). The queue holds
// pointers to the shared messages and grows only with the backlog, so the
// bound can exceed the largest burst one transaction writes (a planner
// batch is two events per datasource) at no cost to subscribers that keep
// up.
//
// A subscription that starts from a cursor replays up to the hub's
// position, then continues live, with no gap and no duplicate (I5): from
// the last Buffer messages the hub keeps, when they reach back to its
// cursor (a reconnect, usually), so that a thousand clients reconnecting at
// once share the messages and the work done on them; otherwise from the
// events table, a few subscriptions at a time (Options.Readers).
package hub

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ezplatform/ezplatform/internal/backoff"
	"github.com/ezplatform/ezplatform/store"
)

// Topic is the family of events one subscription follows, as each event
// states it (store.Event.Topic).
type Topic = store.EventTopic

const (
	// TopicSchedules: runs, schedule changes and discovery results
	// (RUN_*, SCHEDULE_*, FILES_DISCOVERED).
	TopicSchedules = store.TopicSchedules
	// TopicDataSources: DATASOURCE_CREATED, _UPDATED and _DELETED.
	TopicDataSources = store.TopicDataSources
)

// topics are the topics a subscription may follow (leadership events
// stream from etcd instead).
var topics = []Topic{TopicSchedules, TopicDataSources}

// Message is one event as subscribers get it: shared by all of them, and
// never modified.
type Message struct {
	*store.Event
	Data *store.EventData

	memo sync.Map // key → *memoEntry
}

type memoEntry struct {
	once  sync.Once
	value any
}

// Memo returns the value compute gives for key, computing it once per
// message however many subscribers ask: for work that depends only on the
// message and the key, such as executing one GraphQL operation on it.
// Concurrent callers wait for the first.
func (m *Message) Memo(key string, compute func() any) any {
	e, _ := m.memo.LoadOrStore(key, &memoEntry{})
	entry := e.(*memoEntry)
	entry.once.Do(func() { entry.value = compute() })
	return entry.value
}

// Errors that end a stream. Both wrap into a *StreamError that carries the
// cursor to resume from.
var (
	// ErrSlowConsumer: the subscriber fell a full buffer behind.
	ErrSlowConsumer = errors.New("hub: subscriber too slow: its buffer is full")
	// ErrStopped: the replica is shutting down.
	ErrStopped = errors.New("hub: replica is shutting down")
)

// StreamError ends a stream that the client can resume: subscribe again
// with After set to Cursor.
type StreamError struct {
	Err error
	// Cursor is the last message the subscriber got; the zero cursor if
	// it got none but a snapshot, or nothing.
	Cursor store.EventCursor
}

func (e *StreamError) Error() string { return e.Err.Error() }
func (e *StreamError) Unwrap() error { return e.Err }

// Options tune a Hub. The zero value means the defaults.
type Options struct {
	// Buffer is how many messages a subscription may fall behind before
	// it is cut off (default DefaultBuffer).
	Buffer int
	// Resync is how often the hub reads the table without a notification,
	// in case one was lost (default 5 s).
	Resync time.Duration
	// Logger receives connection and decoding problems.
	Logger *slog.Logger
	// Registerer, if set, receives the hub's metrics.
	Registerer prometheus.Registerer
	// Readers is how many subscriptions may read the events table at once
	// (a replay page, a snapshot, a cursor check; default 4). A stampede of
	// reconnecting subscribers then queues in the hub rather than for the
	// pool's connections, which the planner, the workers and the API need.
	Readers int
	// Listener, if set, is the replica's LISTEN connection, which the hub
	// shares (on ScheduleEventsChannel and DataSourceEventsChannel) and its
	// owner runs. If nil, the hub runs a listener of its own.
	Listener *store.Listener
}

// Hub fans events out to subscriptions. Create it with New, start it with
// Run; Subscribe may be called before Run has caught up.
type Hub struct {
	store  *store.Store
	opts   Options
	logger *slog.Logger

	published prometheus.Counter // events read from the stream
	cutOff    prometheus.Counter // subscriptions closed as too slow

	mu      sync.Mutex
	pos     store.EventCursor // last message published
	started bool
	stopped bool
	subs    map[Topic]*index
	changed chan struct{} // closed and replaced when started or stopped changes

	reads chan struct{} // a slot per Options.Readers

	// recent are the last messages published, every topic, in stream
	// order, recent[0] right after recentFrom: a subscription that resumes
	// from a cursor among them replays from memory, sharing the messages
	// (and what their Memo holds) with every other subscriber, instead of
	// reading the table. Up to Options.Buffer of them.
	recent     []*Message
	recentFrom store.EventCursor
}

// index finds a topic's subscriptions by datasource.
type index struct {
	all  map[*subscription]struct{}
	byDS map[uuid.UUID]map[*subscription]struct{}
}

// DefaultBuffer is the default Options.Buffer: five planner batches of
// 1,000 datasources.
const DefaultBuffer = 10_000

// New returns a hub that reads st.
func New(st *store.Store, opts Options) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = DefaultBuffer
	}
	if opts.Resync <= 0 {
		opts.Resync = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	h := &Hub{store: st, opts: opts, logger: opts.Logger, subs: map[Topic]*index{}, changed: make(chan struct{}),
		reads: make(chan struct{}, opts.Readers),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ezplatform_hub_events_total", Help: "Events this replica's hub read from the event stream.",
		}),
		cutOff: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ezplatform_hub_slow_consumers_total", Help: "Subscriptions closed because their buffer was full.",
		}),
	}
	if opts.Registerer != nil {
		opts.Registerer.MustRegister(h.published, h.cutOff)
	}
	for _, topic := range topics {
		h.subs[topic] = &index{all: map[*subscription]struct{}{}, byDS: map[uuid.UUID]map[*subscription]struct{}{}}
	}
	return h
}

// Run reads the stream until ctx ends, then ends every subscription with
// ErrStopped. It survives database outages: the listener reconnects with
// backoff, and the hub reads from where it stopped, so nothing is lost.
func (h *Hub) Run(ctx context.Context) {
	watch, stopWatching := h.watch(ctx)
	defer func() {
		stopWatching()
		h.stop()
	}()
	retry := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		head, err := h.store.EventHead(ctx)
		if err == nil {
			h.start(head)
			break
		}
		h.logger.Warn("hub: cannot read the event stream; retrying", "err", err)
		if !backoff.Sleep(ctx, retry.Next()) {
			return
		}
	}
	h.follow(ctx, watch, retry)
}

// watch subscribes to the NOTIFY channels of events, on the listener of
// Options or on one of the hub's own, which stop ends.
func (h *Hub) watch(ctx context.Context) (*store.Watch, func()) {
	listener := h.opts.Listener
	listenerDone := make(chan struct{})
	if listener == nil {
		listener = h.store.NewListener(store.ScheduleEventsChannel, store.DataSourceEventsChannel)
		go func() {
			defer close(listenerDone)
			listener.Run(ctx, func(err error) { h.logger.Warn("hub: LISTEN connection lost; reconnecting", "err", err) })
		}()
	} else {
		close(listenerDone)
	}
	watch, stop := listener.Watch(store.ScheduleEventsChannel, store.DataSourceEventsChannel)
	return watch, func() { stop(); <-listenerDone }
}

// follow publishes the stream page by page from the hub's position, and
// looks again when notified, when held back, and at each resync, until ctx
// ends.
func (h *Hub) follow(ctx context.Context, watch *store.Watch, retry *backoff.Backoff) {
	const pageSize = 1000
	heldBack := backoff.New(time.Millisecond, 100*time.Millisecond)
	resync := time.NewTicker(h.opts.Resync)
	defer resync.Stop()
	for {
		events, more, err := h.store.EventList(ctx, &store.EventListParams{After: h.position(), Limit: pageSize})
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			h.logger.Warn("hub: cannot read the event stream; retrying", "err", err)
			wait = retry.Next()
		default:
			retry.Reset()
			h.publish(events)
			switch {
			case more && len(events) == pageSize:
				continue
			case more:
				// A transaction still in flight holds committed events
				// back; it sends no notification when it ends.
				wait = heldBack.Next()
			default:
				heldBack.Reset()
			}
		}
		var timer <-chan time.Time
		if wait > 0 {
			timer = time.After(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-watch.Notified():
		case <-watch.Listening():
		case <-resync.C:
		case <-timer:
		}
	}
}

func (h *Hub) start(head store.EventCursor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos, h.started = head, true
	h.recentFrom = head
	close(h.changed)
	h.changed = make(chan struct{})
}

// Drain ends every stream with ErrStopped, and every later one at once:
// a replica that shuts down calls it first, so that its subscribers get
// a cursor to resume from, on another replica, before connections close.
func (h *Hub) Drain() { h.stop() }

func (h *Hub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	h.stopped = true
	close(h.changed)
	h.changed = make(chan struct{})
	for _, idx := range h.subs {
		for s := range idx.all {
			h.closeLocked(s, ErrStopped)
		}
		for _, set := range idx.byDS {
			for s := range set {
				h.closeLocked(s, ErrStopped)
			}
		}
	}
}

func (h *Hub) position() store.EventCursor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pos
}

// publish decodes each event once and offers it to the subscriptions that
// match, without ever blocking on one.
func (h *Hub) publish(events []*store.Event) {
	if len(events) == 0 {
		return
	}
	msgs := make([]*Message, 0, len(events))
	for _, e := range events {
		msgs = append(msgs, h.message(e))
	}
	h.published.Add(float64(len(msgs)))
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range msgs {
		if idx := h.subs[m.Topic]; idx != nil {
			for s := range idx.all {
				h.offerLocked(s, m)
			}
			if m.DataSourceID != nil {
				for s := range idx.byDS[*m.DataSourceID] {
					h.offerLocked(s, m)
				}
			}
		}
		h.pos = m.Cursor
	}
	h.recent = append(h.recent, msgs...)
	if over := len(h.recent) - h.opts.Buffer; over > 0 {
		h.recentFrom = h.recent[over-1].Cursor
		clear(h.recent[:over])
		h.recent = h.recent[over:]
	}
}

// replayRecent returns the messages in (after, until] that keep accepts,
// from the recent messages, and false if they no longer hold all of them.
func (h *Hub) replayRecent(after, until store.EventCursor, keep func(*Message) bool) ([]*Message, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.started || after.Less(h.recentFrom) {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(h.recent, after, func(m *Message, c store.EventCursor) int { return m.Cursor.Compare(c) })
	var out []*Message
	for ; i < len(h.recent) && !until.Less(h.recent[i].Cursor); i++ {
		if m := h.recent[i]; after.Less(m.Cursor) && keep(m) {
			out = append(out, m)
		}
	}
	return out, true
}

// read runs f, a subscription's read of the events table, once one of the
// Options.Readers slots is free.
func (h *Hub) read(ctx context.Context, f func() error) error {
	select {
	case h.reads <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.reads }()
	return f()
}

// message decodes e for subscribers. An event that does not decode is
// delivered without its details rather than lost.
func (h *Hub) message(e *store.Event) *Message {
	data, err := e.Decode()
	if err != nil {
		h.logger.Error("hub: cannot decode an event", "err", err)
		data = &store.EventData{}
	}
	return &Message{Event: e, Data: data}
}

func (h *Hub) offerLocked(s *subscription, m *Message) {
	if !s.push(m, h.opts.Buffer) {
		h.cutOff.Inc()
		h.closeLocked(s, ErrSlowConsumer)
	}
}

// register adds a subscription and returns the position from which it
// gets live messages: everything after it is offered to s.
func (h *Hub) register(s *subscription) store.EventCursor {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		s.close(ErrStopped)
		return h.pos
	}
	idx := h.subs[s.topic]
	if s.dataSourceIDs == nil {
		idx.all[s] = struct{}{}
	} else {
		for _, id := range s.dataSourceIDs {
			set := idx.byDS[id]
			if set == nil {
				set = map[*subscription]struct{}{}
				idx.byDS[id] = set
			}
			set[s] = struct{}{}
		}
	}
	return h.pos
}

// unregister removes s if it is still registered.
func (h *Hub) unregister(s *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s)
}

func (h *Hub) removeLocked(s *subscription) bool {
	idx := h.subs[s.topic]
	if s.dataSourceIDs == nil {
		if _, ok := idx.all[s]; !ok {
			return false
		}
		delete(idx.all, s)
		return true
	}
	removed := false
	for _, id := range s.dataSourceIDs {
		if set := idx.byDS[id]; set != nil {
			if _, ok := set[s]; ok {
				removed = true
				delete(set, s)
				if len(set) == 0 {
					delete(idx.byDS, id)
				}
			}
		}
	}
	return removed
}

// closeLocked ends s's live feed with err, once: it is removed, and its
// queue marked closed after what it already holds.
func (h *Hub) closeLocked(s *subscription, err error) {
	if h.removeLocked(s) {
		s.close(err)
	}
}

// waitStarted blocks until Run has read the stream head, or the hub stops.
func (h *Hub) waitStarted(ctx context.Context) error {
	for {
		h.mu.Lock()
		started, stopped, changed := h.started, h.stopped, h.changed
		h.mu.Unlock()
		switch {
		case stopped:
			return ErrStopped
		case started:
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// Subscribers returns how many subscriptions are live, for metrics.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, idx := range h.subs {
		n += len(idx.all)
		seen := map[*subscription]struct{}{}
		for _, set := range idx.byDS {
			for s := range set {
				seen[s] = struct{}{}
			}
		}
		n += len(seen)
	}
	return n
}
