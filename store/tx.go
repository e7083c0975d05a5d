package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Tx is a store transaction. Its methods run inside one PostgreSQL
// transaction, which callers share with River (InsertManyFastTx)
// through Pgx, so that state and jobs commit together.
type Tx struct {
	tx     pgx.Tx
	events []pendingEvent
	// dataSourceWrite, if set, is the datasource the transaction wrote.
	dataSourceWrite *dataSourceWrite
}

// InTx runs fn in a transaction, commits when fn returns nil and rolls back
// otherwise. The transaction first locks the events table (ROW EXCLUSIVE,
// as an insert does), so that the event stream knows it may write events
// from its start. Events recorded in the transaction are inserted before commit
// with one NOTIFY on ScheduleEventsChannel: NOTIFY takes a global lock at
// commit, so one per transaction, not one per row.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	return s.inTx(ctx, fn, nil)
}

// beginWriter begins a transaction that may write events: it locks the
// events table before the transaction has an id, since the event stream
// waits for such transactions only (see events_horizon()). The lock
// conflicts with nothing that runs while the service does. One round trip:
// without arguments, pgx sends both statements at once.
var beginWriter = pgx.TxOptions{BeginQuery: "BEGIN; LOCK TABLE events IN ROW EXCLUSIVE MODE"}

// inTx is InTx with beforeCommit, if set, called last, once the events are
// in.
func (s *Store) inTx(ctx context.Context, fn func(tx *Tx) error, beforeCommit func() error) error {
	return pgx.BeginTxFunc(ctx, s.pool, beginWriter, func(ptx pgx.Tx) error {
		tx := &Tx{tx: ptx}
		if err := fn(tx); err != nil {
			return err
		}
		if err := tx.flushEvents(ctx); err != nil || beforeCommit == nil {
			return err
		}
		return beforeCommit()
	})
}

// InTxCommitAt is InTx, except that it commits no earlier than at: the
// transaction does its work ahead of time and becomes visible at that
// instant. It rolls back if ctx ends first. The transaction holds its locks
// and its transaction id while it waits, so at should be near. It returns
// how long it waited, so that callers can time the work alone.
func (s *Store) InTxCommitAt(ctx context.Context, at time.Time, fn func(tx *Tx) error) (waited time.Duration, err error) {
	// The transaction itself outlives ctx, so that giving up the wait rolls
	// back on the connection: pgx closes a connection whose ROLLBACK it
	// cannot send, and an ended ctx would be such a case.
	err = s.inTx(context.WithoutCancel(ctx), fn, func() error {
		wait := time.Until(at)
		if wait <= 0 {
			return nil
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-timer.C:
			waited = wait
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	return waited, err
}

// Pgx returns the underlying transaction, for River.
func (t *Tx) Pgx() pgx.Tx { return t.tx }
