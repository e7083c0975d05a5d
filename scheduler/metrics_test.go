package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The planner lag is how long the earliest unplanned slot has been due,
// and nothing when it is not due yet or nothing is left to plan.
func TestPlannerLag(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var n nextSlot
	require.Zero(t, n.lag(now), "not leading")
	due := now.Add(-3 * time.Second)
	n.set(&due)
	require.Equal(t, 3*time.Second, n.lag(now))
	ahead := now.Add(time.Second)
	n.set(&ahead)
	require.Zero(t, n.lag(now))
	n.set(nil)
	require.Zero(t, n.lag(now))
}

// Running attempts are counted while they run, and the oldest one's age
// is reported.
func TestRunningAttempts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	a := newRunningAttempts()
	require.Zero(t, a.oldest(now))
	endOld := a.begin(1, now.Add(-time.Minute))
	endNew := a.begin(2, now.Add(-time.Second))
	require.Equal(t, 2, a.count())
	require.Equal(t, time.Minute, a.oldest(now))
	endOld()
	require.Equal(t, 1, a.count())
	require.Equal(t, time.Second, a.oldest(now))
	endNew()
	require.Zero(t, a.count())
	require.Zero(t, a.oldest(now))
}
