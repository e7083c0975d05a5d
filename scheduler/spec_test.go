package scheduler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/scheduler"
)

func TestIntervalSlotsAreAnchored(t *testing.T) {
	t.Parallel()
	spec, err := scheduler.ParseSpec("", "90m", time.Time{}, "")
	require.NoError(t, err)

	// Slot k is epoch + k·90m, whatever instant we start from: two leaders
	// asking at different moments agree on the slots.
	from := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	want := []time.Time{
		time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC),
	}
	require.Equal(t, want, spec.Upcoming(from, 2))
	require.Equal(t, want[1:], spec.Upcoming(from.Add(61*time.Minute), 1))
	require.Equal(t, want[1], spec.Next(want[0]), "Next is strictly after")
}

func TestIntervalCustomAnchorAndZone(t *testing.T) {
	t.Parallel()
	anchor := time.Date(2026, 1, 1, 0, 0, 7, 0, time.UTC)
	spec, err := scheduler.ParseSpec("", "2s", anchor, "Europe/Paris")
	require.NoError(t, err)
	require.Equal(t, anchor, spec.Next(anchor.Add(-time.Hour)).UTC(), "before the anchor, the first slot is the anchor")
	next := spec.Next(time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC)) // Paris springs forward at 01:00 UTC
	require.Equal(t, time.Date(2026, 3, 29, 1, 0, 1, 0, time.UTC), next.UTC())
	require.Equal(t, "Europe/Paris", next.Location().String())
}

func TestCronSpecUsesZone(t *testing.T) {
	t.Parallel()
	spec, err := scheduler.ParseSpec("0 0 9 * * ?", "", time.Time{}, "America/New_York")
	require.NoError(t, err)
	next := spec.Next(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	require.Equal(t, time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC), next.UTC())
}

func TestParseSpecErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cron, interval, zone string
		anchor               time.Time
		field                string
	}{
		{"", "", "", time.Time{}, "cron"},
		{"@daily", "1h", "", time.Time{}, "cron"},
		{"0 0 25 * * ?", "", "", time.Time{}, "cron"},
		{"", "0s", "", time.Time{}, "interval"},
		{"", "999ms", "", time.Time{}, "interval"},
		{"", "1 hour", "", time.Time{}, "interval"},
		{"", "1h", "", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), "anchor"},
		{"@daily", "", "Local", time.Time{}, "timezone"},
		{"@daily", "", "Not/AZone", time.Time{}, "timezone"},
		{"@daily", "", "../../../etc/passwd", time.Time{}, "timezone"},
	}
	for _, tc := range cases {
		_, err := scheduler.ParseSpec(tc.cron, tc.interval, tc.anchor, tc.zone)
		var serr *scheduler.SpecError
		require.ErrorAs(t, err, &serr, "%+v", tc)
		require.Equal(t, tc.field, serr.Field, "%+v: %v", tc, err)
	}
}

func TestUpcomingIsCapped(t *testing.T) {
	t.Parallel()
	spec, err := scheduler.ParseSpec("", "1s", time.Time{}, "")
	require.NoError(t, err)
	require.Len(t, spec.Upcoming(time.Now(), 1_000_000), scheduler.MaxUpcoming)
	require.Empty(t, spec.Upcoming(time.Now(), -1))

	ended, err := scheduler.ParseSpec("0 0 0 1 1 ? 2027", "", time.Time{}, "")
	require.NoError(t, err)
	require.Len(t, ended.Upcoming(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), 5), 1, "a schedule that ends yields what is left")
}
