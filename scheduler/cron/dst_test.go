package cron

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func loadLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// utcFires returns successive fire times as UTC instants with the local
// reading alongside, so that both copies of a repeated hour are told apart.
func utcFires(t *testing.T, expr string, from time.Time, n int) []string {
	t.Helper()
	e := mustParse(t, expr)
	var got []string
	for range n {
		from = e.Next(from)
		require.False(t, from.IsZero())
		got = append(got, from.UTC().Format("01-02 15:04:05Z")+" = "+from.Format("15:04:05 MST"))
	}
	return got
}

// In America/New_York, 2026-03-08 02:00 EST jumps to 03:00 EDT and
// 2026-11-01 02:00 EDT falls back to 01:00 EST.
func TestDSTNewYork(t *testing.T) {
	ny := loadLocation(t, "America/New_York")
	at := func(s string) time.Time { return mustTime(t, ny, s) }
	cases := []struct {
		name string
		expr string
		from time.Time
		want []string
	}{
		// Wall-clock times in the gap fire once, at 03:00 EDT.
		{"daily 02:30 in the gap", "0 30 2 * * ?", at("2026-03-07 12:00:00"), []string{
			"03-08 07:00:00Z = 03:00:00 EDT", "03-09 06:30:00Z = 02:30:00 EDT",
		}},
		{"daily 02:30 from just before the gap", "0 30 2 * * ?", at("2026-03-08 01:59:59"), []string{
			"03-08 07:00:00Z = 03:00:00 EDT",
		}},
		{"daily 02:30 from the gap's end", "0 30 2 * * ?", at("2026-03-08 03:00:00"), []string{
			"03-09 06:30:00Z = 02:30:00 EDT",
		}},
		{"Unix daily 02:30 in the gap", "30 2 * * *", at("2026-03-08 00:00:00"), []string{
			"03-08 07:00:00Z = 03:00:00 EDT", "03-09 06:30:00Z = 02:30:00 EDT",
		}},
		{"two gap times coalesce", "0 15,45 2 * * ?", at("2026-03-08 00:00:00"), []string{
			"03-08 07:00:00Z = 03:00:00 EDT", "03-09 06:15:00Z = 02:15:00 EDT",
		}},
		{"gap times coalesce with 03:00 itself", "0 0,30 2-3 * * ?", at("2026-03-08 00:00:00"), []string{
			"03-08 07:00:00Z = 03:00:00 EDT", "03-08 07:30:00Z = 03:30:00 EDT", "03-09 06:00:00Z = 02:00:00 EDT",
		}},
		// Wall-clock times in the repeated hour fire at the first copy only.
		{"daily 01:30 repeated", "0 30 1 * * ?", at("2026-10-31 12:00:00"), []string{
			"11-01 05:30:00Z = 01:30:00 EDT", "11-02 06:30:00Z = 01:30:00 EST",
		}},
		{"daily 01:30 from the second copy", "0 30 1 * * ?", time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC).In(ny), []string{
			"11-02 06:30:00Z = 01:30:00 EST",
		}},
		{"daily 01:30 from late in the first copy", "0 30 1 * * ?", time.Date(2026, 11, 1, 5, 45, 0, 0, time.UTC).In(ny), []string{
			"11-02 06:30:00Z = 01:30:00 EST",
		}},
		{"01:00 and 01:30 once each", "0 0,30 1 * * ?", at("2026-11-01 00:00:00"), []string{
			"11-01 05:00:00Z = 01:00:00 EDT", "11-01 05:30:00Z = 01:30:00 EDT", "11-02 06:00:00Z = 01:00:00 EST",
		}},
		// Repeating expressions skip the gap and run through both copies.
		{"every 30 minutes across the gap", "0 */30 * * * ?", at("2026-03-08 01:15:00"), []string{
			"03-08 06:30:00Z = 01:30:00 EST", "03-08 07:00:00Z = 03:00:00 EDT", "03-08 07:30:00Z = 03:30:00 EDT",
		}},
		{"every 30 minutes across the repeated hour", "0 */30 * * * ?", at("2026-11-01 00:45:00"), []string{
			"11-01 05:00:00Z = 01:00:00 EDT", "11-01 05:30:00Z = 01:30:00 EDT",
			"11-01 06:00:00Z = 01:00:00 EST", "11-01 06:30:00Z = 01:30:00 EST", "11-01 07:00:00Z = 02:00:00 EST",
		}},
		{"every 30 minutes from late in the first copy", "0 */30 * * * ?", time.Date(2026, 11, 1, 5, 45, 0, 0, time.UTC).In(ny), []string{
			"11-01 06:00:00Z = 01:00:00 EST",
		}},
		{"every 30 seconds across the gap", "*/30 * * * * ?", at("2026-03-08 01:59:15"), []string{
			"03-08 06:59:30Z = 01:59:30 EST", "03-08 07:00:00Z = 03:00:00 EDT", "03-08 07:00:30Z = 03:00:30 EDT",
		}},
		{"every 30 seconds across the repeated hour", "*/30 * * * * ?", time.Date(2026, 11, 1, 5, 59, 15, 0, time.UTC).In(ny), []string{
			"11-01 05:59:30Z = 01:59:30 EDT", "11-01 06:00:00Z = 01:00:00 EST", "11-01 06:00:30Z = 01:00:30 EST",
		}},
		{"hourly at :30 skips the gap", "0 30 * * * ?", at("2026-03-08 01:00:00"), []string{
			"03-08 06:30:00Z = 01:30:00 EST", "03-08 07:30:00Z = 03:30:00 EDT",
		}},
		{"@hourly through the repeated hour", "@hourly", at("2026-11-01 00:30:00"), []string{
			"11-01 05:00:00Z = 01:00:00 EDT", "11-01 06:00:00Z = 01:00:00 EST", "11-01 07:00:00Z = 02:00:00 EST",
		}},
		{"every 2 hours stays on the clock", "0 0 */2 * * ?", at("2026-03-07 23:00:00"), []string{
			"03-08 05:00:00Z = 00:00:00 EST", "03-08 08:00:00Z = 04:00:00 EDT",
		}},
		{"every 5 minutes inside the repeated hour", "0 */5 1 * * ?", time.Date(2026, 11, 1, 5, 50, 0, 0, time.UTC).In(ny), []string{
			"11-01 05:55:00Z = 01:55:00 EDT", "11-01 06:00:00Z = 01:00:00 EST", "11-01 06:05:00Z = 01:05:00 EST",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, utcFires(t, tc.expr, tc.from, len(tc.want)))
		})
	}
}

// In Europe/London, 2026-03-29 01:00 GMT jumps to 02:00 BST and
// 2026-10-25 02:00 BST falls back to 01:00 GMT.
func TestDSTLondon(t *testing.T) {
	london := loadLocation(t, "Europe/London")
	at := func(s string) time.Time { return mustTime(t, london, s) }
	require.Equal(t, []string{
		"03-29 01:00:00Z = 02:00:00 BST", "03-30 00:30:00Z = 01:30:00 BST",
	}, utcFires(t, "0 30 1 * * ?", at("2026-03-28 12:00:00"), 2))
	require.Equal(t, []string{
		"10-25 00:30:00Z = 01:30:00 BST", "10-26 01:30:00Z = 01:30:00 GMT",
	}, utcFires(t, "0 30 1 * * ?", at("2026-10-24 12:00:00"), 2))
	require.Equal(t, []string{
		"10-25 00:00:00Z = 01:00:00 BST", "10-25 00:15:00Z = 01:15:00 BST",
		"10-25 00:30:00Z = 01:30:00 BST", "10-25 00:45:00Z = 01:45:00 BST",
		"10-25 01:00:00Z = 01:00:00 GMT", "10-25 01:15:00Z = 01:15:00 GMT",
		"10-25 01:30:00Z = 01:30:00 GMT", "10-25 01:45:00Z = 01:45:00 GMT",
		"10-26 01:00:00Z = 01:00:00 GMT",
	}, utcFires(t, "0 */15 1 * * ?", at("2026-10-25 00:50:00"), 9))
	// The 01:xx hour does not exist on 2026-03-29, so nothing fires that day.
	require.Equal(t, []string{
		"03-30 00:00:00Z = 01:00:00 BST",
	}, utcFires(t, "0 */15 1 * * ?", at("2026-03-29 00:50:00"), 1))
	require.Equal(t, []string{
		"03-29 00:59:30Z = 00:59:30 GMT", "03-29 01:00:00Z = 02:00:00 BST",
	}, utcFires(t, "*/30 * * * * ?", at("2026-03-29 00:59:15"), 2))
}

// Zones with transitions at midnight, of 30 minutes, and of a whole day.
func TestDSTOddZones(t *testing.T) {
	// America/Santiago: 2026-04-05 00:00 -03 falls back to 04-04 23:00 -04;
	// 2026-09-06 00:00 -04 jumps to 01:00 -03.
	santiago := loadLocation(t, "America/Santiago")
	require.Equal(t, []string{
		"09-06 04:00:00Z = 01:00:00 -03", "09-07 03:00:00Z = 00:00:00 -03",
	}, utcFires(t, "@daily", mustTime(t, santiago, "2026-09-05 12:00:00"), 2))
	require.Equal(t, []string{
		"04-05 02:30:00Z = 23:30:00 -03", "04-06 03:30:00Z = 23:30:00 -04",
	}, utcFires(t, "0 30 23 * * ?", mustTime(t, santiago, "2026-04-04 12:00:00"), 2))

	// Australia/Lord_Howe moves by 30 minutes: 2026-04-05 02:00 +11 falls
	// back to 01:30 +1030; 2026-10-04 02:00 +1030 jumps to 02:30 +11.
	lordHowe := loadLocation(t, "Australia/Lord_Howe")
	require.Equal(t, []string{
		"10-03 15:00:00Z = 01:30:00 +1030", "10-03 15:30:00Z = 02:30:00 +11",
	}, utcFires(t, "0 */30 * * * ?", mustTime(t, lordHowe, "2026-10-04 01:15:00"), 2))
	require.Equal(t, []string{
		"10-03 15:30:00Z = 02:30:00 +11", "10-04 15:15:00Z = 02:15:00 +11",
	}, utcFires(t, "0 15 2 * * ?", mustTime(t, lordHowe, "2026-10-03 12:00:00"), 2))
	require.Equal(t, []string{
		"04-04 14:45:00Z = 01:45:00 +11", "04-05 15:15:00Z = 01:45:00 +1030",
	}, utcFires(t, "0 45 1 * * ?", mustTime(t, lordHowe, "2026-04-04 12:00:00"), 2))

	// Pacific/Apia skipped 2011-12-30 entirely (-10 to +14).
	apia := loadLocation(t, "Pacific/Apia")
	require.Equal(t, []string{
		"12-30 10:00:00Z = 00:00:00 +14", "12-30 22:00:00Z = 12:00:00 +14",
	}, utcFires(t, "0 0 12 * * ?", mustTime(t, apia, "2011-12-29 13:00:00"), 2))
	require.Equal(t, []string{
		"12-30 09:00:00Z = 23:00:00 -10", "12-30 10:00:00Z = 00:00:00 +14",
	}, utcFires(t, "@hourly", mustTime(t, apia, "2011-12-29 22:30:00"), 2))
}

var dstZones = []string{
	"America/New_York", "Europe/London", "Europe/Berlin", "Australia/Sydney",
	"Australia/Lord_Howe", "America/Santiago", "Asia/Tokyo", "UTC",
}

// TestDSTStrictlyIncreasing iterates Next 10,000 times per expression and
// zone, and again around each 2026 transition for the frequent ones.
func TestDSTStrictlyIncreasing(t *testing.T) {
	exprs := []string{
		"*/30 * * * * ?", "0 */30 * * * ?", "0 0 * * * ?", "0 30 * * * ?", "0 0 */2 * * ?",
		"0 30 1 * * ?", "0 30 2 * * ?", "0 0 0 * * ?", "0 15,45 0-3 * * ?", "0 0-5 1,2 * * ?",
		"30 2 * * *", "*/5 * * * *", "@hourly", "@daily", "0 15 10 ? * 6L", "0 0 12 LW * ?",
	}
	if testing.Short() {
		exprs = exprs[:4]
	}
	for _, zone := range dstZones {
		loc := loadLocation(t, zone)
		starts := []time.Time{time.Date(2026, 1, 1, 0, 0, 0, 0, loc)}
		for at := starts[0]; at.Year() == 2026; {
			_, end := at.ZoneBounds()
			if end.IsZero() || end.Year() > 2026 {
				break
			}
			starts = append(starts, end.Add(-3*time.Hour))
			at = end
		}
		for _, expr := range exprs {
			e := mustParse(t, expr)
			for i, start := range starts {
				n := 10_000
				if i > 0 {
					n = 500
				}
				prev := start
				for range n {
					next := e.Next(prev)
					if !next.After(prev) || next.Location() != loc {
						t.Fatalf("%s in %s: Next(%v) = %v", expr, zone, prev, next)
					}
					prev = next
				}
			}
		}
	}
}

// TestDSTDailyFiresOncePerDay checks that wall-clock expressions fire on
// every local calendar day of 2026 exactly once, transition days included.
func TestDSTDailyFiresOncePerDay(t *testing.T) {
	for _, zone := range dstZones {
		loc := loadLocation(t, zone)
		for _, expr := range []string{
			"0 0 0 * * ?", "0 30 0 * * ?", "0 30 1 * * ?", "0 30 2 * * ?", "0 59 1 * * ?",
			"0 0 3 * * ?", "0 30 23 * * ?", "30 2 * * *", "@daily",
		} {
			e := mustParse(t, expr)
			days := map[string]int{}
			for at := e.Next(time.Date(2025, 12, 31, 23, 59, 59, 0, loc)); at.Year() == 2026; at = e.Next(at) {
				days[at.Format("2006-01-02")]++
			}
			require.Len(t, days, 365, "%s in %s", expr, zone)
			for day, n := range days {
				require.Equal(t, 1, n, "%s in %s on %s", expr, zone, day)
			}
		}
	}
}

// TestDSTElapsedRhythm checks that "every 30 minutes" keeps firing every 30
// minutes of real time through a whole year, in zones whose transitions
// move the clock by an hour or half an hour.
func TestDSTElapsedRhythm(t *testing.T) {
	for _, zone := range dstZones {
		loc := loadLocation(t, zone)
		for _, tc := range []struct {
			expr  string
			every time.Duration
		}{
			{"0 */30 * * * ?", 30 * time.Minute},
			{"0 0/30 * * * ?", 30 * time.Minute},
			{"*/30 * * * *", 30 * time.Minute},
		} {
			e := mustParse(t, tc.expr)
			prev := e.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, loc))
			for next := e.Next(prev); next.Year() == 2026; next = e.Next(next) {
				if next.Sub(prev) != tc.every {
					t.Fatalf("%s in %s: %v after %v", tc.expr, zone, next, prev)
				}
				prev = next
			}
		}
	}
	// Every hour on the hour, in zones that move by whole hours.
	for _, zone := range []string{"America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago"} {
		loc := loadLocation(t, zone)
		e := mustParse(t, "0 0 * * * ?")
		prev := e.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, loc))
		for next := e.Next(prev); next.Year() == 2026; next = e.Next(next) {
			require.Equal(t, time.Hour, next.Sub(prev), "%s at %v", zone, next)
			prev = next
		}
	}
}

// TestDSTFarFuture covers years past the tz database's table, where Go
// derives transitions from a rule and time.ZoneBounds misreports the end of
// the last period of leap years.
func TestDSTFarFuture(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Australia/Sydney", "Europe/London"} {
		loc := loadLocation(t, zone)
		e := mustParse(t, "0 0 * * * ?")
		prev := e.Next(time.Date(2096, 12, 29, 0, 0, 0, 0, loc))
		for next := e.Next(prev); next.Before(time.Date(2097, 1, 3, 0, 0, 0, 0, loc)); next = e.Next(next) {
			require.Equal(t, time.Hour, next.Sub(prev), "%s at %v", zone, next)
			prev = next
		}
		yearly := mustParse(t, "0 0 0 1 1 ? 2099")
		require.Equal(t, time.Date(2099, 1, 1, 0, 0, 0, 0, loc), yearly.Next(time.Date(2090, 6, 1, 0, 0, 0, 0, loc)))
		daily := mustParse(t, "0 30 2 * * ?")
		days := map[string]int{}
		for at := daily.Next(time.Date(2095, 12, 31, 12, 0, 0, 0, loc)); at.Year() < 2098; at = daily.Next(at) {
			days[at.Format("2006-01-02")]++
		}
		require.Len(t, days, 366+365, zone)
	}
}
