package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Listener holds one dedicated LISTEN connection on one or more channels. It signals
// Notified after each notification, and Reconnected once it has listened
// again after losing its connection: notifications sent meanwhile are lost,
// so the reader must catch up from the tables. Both channels hold one
// signal: a pending one already says "look again".
type Listener struct {
	store       *Store
	channels    []string
	notified    chan struct{}
	reconnected chan struct{}
}

// NewListener returns a listener on channels (constants of this package,
// such as DataSourceEventsChannel). Run starts it.
func (s *Store) NewListener(channels ...string) *Listener {
	return &Listener{store: s, channels: channels, notified: make(chan struct{}, 1), reconnected: make(chan struct{}, 1)}
}

// Notified receives a signal after notifications.
func (l *Listener) Notified() <-chan struct{} { return l.notified }

// Reconnected receives a signal after a reconnection.
func (l *Listener) Reconnected() <-chan struct{} { return l.reconnected }

// Run listens until ctx ends, reconnecting with backoff (100 ms doubling to
// 5 s). It reports each lost connection to onError.
func (l *Listener) Run(ctx context.Context, onError func(error)) {
	const minDelay, maxDelay = 100 * time.Millisecond, 5 * time.Second
	delay := minDelay
	for connected := false; ctx.Err() == nil; {
		err := l.listen(ctx, func() {
			if connected {
				signal(l.reconnected)
			}
			connected, delay = true, minDelay
		})
		if ctx.Err() != nil {
			return
		}
		onError(err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, maxDelay)
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
		if _, err := pgConn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal(l.notified)
	}
}

// signal sends on a one-slot channel without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
