package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// RunInsert is a row the planner (or triggerRun) inserts.
type RunInsert struct {
	DataSourceID uuid.UUID
	ScheduledFor time.Time
	// CoversUntil and SlotCount describe a MISSED range; zero for one slot.
	CoversUntil time.Time
	SlotCount   int
	Trigger     string
	Status      string
	MaxAttempts int
	// Epoch is the planning leader's; zero for manual runs.
	Epoch int64
	// NextRunAt, if set, is the datasource's next slot after this plan; the
	// run's event carries it, so that the plan needs no event of its own.
	NextRunAt time.Time
}

// RunsInsert inserts runs in one statement and records an event for each.
// A slot that already has a row is left alone (I1): the returned runs are
// the ones inserted, in no particular order.
func (t *Tx) RunsInsert(ctx context.Context, inserts []RunInsert) ([]*Run, error) {
	if len(inserts) == 0 {
		return nil, nil
	}
	n := len(inserts)
	var (
		dsIDs    = make([]uuid.UUID, n)
		slots    = make([]time.Time, n)
		covers   = make([]*time.Time, n)
		counts   = make([]int32, n)
		triggers = make([]string, n)
		statuses = make([]string, n)
		maxes    = make([]int32, n)
		epochs   = make([]*int64, n)
	)
	for i, in := range inserts {
		dsIDs[i], slots[i], triggers[i], statuses[i] = in.DataSourceID, in.ScheduledFor, in.Trigger, in.Status
		counts[i], maxes[i] = int32(max(in.SlotCount, 1)), int32(max(in.MaxAttempts, 1))
		if !in.CoversUntil.IsZero() {
			covers[i] = &in.CoversUntil
		}
		if in.Epoch != 0 {
			epochs[i] = &in.Epoch
		}
	}
	rows, err := t.tx.Query(ctx, `
		INSERT INTO runs (datasource_id, scheduled_for, covers_until, slot_count, trigger, status, max_attempts, epoch,
			finished_at)
		SELECT d, s, c, n, tr, st, m, e, CASE WHEN st IN ('SKIPPED', 'MISSED') THEN now() END
		FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::int[], $5::text[], $6::text[], $7::int[], $8::bigint[])
			AS u(d, s, c, n, tr, st, m, e)
		ON CONFLICT (datasource_id, scheduled_for) DO NOTHING
		RETURNING `+runColumns,
		dsIDs, slots, covers, counts, triggers, statuses, maxes, epochs)
	if err != nil {
		return nil, err
	}
	runs, err := collectRuns(rows)
	if err != nil {
		return nil, err
	}
	type slotKey struct {
		ds   uuid.UUID
		slot int64
	}
	next := map[slotKey]time.Time{}
	for _, in := range inserts {
		if !in.NextRunAt.IsZero() {
			next[slotKey{in.DataSourceID, in.ScheduledFor.UnixMicro()}] = in.NextRunAt
		}
	}
	for _, r := range runs {
		e := newRunEvent(r)
		if n, ok := next[slotKey{r.DataSourceID, r.ScheduledFor.UnixMicro()}]; ok {
			if n.Before(NeverTime) {
				n = n.UTC()
				e.NextRunAt = &n
			} else {
				e.LastSlot = true
			}
		}
		if err := t.recordEvent(runEventKind[r.Status], &r.DataSourceID, &r.ID, e); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// RunGetBySlot returns the run of a datasource's slot, or ErrNotFound.
func (t *Tx) RunGetBySlot(ctx context.Context, dataSourceID uuid.UUID, slot time.Time) (*Run, error) {
	r, err := scanRun(t.tx.QueryRow(ctx, `SELECT `+runColumns+` FROM runs WHERE datasource_id = $1 AND scheduled_for = $2`,
		dataSourceID, slot))
	return r, translate(err)
}
