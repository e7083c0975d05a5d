//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"time"
)

// checkTheChecks breaks the record on purpose, once the scenarios are over,
// and sees each check count the breach: a check that never fails proves
// nothing. It edits the throwaway database and copies of what the
// subscribers and mutators recorded. It returns one line per check.
func checkTheChecks(ctx context.Context, c *cluster, w *workload, subs []*subscriber, from time.Time) ([]string, error) {
	var out []string
	report := func(what string, before, after int) {
		verdict := "caught"
		if after <= before {
			verdict = "NOT caught"
		}
		out = append(out, fmt.Sprintf("%s: %d → %d, %s", what, before, after, verdict))
	}

	// I3: a run moved half an interval off its slot leaves its slot
	// unaccounted and itself off the grid.
	before, err := checkSlots(ctx, c, w.dataSources, from, time.Now())
	if err != nil {
		return nil, err
	}
	// The earliest single-slot row of the window, of any datasource.
	var runID int64
	var dsID string
	var ids []string
	for _, d := range w.dataSources {
		ids = append(ids, d.id)
	}
	if err := c.db.QueryRow(ctx, `SELECT id, datasource_id::text FROM runs
		WHERE trigger = 'SCHEDULE' AND status <> 'MISSED' AND scheduled_for > $1 AND datasource_id = ANY($2::uuid[])
		ORDER BY scheduled_for LIMIT 1`, from, ids).Scan(&runID, &dsID); err != nil {
		return nil, fmt.Errorf("find a run to move: %w", err)
	}
	var ds *dataSource
	for _, d := range w.dataSources {
		if d.id == dsID {
			ds = d
		}
	}
	if ds == nil {
		return nil, fmt.Errorf("run %d belongs to no workload datasource", runID)
	}
	tag, err := c.db.Exec(ctx, `UPDATE runs SET scheduled_for = scheduled_for + $2::interval WHERE id = $1`, runID, (ds.interval / 2).String())
	if err != nil || tag.RowsAffected() != 1 {
		return nil, fmt.Errorf("move run %d: %v (%d rows)", runID, err, tag.RowsAffected())
	}
	after, err := checkSlots(ctx, c, w.dataSources, from, time.Now())
	if err != nil {
		return nil, err
	}
	report("I3, a run moved off its slot: unaccounted slots", before.Unaccounted, after.Unaccounted)
	report("I3, the same: rows off the grid", before.OffGrid, after.OffGrid)

	// I2: a run of the first epoch dated after the second began (when the
	// scenarios run made a second).
	var epochs int
	if err := c.db.QueryRow(ctx, `SELECT count(*) FROM leadership_history`).Scan(&epochs); err != nil {
		return nil, err
	}
	if epochs < 2 {
		out = append(out, "I2, a run of the first epoch planned after a newer epoch began: not tried, the scenarios run made one epoch only")
	} else {
		fb, err := checkFencing(ctx, c)
		if err != nil {
			return nil, err
		}
		tag, err = c.db.Exec(ctx, `UPDATE runs SET created_at = now()
			WHERE id = (SELECT id FROM runs WHERE trigger = 'SCHEDULE' AND epoch = (SELECT min(epoch) FROM leadership_history) ORDER BY id LIMIT 1)`)
		if err != nil || tag.RowsAffected() != 1 {
			return nil, fmt.Errorf("date a run late: %v (%d rows)", err, tag.RowsAffected())
		}
		fa, err := checkFencing(ctx, c)
		if err != nil {
			return nil, err
		}
		report("I2, a run of the first epoch planned after a newer epoch began", fb.AfterNewerEpoch, fa.AfterNewerEpoch)
	}

	// I5: a subscriber's record with an event dropped, and one repeated.
	got, _, _ := subs[0].record()
	if len(got) < 3 {
		return nil, fmt.Errorf("subscriber %s got only %d events", subs[0].name, len(got))
	}
	dropped := &subscriber{name: "dropped", got: append(append([]cursor(nil), got[:len(got)/2]...), got[len(got)/2+1:]...)}
	repeated := &subscriber{name: "repeated", got: append(append([]cursor(nil), got[:len(got)/2+1]...), got[len(got)/2:]...)}
	sc, err := checkStreams(ctx, c, []*subscriber{subs[0], dropped, repeated})
	if err != nil {
		return nil, err
	}
	report("I5, one event dropped from a subscriber's record: missed", sc[0].Missing, sc[1].Missing)
	report("I5, one event received twice: repeated", sc[0].Repeated, sc[2].Repeated)

	// I4: an acknowledgement for a change that was never made.
	mb, err := checkMutations(ctx, c, w)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.acked = append(w.acked, mutation{ds.id, 1 << 20, "never sent"})
	w.mu.Unlock()
	ma, err := checkMutations(ctx, c, w)
	if err != nil {
		return nil, err
	}
	report("I4, an acknowledged mutation missing from the history: lost", mb.Lost, ma.Lost)
	return out, nil
}
