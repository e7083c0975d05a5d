//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
)

// misfireThreshold is how late a slot may be planned before it is missed
// (docs/SCHEDULER.md); lateTolerance allows for runs.created_at being the
// planner transaction's start, a little before it decides.
const (
	misfireThreshold = 5 * time.Second
	lateTolerance    = time.Second
)

// slotCounts are the I1 and I3 figures over a window.
type slotCounts struct {
	Slots          int // slots in the window, all datasources
	Rows           int // runs rows in the window
	Duplicates     int // (datasource, slot) pairs with more than one row (I1)
	Unaccounted    int // slots no row accounts for (I3)
	DoubleCounted  int // slots more than one row accounts for (I3)
	OffGrid        int // rows whose slot is not a slot of the schedule
	BadSlotCount   int // MISSED rows whose slot_count is not the slots they cover
	MissedSlots    int // slots recorded MISSED
	CatchUps       int // runs planned more than the misfire threshold late
	PolicyBreaches int // slots handled against the datasource's misfire policy
	// Per misfire policy: slots recorded MISSED, MISSED rows (ranges) and
	// runs planned late.
	MissedByPolicy, RangesByPolicy, LateByPolicy map[string]int
	Notes                                        []string
}

type runRow struct {
	id           int64
	scheduledFor time.Time
	coversUntil  *time.Time
	slotCount    int
	status       string
	trigger      string
	epoch        *int64
	createdAt    time.Time  // the planner transaction's start
	committedAt  *time.Time // its commit, for MISSED rows
}

// checkSlots accounts for every slot of every workload datasource between
// from and to (I1, I3).
//
// Slots are anchor + k·interval (the default anchor, 1970-01-01 UTC; the
// workload never changes a schedule). For each datasource the window runs
// from the later of from and its first planned slot, to the earlier of to
// and its next_run_at (the next slot the leader will plan: every slot before
// it must already have its row), read in one snapshot with the rows. Each
// row accounts for its slot, and a MISSED row for every slot from
// scheduled_for to covers_until; each slot in the window must be accounted
// for exactly once. Per misfire policy (the catch-up rule of SCHEDULER.md):
//   - a MISSED slot must have been late (planned at least the threshold after
//     it), whatever the policy;
//   - SKIP: no run is planned late (late slots are all MISSED);
//   - FIRE_ONCE: the slot right after a MISSED range is a run (the catch-up,
//     or the on-time slot that made it unnecessary), never MISSED again;
//   - FIRE_ALL: nothing is MISSED while an outage is under 100 slots (every
//     outage here is), every late slot runs.
func checkSlots(ctx context.Context, c *cluster, dss []*dataSource, from, to time.Time) (slotCounts, error) {
	n := slotCounts{MissedByPolicy: map[string]int{}, RangesByPolicy: map[string]int{}, LateByPolicy: map[string]int{}}
	tx, err := c.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return n, err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY datasource_id, scheduled_for HAVING count(*) > 1) d`).Scan(&n.Duplicates); err != nil {
		return n, err
	}
	for _, ds := range dss {
		var next *time.Time
		if err := tx.QueryRow(ctx, `SELECT next_run_at FROM datasources WHERE id = $1`, ds.id).Scan(&next); err != nil {
			return n, fmt.Errorf("datasource %s: %w", ds.name, err)
		}
		// A MISSED row is never updated: its xmin is the planner
		// transaction's, whose commit time (track_commit_timestamp) comes
		// after the planner decided.
		rows, err := tx.Query(ctx, `SELECT id, scheduled_for, covers_until, slot_count, status, trigger, epoch, created_at,
				CASE WHEN status = 'MISSED' THEN pg_xact_commit_timestamp(xmin) END
			FROM runs WHERE datasource_id = $1 ORDER BY scheduled_for`, ds.id)
		if err != nil {
			return n, err
		}
		var rs []runRow
		for rows.Next() {
			var r runRow
			if err := rows.Scan(&r.id, &r.scheduledFor, &r.coversUntil, &r.slotCount, &r.status, &r.trigger, &r.epoch, &r.createdAt, &r.committedAt); err != nil {
				return n, err
			}
			rs = append(rs, r)
		}
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(rs) == 0 {
			continue
		}
		lo, hi := from, to
		if rs[0].scheduledFor.After(lo) {
			lo = rs[0].scheduledFor
		}
		if next != nil && next.Before(hi) {
			hi = *next
		}
		iv := ds.interval
		// The first slot at or after lo.
		first := time.Unix(0, 0).UTC().Add(((lo.Sub(time.Unix(0, 0)) + iv - 1) / iv) * iv)
		accounted := map[int64]int{}
		missedAt := map[int64]bool{}
		for _, r := range rs {
			if r.scheduledFor.Sub(time.Unix(0, 0))%iv != 0 {
				n.OffGrid++
				n.Notes = append(n.Notes, fmt.Sprintf("%s: run %d slot %s is not a slot of its %v schedule", ds.name, r.id, r.scheduledFor.Format(time.RFC3339Nano), iv))
				continue
			}
			end := r.scheduledFor
			if r.coversUntil != nil {
				end = *r.coversUntil
			}
			covered := 0
			for s := r.scheduledFor; !s.After(end); s = s.Add(iv) {
				covered++
				if !s.Before(first) && s.Before(hi) {
					accounted[s.UnixNano()]++
					if r.status == "MISSED" {
						missedAt[s.UnixNano()] = true
						n.MissedSlots++
						n.MissedByPolicy[ds.misfire]++
					}
				}
			}
			if covered != r.slotCount {
				n.BadSlotCount++
				n.Notes = append(n.Notes, fmt.Sprintf("%s: MISSED run %d covers %d slots but says %d", ds.name, r.id, covered, r.slotCount))
			}
			if r.scheduledFor.Before(first) || !r.scheduledFor.Before(hi) {
				continue
			}
			n.Rows++
			late := r.createdAt.Sub(end) > misfireThreshold+lateTolerance
			switch {
			case r.status == "MISSED":
				n.RangesByPolicy[ds.misfire]++
				// The planner decided between its transaction's start and
				// commit: a breach only if it committed too early.
				decided := r.createdAt
				if r.committedAt != nil {
					decided = *r.committedAt
				}
				if decided.Sub(end) < misfireThreshold-lateTolerance {
					n.PolicyBreaches++
					n.Notes = append(n.Notes, fmt.Sprintf("%s: MISSED run %d (to %s) was committed only %v after its last slot", ds.name, r.id, end.Format(time.RFC3339Nano), decided.Sub(end)))
				}
				if ds.misfire == "FIRE_ALL" {
					n.PolicyBreaches++
					n.Notes = append(n.Notes, fmt.Sprintf("%s (FIRE_ALL): run %d recorded %d slots MISSED", ds.name, r.id, r.slotCount))
				}
			case r.trigger == "SCHEDULE" && late:
				n.CatchUps++
				n.LateByPolicy[ds.misfire]++
				if ds.misfire == "SKIP" {
					n.PolicyBreaches++
					n.Notes = append(n.Notes, fmt.Sprintf("%s (SKIP): run %d for %s was planned %v late", ds.name, r.id, r.scheduledFor.Format(time.RFC3339Nano), r.createdAt.Sub(r.scheduledFor)))
				}
			}
		}
		for s := first; s.Before(hi); s = s.Add(iv) {
			n.Slots++
			switch k := accounted[s.UnixNano()]; {
			case k == 0:
				n.Unaccounted++
				if len(n.Notes) < 50 {
					n.Notes = append(n.Notes, fmt.Sprintf("%s: slot %s has no row", ds.name, s.Format(time.RFC3339Nano)))
				}
			case k > 1:
				n.DoubleCounted++
				if len(n.Notes) < 50 {
					n.Notes = append(n.Notes, fmt.Sprintf("%s: slot %s has %d rows", ds.name, s.Format(time.RFC3339Nano), k))
				}
			}
			if ds.misfire == "FIRE_ONCE" && missedAt[s.UnixNano()] && missedAt[s.Add(iv).UnixNano()] && !sameMissedRow(rs, s, s.Add(iv)) {
				n.PolicyBreaches++
				n.Notes = append(n.Notes, fmt.Sprintf("%s (FIRE_ONCE): two MISSED rows meet at %s with no catch-up run between", ds.name, s.Format(time.RFC3339Nano)))
			}
		}
	}
	return n, nil
}

// sameMissedRow reports whether one MISSED row covers both slots.
func sameMissedRow(rs []runRow, a, b time.Time) bool {
	for _, r := range rs {
		if r.status == "MISSED" && r.coversUntil != nil && !r.scheduledFor.After(a) && !r.coversUntil.Before(b) {
			return true
		}
	}
	return false
}

// fenceCounts are the I2 figures.
type fenceCounts struct {
	Epochs            int // leaders seen
	PlannedRuns       int // SCHEDULE rows checked
	NoEpoch           int // SCHEDULE rows without an epoch
	UnknownEpoch      int // rows whose epoch never recorded itself
	BeforeItsEpoch    int // rows planned before their epoch was recorded
	AfterNewerEpoch   int // rows planned by an epoch after a newer one was recorded
	JobsPerRunOverOne int // runs with more than one River job (I1)
	JobsForNonRuns    int // River jobs for MISSED or SKIPPED rows
	Notes             []string
}

// checkFencing checks that every planned run was planned within its
// leader's term: after its epoch was recorded, and before any newer epoch
// was (created_at is the planner transaction's start, which holds the
// fencing row lock from its first statement; a newer leader's record waits
// for it, so a row of an older epoch started before the newer epoch's
// started_at). It also counts River jobs per run.
func checkFencing(ctx context.Context, c *cluster) (fenceCounts, error) {
	var n fenceCounts
	if err := c.db.QueryRow(ctx, `SELECT count(*) FROM leadership_history`).Scan(&n.Epochs); err != nil {
		return n, err
	}
	err := c.db.QueryRow(ctx, `
		WITH terms AS (
			SELECT epoch, started_at, lead(started_at) OVER (ORDER BY epoch) AS superseded_at FROM leadership_history)
		SELECT count(*),
			count(*) FILTER (WHERE r.epoch IS NULL),
			count(*) FILTER (WHERE r.epoch IS NOT NULL AND t.epoch IS NULL),
			count(*) FILTER (WHERE r.created_at < t.started_at),
			count(*) FILTER (WHERE r.created_at >= t.superseded_at)
		FROM runs r LEFT JOIN terms t ON t.epoch = r.epoch
		WHERE r.trigger = 'SCHEDULE'`).Scan(&n.PlannedRuns, &n.NoEpoch, &n.UnknownEpoch, &n.BeforeItsEpoch, &n.AfterNewerEpoch)
	if err != nil {
		return n, err
	}
	rows, err := c.db.Query(ctx, `
		WITH terms AS (
			SELECT epoch, started_at, lead(started_at) OVER (ORDER BY epoch) AS superseded_at FROM leadership_history)
		SELECT r.id, r.epoch, r.created_at, t.superseded_at
		FROM runs r JOIN terms t ON t.epoch = r.epoch
		WHERE r.trigger = 'SCHEDULE' AND r.created_at >= t.superseded_at LIMIT 20`)
	if err != nil {
		return n, err
	}
	for rows.Next() {
		var id, epoch int64
		var created, superseded time.Time
		if err := rows.Scan(&id, &epoch, &created, &superseded); err != nil {
			return n, err
		}
		n.Notes = append(n.Notes, fmt.Sprintf("run %d of epoch %d planned at %s, after a newer epoch began at %s", id, epoch, created.Format(time.RFC3339Nano), superseded.Format(time.RFC3339Nano)))
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	err = c.db.QueryRow(ctx, `
		WITH jobs AS (
			SELECT (args->>'run_id')::bigint AS run_id, count(*) AS n FROM river_job
			WHERE kind = 'ezplatform.run' GROUP BY 1)
		SELECT count(*) FILTER (WHERE j.n > 1),
			count(*) FILTER (WHERE r.status IN ('MISSED', 'SKIPPED'))
		FROM jobs j JOIN runs r ON r.id = j.run_id`).Scan(&n.JobsPerRunOverOne, &n.JobsForNonRuns)
	return n, err
}

// streamCounts are the I5 figures of one subscriber.
type streamCounts struct {
	Subscriber string
	Events     int // live events received
	Reconnects int
	Missing    int // stream events between its first and last that it never got
	Repeated   int
	OutOfOrder int
	// MissingSample names a few missed events (cursor, kind, datasource,
	// when), to tell a harness fault from a product one.
	MissingSample []string
}

// checkStreams compares what each subscriber received with the schedule
// stream in PostgreSQL, in stream order (tx_id, id): between the first and
// the last event a subscriber got, it must have got every event of the
// stream, once each, in order (I5).
func checkStreams(ctx context.Context, c *cluster, subs []*subscriber) ([]streamCounts, error) {
	rows, err := c.db.Query(ctx, `SELECT tx_id::text::bigint, id, coalesce(datasource_id::text, '') FROM events
		WHERE topic = 'SCHEDULES' ORDER BY tx_id, id`)
	if err != nil {
		return nil, err
	}
	var all []cursor
	dataSourceOf := map[cursor]string{}
	for rows.Next() {
		var cur cursor
		var ds string
		if err := rows.Scan(&cur.tx, &cur.id, &ds); err != nil {
			return nil, err
		}
		all = append(all, cur)
		dataSourceOf[cur] = ds
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []streamCounts
	for _, s := range subs {
		// A subscriber that watches some datasources gets their events.
		stream := all
		if len(s.dataSourceIDs) > 0 {
			stream = slices.DeleteFunc(slices.Clone(all), func(c cursor) bool { return !slices.Contains(s.dataSourceIDs, dataSourceOf[c]) })
		}
		got, reconnects, _ := s.record()
		n := streamCounts{Subscriber: s.name, Events: len(got), Reconnects: reconnects}
		seen := map[cursor]bool{}
		for i, g := range got {
			if seen[g] {
				n.Repeated++
			}
			seen[g] = true
			if i > 0 && !got[i-1].less(g) {
				n.OutOfOrder++
			}
		}
		if len(got) > 0 {
			firstC, lastC := got[0], got[len(got)-1]
			i := sort.Search(len(stream), func(i int) bool { return !stream[i].less(firstC) })
			if s.fromStart {
				i = 0
			}
			for ; i < len(stream) && !lastC.less(stream[i]); i++ {
				if !seen[stream[i]] {
					n.Missing++
					if len(n.MissingSample) < 5 {
						var kind string
						var at time.Time
						_ = c.db.QueryRow(ctx, `SELECT kind, occurred_at FROM events WHERE id = $1`, int64(stream[i].id)).Scan(&kind, &at)
						n.MissingSample = append(n.MissingSample, fmt.Sprintf("%s missed %s (%s, %s)", s.name, stream[i], kind, at.UTC().Format("15:04:05.000")))
					}
				}
			}
		}
		out = append(out, n)
	}
	return out, nil
}

// mutationCounts are the I4 figures: every acknowledged mutation is in the
// datasource's history, and no two acknowledged updates got one version.
type mutationCounts struct {
	Acked, Lost, SameVersion, Conflicts, Unknown int
}

func checkMutations(ctx context.Context, c *cluster, w *workload) (mutationCounts, error) {
	n := mutationCounts{Conflicts: int(w.conflicts.Load()), Unknown: int(w.unknown.Load())}
	acked := w.ackedMutations()
	n.Acked = len(acked)
	type key struct {
		id string
		v  int
	}
	byVersion := map[key]int{}
	for _, m := range acked {
		byVersion[key{m.dataSourceID, m.version}]++
		var found bool
		err := c.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events WHERE datasource_id = $1 AND kind = 'DATASOURCE_UPDATED'
			AND (payload->>'version')::int = $2 AND payload->>'description' = $3)`, m.dataSourceID, m.version, m.description).Scan(&found)
		if err != nil {
			return n, err
		}
		if !found {
			n.Lost++
		}
	}
	for _, k := range byVersion {
		if k > 1 {
			n.SameVersion += k - 1
		}
	}
	return n, nil
}
