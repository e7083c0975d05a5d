package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// listener holds one LISTEN connection for the leader's planner. It signals
// wake on every notification and reconnected after it had to reconnect,
// since notifications sent meanwhile are lost.
type listener struct {
	pool        *pgxpool.Pool
	channel     string
	logger      *slog.Logger
	wake        chan struct{}
	reconnected chan struct{}
}

func newListener(pool *pgxpool.Pool, channel string, logger *slog.Logger) *listener {
	return &listener{pool: pool, channel: channel, logger: logger,
		wake: make(chan struct{}, 1), reconnected: make(chan struct{}, 1)}
}

// run listens until ctx ends, reconnecting with backoff.
func (l *listener) run(ctx context.Context) {
	retry := newBackoff(100*time.Millisecond, 5*time.Second)
	for first := true; ctx.Err() == nil; first = false {
		if !first {
			if !sleepCtx(ctx, retry.next()) {
				return
			}
			notify(l.reconnected)
		}
		err := l.listen(ctx, retry)
		if ctx.Err() == nil {
			l.logger.Warn("scheduler: LISTEN connection lost; reconnecting", "channel", l.channel, "error", err)
		}
	}
}

func (l *listener) listen(ctx context.Context, retry *backoff) error {
	conn, err := l.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection keeps its LISTEN state: never hand it back to the pool.
	pgConn := conn.Hijack()
	defer pgConn.Close(context.WithoutCancel(ctx))
	if _, err := pgConn.Exec(ctx, "LISTEN "+l.channel); err != nil {
		return err
	}
	retry.reset()
	for {
		if _, err := pgConn.WaitForNotification(ctx); err != nil {
			return err
		}
		notify(l.wake)
	}
}

// notify sends on a one-slot channel without blocking: a pending signal
// already says "look again".
func notify(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
