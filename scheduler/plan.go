package scheduler

import (
	"time"

	"github.com/ezplatform/ezplatform/store"
)

// PlanOptions tune how due slots become runs.
type PlanOptions struct {
	// MisfireThreshold: a slot more than this late when planned is missed;
	// the misfire policy decides its fate. Later slots are planned as usual.
	MisfireThreshold time.Duration
	// FireAllCap bounds how many missed slots FIRE_ALL runs; older ones are
	// recorded MISSED.
	FireAllCap int
}

// DefaultPlanOptions suit second-granularity schedules on a loaded machine.
var DefaultPlanOptions = PlanOptions{MisfireThreshold: 5 * time.Second, FireAllCap: 100}

// slotPlan is what the planner does with one datasource's due slots.
type slotPlan struct {
	runs []store.RunInsert
	// next is the slot after now (or store.NeverTime).
	next time.Time
}

// planSlots decides the runs for a datasource whose next slot is due, per
// its misfire and overlap policies. Every slot from the stored next_run_at
// through now ends up in exactly one row (I3): run, SKIPPED, or inside a
// MISSED range. It is a pure function, so the policies are table-tested.
func planSlots(due *store.DueSchedule, spec *Spec, now time.Time, epoch int64, opts PlanOptions) slotPlan {
	ds := due.DataSource
	if ds.NextRunAt == nil {
		// New, changed or resumed schedule: it starts at the next slot after
		// now. Slots before that were not scheduled, so none is missed.
		return slotPlan{next: orNever(spec.Next(now))}
	}
	keep := opts.FireAllCap + int(opts.MisfireThreshold/time.Second) + 2
	slots := spec.due(*ds.NextRunAt, now, keep)
	plan := slotPlan{next: orNever(slots.next)}
	if slots.count == 0 {
		return plan
	}

	// Split the tail into missed and on-time slots. Slots before the tail
	// are all missed: the tail is longer than the threshold can hold.
	cut := now.Add(-opts.MisfireThreshold)
	onTime := 0
	for i := len(slots.tail) - 1; i >= 0 && !slots.tail[i].Before(cut); i-- {
		onTime++
	}
	missedCount := slots.count - onTime
	missedTail := slots.tail[:len(slots.tail)-onTime]
	toRun := append([]time.Time(nil), slots.tail[len(slots.tail)-onTime:]...)

	// How many of the latest missed slots still run.
	catchUp := 0
	if missedCount > 0 {
		switch ds.Schedule.MisfirePolicy {
		case MisfireFireAll:
			catchUp = min(missedCount, opts.FireAllCap, len(missedTail))
		case MisfireSkip:
			catchUp = 0
		default: // FIRE_ONCE: the latest missed slot, unless an on-time slot runs anyway.
			if onTime == 0 {
				catchUp = 1
			}
		}
	}
	if catchUp > 0 {
		toRun = append(append([]time.Time(nil), missedTail[len(missedTail)-catchUp:]...), toRun...)
	}
	if rangeCount := missedCount - catchUp; rangeCount > 0 {
		var last time.Time
		if idx := len(missedTail) - catchUp - 1; idx >= 0 {
			last = missedTail[idx]
		}
		missed := store.RunInsert{
			DataSourceID: ds.ID, ScheduledFor: slots.first, SlotCount: rangeCount,
			Trigger: store.TriggerSchedule, Status: store.RunMissed, MaxAttempts: ds.MaxAttempts, Epoch: epoch,
		}
		if rangeCount > 1 {
			missed.CoversUntil = last
		}
		plan.runs = append(plan.runs, missed)
	}

	// Overlap: compare with runs from earlier plans. Slots of this plan
	// are a catch-up batch and all run.
	for i, slot := range toRun {
		status := store.RunScheduled
		switch ds.Schedule.OverlapPolicy {
		case OverlapAllow:
		case OverlapBufferOne:
			// One run may wait behind the unfinished one; more are skipped.
			if due.UnfinishedRuns > 0 && (due.WaitingRuns > 0 || i > 0) {
				status = store.RunSkipped
			}
		default: // SKIP
			if due.UnfinishedRuns > 0 {
				status = store.RunSkipped
			}
		}
		plan.runs = append(plan.runs, store.RunInsert{
			DataSourceID: ds.ID, ScheduledFor: slot, Trigger: store.TriggerSchedule, Status: status,
			MaxAttempts: ds.MaxAttempts, Epoch: epoch,
		})
	}
	return plan
}

func orNever(t time.Time) time.Time {
	if t.IsZero() {
		return store.NeverTime
	}
	return t
}
