package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// DueSchedule is a datasource whose next slot is due (or has to be
// computed), locked by the planner's transaction.
type DueSchedule struct {
	DataSource *DataSource
	// UnfinishedRuns counts runs SCHEDULED, RUNNING or RETRYING.
	UnfinishedRuns int
	// WaitingRuns counts runs SCHEDULED and not started.
	WaitingRuns int
}

// plannable is the condition of a datasource the leader plans.
const plannable = `deleted_at IS NULL AND enabled AND NOT paused`

// SchedulesDue locks up to limit plannable datasources: first those whose
// next_run_at is NULL (to be computed), then those whose next_run_at is not
// after now, earliest first. Rows locked by a concurrent mutation are
// skipped: its NOTIFY brings the planner back to them.
//
// The lock is FOR NO KEY UPDATE, not FOR UPDATE: every insert into runs,
// events and discovered_files takes FOR KEY SHARE on its datasource (the
// foreign key), which FOR UPDATE would block: runs finishing while a batch
// plans would wait for it, and the planner would skip their datasources.
func (t *Tx) SchedulesDue(ctx context.Context, now time.Time, limit int) ([]*DueSchedule, error) {
	// Two index scans rather than one OR: ordering NULLs first over the
	// whole table would sort every plannable row on every batch.
	unplanned, err := t.schedulesLocked(ctx, dueSelect+` AND next_run_at IS NULL
		LIMIT $1 FOR NO KEY UPDATE OF d SKIP LOCKED`, limit)
	if err != nil || len(unplanned) == limit {
		return unplanned, err
	}
	due, err := t.schedulesLocked(ctx, dueSelect+` AND next_run_at <= $2
		ORDER BY next_run_at LIMIT $1 FOR NO KEY UPDATE OF d SKIP LOCKED`, limit-len(unplanned), now)
	return append(unplanned, due...), err
}

// dueSelect selects plannable datasources with their unfinished and
// waiting run counts, for the overlap policy, in one scan of the partial
// index of unfinished runs.
const dueSelect = `SELECT ` + dataSourceColumns + `, unfinished.total, unfinished.waiting
	FROM datasources d, LATERAL (
		SELECT count(*) AS total, count(*) FILTER (WHERE r.status = 'SCHEDULED') AS waiting
		FROM runs r WHERE r.datasource_id = d.id AND r.status IN ('SCHEDULED', 'RUNNING', 'RETRYING')
	) unfinished
	WHERE ` + plannable

func (t *Tx) schedulesLocked(ctx context.Context, sql string, args ...any) ([]*DueSchedule, error) {
	rows, err := t.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*DueSchedule, error) {
		var due DueSchedule
		var err error
		due.DataSource, err = scanDataSource(rowWithTail{row, []any{&due.UnfinishedRuns, &due.WaitingRuns}})
		return &due, err
	})
}

// rowWithTail scans extra trailing columns after the ones a scanner knows.
type rowWithTail struct {
	pgx.Row
	tail []any
}

func (r rowWithTail) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.tail...)...) }

// ScheduleNext is a datasource's next slot, as the planner computed it.
type ScheduleNext struct {
	DataSourceID uuid.UUID
	// NextRunAt is the next slot, or NeverTime.
	NextRunAt time.Time
	// Announced means that a run event of the same plan already carries
	// NextRunAt, so no SCHEDULE_NEXT_RUN event is needed.
	Announced bool
}

// SchedulesSetNext stores next slots, and records a SCHEDULE_NEXT_RUN event
// for each one that is not Announced.
func (t *Tx) SchedulesSetNext(ctx context.Context, next []ScheduleNext) error {
	if len(next) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(next))
	times := make([]pgtype.Timestamptz, len(next))
	for i, n := range next {
		ids[i], times[i] = n.DataSourceID, timestamptzArg(n.NextRunAt)
	}
	if _, err := t.tx.Exec(ctx, `
		UPDATE datasources SET next_run_at = u.next FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, next)
		WHERE datasources.id = u.id`, ids, times); err != nil {
		return err
	}
	for _, n := range next {
		if n.Announced {
			continue
		}
		payload := &ScheduleNextRunEvent{DataSourceID: n.DataSourceID}
		if n.NextRunAt.Before(NeverTime) {
			at := n.NextRunAt.UTC()
			payload.NextRunAt = &at
		}
		if err := t.recordEvent(EventScheduleNextRun, &n.DataSourceID, nil, payload); err != nil {
			return err
		}
	}
	return nil
}

// ScheduleWakeup tells the planner when to look again: the earliest
// next_run_at of a plannable datasource (nil if none), and whether some
// still need their next slot computed.
func (s *Store) ScheduleWakeup(ctx context.Context) (earliest *time.Time, pending bool, err error) {
	var ts pgtype.Timestamptz
	err = s.pool.QueryRow(ctx, `
		SELECT (SELECT min(next_run_at) FROM datasources WHERE `+plannable+`),
			EXISTS (SELECT 1 FROM datasources WHERE `+plannable+` AND next_run_at IS NULL)`).Scan(&ts, &pending)
	if err != nil {
		return nil, false, err
	}
	return timeFromTimestamptz(ts), pending, nil
}

// SchedulesPage returns up to limit plannable datasources with ids after
// after, in id order, for the leader's reconcile.
func (s *Store) SchedulesPage(ctx context.Context, after uuid.UUID, limit int) ([]*DataSource, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dataSourceColumns+` FROM datasources
		WHERE `+plannable+` AND id > $1 ORDER BY id LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*DataSource, error) { return scanDataSource(row) })
}

// SchedulesResetNext clears next_run_at, so that the planner computes the
// next slot afresh.
func (t *Tx) SchedulesResetNext(ctx context.Context, ids []uuid.UUID) error {
	_, err := t.tx.Exec(ctx, `UPDATE datasources SET next_run_at = NULL WHERE id = ANY($1)`, ids)
	return err
}
