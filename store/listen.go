package store

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ezplatform/ezplatform/internal/backoff"
)

// Listener holds one dedicated LISTEN connection on one or more channels,
// shared by the parts of a replica that wait for notifications (the event
// hub, the planner): each takes a Watch. A notification only says "look
// again"; notifications sent while no connection listened are gone, so
// readers catch up from the tables when Listening says so.
type Listener struct {
	store    *Store
	channels []string

	mu      sync.Mutex
	watches map[*Watch]struct{}
}

// Watch is one consumer of a Listener. Its channels hold one signal: a
// pending one already says "look again".
type Watch struct {
	channels  []string // nil: every channel of the listener
	notified  chan struct{}
	listening chan struct{}
}

// Notified receives a signal after notifications on the watched channels.
func (w *Watch) Notified() <-chan struct{} { return w.notified }

// Listening receives a signal each time the connection starts listening,
// the first time included: what was notified before it was not heard, so
// read the tables. (A watcher that read them before the first LISTEN was
// in place would otherwise miss what committed in between.)
func (w *Watch) Listening() <-chan struct{} { return w.listening }

// NewListener returns a listener on channels (constants of this package,
// such as DataSourceEventsChannel). Run starts it.
func (s *Store) NewListener(channels ...string) *Listener {
	return &Listener{store: s, channels: channels, watches: map[*Watch]struct{}{}}
}

// Watch returns a consumer of the notifications on channels (every channel
// of the listener if none is given), until stop is called.
func (l *Listener) Watch(channels ...string) (w *Watch, stop func()) {
	w = &Watch{notified: make(chan struct{}, 1), listening: make(chan struct{}, 1)}
	if len(channels) > 0 {
		w.channels = channels
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watches[w] = struct{}{}
	return w, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.watches, w)
	}
}

// Run listens until ctx ends, reconnecting with backoff (100 ms doubling to
// 1 s, jittered): one connection per replica may try every second, and
// live streams resume within a second of the database's return (with 5 s,
// 3 s after a 5 s restart). It reports each lost connection to onError.
func (l *Listener) Run(ctx context.Context, onError func(error)) {
	retry := backoff.New(100*time.Millisecond, time.Second)
	for ctx.Err() == nil {
		err := l.listen(ctx, func() {
			l.broadcast(func(w *Watch) chan struct{} { return w.listening })
			retry.Reset()
		})
		if ctx.Err() != nil {
			return
		}
		onError(err)
		if !backoff.Sleep(ctx, retry.Next()) {
			return
		}
	}
}

// listen holds one connection until it fails; listening calls back once
// LISTEN is in place.
func (l *Listener) listen(ctx context.Context, listening func()) error {
	conn, err := l.store.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection keeps its LISTEN state: never hand it back to the pool.
	pgConn := conn.Hijack()
	defer pgConn.Close(context.WithoutCancel(ctx))
	for _, channel := range l.channels {
		if _, err := pgConn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return err
		}
	}
	listening()
	for {
		n, err := pgConn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.broadcast(func(w *Watch) chan struct{} {
			if w.channels != nil && !slices.Contains(w.channels, n.Channel) {
				return nil
			}
			return w.notified
		})
	}
}

// broadcast signals the channel pick returns of each watch (nil: none).
func (l *Listener) broadcast(pick func(*Watch) chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for w := range l.watches {
		if ch := pick(w); ch != nil {
			signal(ch)
		}
	}
}

// signal sends on a one-slot channel without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// NotifyQueueUsage is the fraction of PostgreSQL's NOTIFY queue in use: at
// 1, every NOTIFY fails, and with it every transaction that writes events.
func (s *Store) NotifyQueueUsage(ctx context.Context) (float64, error) {
	var usage float64
	err := s.pool.QueryRow(ctx, `SELECT pg_notification_queue_usage()`).Scan(&usage)
	return usage, err
}
