package store

import "context"

// InTxBeforeCommit is inTx for tests: beforeCommit runs once the
// transaction's events are in, before it commits, so that a test can hold a
// writer open with its events inserted.
func (s *Store) InTxBeforeCommit(ctx context.Context, fn func(tx *Tx) error, beforeCommit func() error) error {
	return s.inTx(ctx, fn, beforeCommit)
}

// RecordTestEvent queues an empty SCHEDULE_NEXT_RUN event in t.
func (t *Tx) RecordTestEvent() error {
	return t.recordEvent(EventScheduleNextRun, nil, nil, struct{}{})
}
