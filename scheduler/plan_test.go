package scheduler

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func dueOf(next *time.Time, misfire, overlap string, unfinished, waiting int) *store.DueSchedule {
	return &store.DueSchedule{
		DataSource: &store.DataSource{
			ID: uuid.MustParse("00000000-0000-4000-8000-000000000001"), MaxAttempts: 3, NextRunAt: next,
			Schedule: store.Schedule{Interval: time.Second, Timezone: "UTC", MisfirePolicy: misfire, OverlapPolicy: overlap},
		},
		UnfinishedRuns: unfinished, WaitingRuns: waiting,
	}
}

func everySecond(t *testing.T) *Spec {
	spec, err := ParseSpec("", "1s", time.Time{}, "")
	require.NoError(t, err)
	return spec
}

type row struct {
	slot   time.Time
	status string
	count  int
	until  time.Time
}

func rows(runs []store.RunInsert) []row {
	var out []row
	for _, r := range runs {
		out = append(out, row{r.ScheduledFor.UTC(), r.Status, max(r.SlotCount, 1), r.CoversUntil.UTC()})
	}
	return out
}

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func TestPlanSlotsNewScheduleStartsAfterNow(t *testing.T) {
	t.Parallel()
	plan := planSlots(dueOf(nil, MisfireFireOnce, OverlapSkip, 0, 0), everySecond(t), at(0).Add(300*time.Millisecond), 7, DefaultPlanOptions)
	require.Empty(t, plan.runs)
	require.Equal(t, at(1), plan.next.UTC())
}

func TestPlanSlotsOnTime(t *testing.T) {
	t.Parallel()
	next := at(10)
	plan := planSlots(dueOf(&next, MisfireFireOnce, OverlapSkip, 0, 0), everySecond(t), at(10).Add(5*time.Millisecond), 7, DefaultPlanOptions)
	require.Equal(t, []row{{at(10), store.RunScheduled, 1, time.Time{}}}, rows(plan.runs))
	require.Equal(t, at(11), plan.next.UTC())
	require.EqualValues(t, 7, plan.runs[0].Epoch)
}

// An outage of 100 s on a 1-second schedule, planned at second 100 with a
// 5-second misfire threshold: slots 0-94 are missed, 95-100 are on time.
func TestPlanSlotsMisfirePolicies(t *testing.T) {
	t.Parallel()
	next := at(0)
	now := at(100)
	zero := time.Time{}
	cases := map[string][]row{
		// The on-time slots run; the missed ones are one MISSED range.
		MisfireFireOnce: {{at(0), store.RunMissed, 95, at(94)},
			{at(95), store.RunScheduled, 1, zero}, {at(96), store.RunScheduled, 1, zero}, {at(97), store.RunScheduled, 1, zero},
			{at(98), store.RunScheduled, 1, zero}, {at(99), store.RunScheduled, 1, zero}, {at(100), store.RunScheduled, 1, zero}},
		MisfireSkip: {{at(0), store.RunMissed, 95, at(94)},
			{at(95), store.RunScheduled, 1, zero}, {at(96), store.RunScheduled, 1, zero}, {at(97), store.RunScheduled, 1, zero},
			{at(98), store.RunScheduled, 1, zero}, {at(99), store.RunScheduled, 1, zero}, {at(100), store.RunScheduled, 1, zero}},
	}
	for policy, want := range cases {
		plan := planSlots(dueOf(&next, policy, OverlapAllow, 0, 0), everySecond(t), now, 1, DefaultPlanOptions)
		require.Equal(t, want, rows(plan.runs), policy)
		require.Equal(t, at(101), plan.next.UTC())
	}

	t.Run("FireAllCapped", func(t *testing.T) {
		opts := PlanOptions{MisfireThreshold: 5 * time.Second, FireAllCap: 10}
		plan := planSlots(dueOf(&next, MisfireFireAll, OverlapAllow, 0, 0), everySecond(t), now, 1, opts)
		got := rows(plan.runs)
		require.Equal(t, row{at(0), store.RunMissed, 85, at(84)}, got[0])
		require.Len(t, got, 1+10+6)
		for i, r := range got[1:] {
			require.Equal(t, row{at(85 + i), store.RunScheduled, 1, zero}, r)
		}
	})
}

// Everything missed (planned long after the outage, nothing on time).
func TestPlanSlotsAllMissed(t *testing.T) {
	t.Parallel()
	spec, err := ParseSpec("", "1m", time.Time{}, "")
	require.NoError(t, err)
	next := at(0)
	now := at(0).Add(10*time.Minute + 30*time.Second) // slots 0..10 minutes, all late
	zero := time.Time{}
	m := func(i int) time.Time { return at(0).Add(time.Duration(i) * time.Minute) }

	plan := planSlots(dueOf(&next, MisfireFireOnce, OverlapSkip, 0, 0), spec, now, 1, DefaultPlanOptions)
	require.Equal(t, []row{{m(0), store.RunMissed, 10, m(9)}, {m(10), store.RunScheduled, 1, zero}}, rows(plan.runs), "FIRE_ONCE runs the latest")

	plan = planSlots(dueOf(&next, MisfireSkip, OverlapSkip, 0, 0), spec, now, 1, DefaultPlanOptions)
	require.Equal(t, []row{{m(0), store.RunMissed, 11, m(10)}}, rows(plan.runs), "SKIP runs none")
	require.Equal(t, m(11), plan.next.UTC())

	one := m(10)
	plan = planSlots(dueOf(&one, MisfireSkip, OverlapSkip, 0, 0), spec, now, 1, DefaultPlanOptions)
	require.Equal(t, []row{{m(10), store.RunMissed, 1, zero}}, rows(plan.runs), "a single missed slot has no range")
}

// A week-long outage of a 1-second schedule is one MISSED row, computed
// without walking 604,800 slots.
func TestPlanSlotsWeekLongOutage(t *testing.T) {
	t.Parallel()
	next := at(0)
	now := at(7 * 24 * 3600)
	plan := planSlots(dueOf(&next, MisfireSkip, OverlapSkip, 0, 0), everySecond(t), now, 1, DefaultPlanOptions)
	got := rows(plan.runs)
	require.Equal(t, row{at(0), store.RunMissed, 7*24*3600 - 5, at(7*24*3600 - 6)}, got[0])
	total := 0
	for _, r := range got {
		total += r.count
	}
	require.Equal(t, 7*24*3600+1, total, "every slot accounted for")
}

func TestPlanSlotsOverlapPolicies(t *testing.T) {
	t.Parallel()
	next := at(10)
	now := at(10)
	cases := []struct {
		policy              string
		unfinished, waiting int
		want                string
	}{
		{OverlapSkip, 0, 0, store.RunScheduled},
		{OverlapSkip, 1, 0, store.RunSkipped},
		{OverlapAllow, 3, 2, store.RunScheduled},
		{OverlapBufferOne, 0, 0, store.RunScheduled},
		{OverlapBufferOne, 1, 0, store.RunScheduled},
		{OverlapBufferOne, 2, 1, store.RunSkipped},
	}
	for _, tc := range cases {
		plan := planSlots(dueOf(&next, MisfireFireOnce, tc.policy, tc.unfinished, tc.waiting), everySecond(t), now, 1, DefaultPlanOptions)
		require.Len(t, plan.runs, 1)
		require.Equal(t, tc.want, plan.runs[0].Status, "%+v", tc)
	}
}

func TestPlanSlotsCronInZoneAcrossDST(t *testing.T) {
	t.Parallel()
	// Daily at 02:30 New York: on 2026-03-08 02:30 does not exist and fires
	// at 03:00 EDT, once.
	spec, err := ParseSpec("0 30 2 * * ?", "", time.Time{}, "America/New_York")
	require.NoError(t, err)
	ny, _ := time.LoadLocation("America/New_York")
	next := time.Date(2026, 3, 7, 2, 30, 0, 0, ny)
	now := time.Date(2026, 3, 8, 3, 0, 1, 0, ny)
	ds := dueOf(&next, MisfireFireAll, OverlapAllow, 0, 0)
	plan := planSlots(ds, spec, now, 1, DefaultPlanOptions)
	got := rows(plan.runs)
	require.Len(t, got, 2)
	require.Equal(t, time.Date(2026, 3, 7, 7, 30, 0, 0, time.UTC), got[0].slot)
	require.Equal(t, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), got[1].slot, "03:00 EDT")
	require.Equal(t, time.Date(2026, 3, 9, 6, 30, 0, 0, time.UTC), plan.next.UTC(), "02:30 EDT the next day")
}

func TestPlanSlotsExhaustedSchedule(t *testing.T) {
	t.Parallel()
	spec, err := ParseSpec("0 0 12 1 1 ? 2026", "", time.Time{}, "")
	require.NoError(t, err)
	plan := planSlots(dueOf(nil, MisfireFireOnce, OverlapSkip, 0, 0), spec, t0, 1, DefaultPlanOptions)
	require.Equal(t, store.NeverTime, plan.next)
}
