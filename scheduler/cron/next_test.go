package cron

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const layout = "2006-01-02 15:04:05"

func mustParse(t testing.TB, expr string) *Expression {
	t.Helper()
	e, err := Parse(expr)
	require.NoError(t, err, expr)
	return e
}

func mustTime(t testing.TB, loc *time.Location, s string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation(layout, s, loc)
	require.NoError(t, err)
	return tm
}

// fires returns the formatted results of len(want) successive Next calls.
func fires(t testing.TB, expr, from string, n int) []string {
	t.Helper()
	e := mustParse(t, expr)
	at := mustTime(t, time.UTC, from)
	var got []string
	for range n {
		at = e.Next(at)
		if at.IsZero() {
			got = append(got, "never")
			break
		}
		got = append(got, at.Format(layout))
	}
	return got
}

type nextCase struct {
	expr string
	from string
	want []string // "never" stands for the zero Time
}

func runNextCases(t *testing.T, cases []nextCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.expr+" from "+tc.from, func(t *testing.T) {
			require.Equal(t, tc.want, fires(t, tc.expr, tc.from, len(tc.want)))
		})
	}
}

// Calendar facts used below (2026): Jan 1 is a Thursday, Feb 1 and Mar 1 a
// Sunday, Apr 1 a Wednesday, May 1 a Friday, Aug 1 a Saturday, Nov 1 a
// Sunday. Jan 31, Feb 28 and Aug 1 are Saturdays; May 31 is a Sunday.

// The examples of the Quartz "CronTrigger Tutorial", each with its meaning
// as documented there.
func TestNextQuartzTutorialExamples(t *testing.T) {
	runNextCases(t, []nextCase{
		// Fire at 12pm (noon) every day.
		{"0 0 12 * * ?", "2026-01-01 00:00:00", []string{"2026-01-01 12:00:00", "2026-01-02 12:00:00", "2026-01-03 12:00:00"}},
		{"0 0 12 * * ?", "2026-01-01 12:00:00", []string{"2026-01-02 12:00:00"}},
		// Fire at 10:15am every day (four spellings).
		{"0 15 10 ? * *", "2026-01-01 10:14:59", []string{"2026-01-01 10:15:00", "2026-01-02 10:15:00"}},
		{"0 15 10 * * ?", "2026-01-01 10:15:00", []string{"2026-01-02 10:15:00", "2026-01-03 10:15:00"}},
		{"0 15 10 * * ? *", "2026-12-31 11:00:00", []string{"2027-01-01 10:15:00"}},
		// Fire at 10:15am every day during the year 2005.
		{"0 15 10 * * ? 2005", "2004-06-01 00:00:00", []string{"2005-01-01 10:15:00", "2005-01-02 10:15:00"}},
		{"0 15 10 * * ? 2005", "2005-12-30 12:00:00", []string{"2005-12-31 10:15:00", "never"}},
		{"0 15 10 * * ? 2005", "2026-01-01 00:00:00", []string{"never"}},
		// Fire every minute starting at 2pm and ending at 2:59pm, every day.
		{"0 * 14 * * ?", "2026-01-01 00:00:00", []string{"2026-01-01 14:00:00", "2026-01-01 14:01:00", "2026-01-01 14:02:00"}},
		{"0 * 14 * * ?", "2026-01-01 14:58:30", []string{"2026-01-01 14:59:00", "2026-01-02 14:00:00"}},
		// Fire every 5 minutes starting at 2pm and ending at 2:55pm, every day.
		{"0 0/5 14 * * ?", "2026-01-01 14:00:00", []string{"2026-01-01 14:05:00", "2026-01-01 14:10:00"}},
		{"0 0/5 14 * * ?", "2026-01-01 14:50:00", []string{"2026-01-01 14:55:00", "2026-01-02 14:00:00"}},
		// Every 5 minutes from 2pm to 2:55pm, AND from 6pm to 6:55pm.
		{"0 0/5 14,18 * * ?", "2026-01-01 14:54:59", []string{"2026-01-01 14:55:00", "2026-01-01 18:00:00", "2026-01-01 18:05:00"}},
		{"0 0/5 14,18 * * ?", "2026-01-01 18:55:00", []string{"2026-01-02 14:00:00"}},
		// Fire every minute starting at 2pm and ending at 2:05pm, every day.
		{"0 0-5 14 * * ?", "2026-01-01 14:04:00", []string{"2026-01-01 14:05:00", "2026-01-02 14:00:00"}},
		// At 2:10pm and at 2:44pm every Wednesday in the month of March.
		{"0 10,44 14 ? 3 WED", "2026-01-01 00:00:00", []string{
			"2026-03-04 14:10:00", "2026-03-04 14:44:00", "2026-03-11 14:10:00", "2026-03-11 14:44:00",
			"2026-03-18 14:10:00", "2026-03-18 14:44:00", "2026-03-25 14:10:00", "2026-03-25 14:44:00",
			"2027-03-03 14:10:00",
		}},
		// At 10:15am every Monday, Tuesday, Wednesday, Thursday and Friday.
		{"0 15 10 ? * MON-FRI", "2026-01-01 00:00:00", []string{
			"2026-01-01 10:15:00", "2026-01-02 10:15:00", "2026-01-05 10:15:00", "2026-01-06 10:15:00",
		}},
		// At 10:15am on the 15th day of every month.
		{"0 15 10 15 * ?", "2026-01-01 00:00:00", []string{"2026-01-15 10:15:00", "2026-02-15 10:15:00", "2026-03-15 10:15:00"}},
		// At 10:15am on the last day of every month.
		{"0 15 10 L * ?", "2026-01-01 00:00:00", []string{
			"2026-01-31 10:15:00", "2026-02-28 10:15:00", "2026-03-31 10:15:00", "2026-04-30 10:15:00",
		}},
		{"0 15 10 L * ?", "2028-02-01 00:00:00", []string{"2028-02-29 10:15:00"}},
		// At 10:15am on the 2nd-to-last last day of every month.
		{"0 15 10 L-2 * ?", "2026-01-01 00:00:00", []string{
			"2026-01-29 10:15:00", "2026-02-26 10:15:00", "2026-03-29 10:15:00", "2026-04-28 10:15:00",
		}},
		// At 10:15am on the last Friday of every month.
		{"0 15 10 ? * 6L", "2026-01-01 00:00:00", []string{
			"2026-01-30 10:15:00", "2026-02-27 10:15:00", "2026-03-27 10:15:00", "2026-04-24 10:15:00",
		}},
		// At 10:15am on every last Friday of every month during 2002-2005.
		// (Jan 1 2002 was a Tuesday; Dec 1 2005 a Thursday.)
		{"0 15 10 ? * 6L 2002-2005", "2002-01-01 00:00:00", []string{"2002-01-25 10:15:00"}},
		{"0 15 10 ? * 6L 2002-2005", "2005-12-01 00:00:00", []string{"2005-12-30 10:15:00", "never"}},
		{"0 15 10 ? * 6L 2002-2005", "2026-01-01 00:00:00", []string{"never"}},
		// At 10:15am on the third Friday of every month.
		{"0 15 10 ? * 6#3", "2026-01-01 00:00:00", []string{
			"2026-01-16 10:15:00", "2026-02-20 10:15:00", "2026-03-20 10:15:00", "2026-04-17 10:15:00",
		}},
		// At 12pm every 5 days every month, starting on the first day.
		{"0 0 12 1/5 * ?", "2026-01-01 00:00:00", []string{
			"2026-01-01 12:00:00", "2026-01-06 12:00:00", "2026-01-11 12:00:00", "2026-01-16 12:00:00",
			"2026-01-21 12:00:00", "2026-01-26 12:00:00", "2026-01-31 12:00:00", "2026-02-01 12:00:00",
		}},
		{"0 0 12 1/5 * ?", "2026-02-26 12:00:00", []string{"2026-03-01 12:00:00"}},
		// Every November 11th at 11:11am.
		{"0 11 11 11 11 ?", "2026-01-01 00:00:00", []string{"2026-11-11 11:11:00", "2027-11-11 11:11:00"}},
	})
}

func TestNextQuartzSpecials(t *testing.T) {
	runNextCases(t, []nextCase{
		// 15W: Feb 15 and Mar 15 are Sundays (-> Monday 16th), Aug 15 is a
		// Saturday (-> Friday 14th), other months keep the 15th.
		{"0 0 12 15W * ?", "2026-01-01 00:00:00", []string{
			"2026-01-15 12:00:00", "2026-02-16 12:00:00", "2026-03-16 12:00:00", "2026-04-15 12:00:00",
			"2026-05-15 12:00:00",
		}},
		{"0 0 12 15W * ?", "2026-08-01 00:00:00", []string{"2026-08-14 12:00:00"}},
		// 1W never moves into the previous month: Saturday Aug 1 -> Monday
		// Aug 3 (not Friday Jul 31); Sunday Feb 1 -> Monday Feb 2.
		{"0 0 12 1W * ?", "2026-01-01 12:00:00", []string{"2026-02-02 12:00:00", "2026-03-02 12:00:00", "2026-04-01 12:00:00"}},
		{"0 0 12 1W * ?", "2026-07-01 12:00:00", []string{"2026-08-03 12:00:00", "2026-09-01 12:00:00"}},
		// 31W never moves into the next month: Sunday May 31 -> Friday
		// May 29; Saturday Jan 31 -> Friday Jan 30; no 31st in Feb or Apr.
		{"0 0 12 31W * ?", "2026-01-01 00:00:00", []string{"2026-01-30 12:00:00", "2026-03-31 12:00:00", "2026-05-29 12:00:00"}},
		// LW: the last weekday of the month.
		{"0 0 12 LW * ?", "2026-01-01 00:00:00", []string{
			"2026-01-30 12:00:00", "2026-02-27 12:00:00", "2026-03-31 12:00:00", "2026-04-30 12:00:00",
			"2026-05-29 12:00:00",
		}},
		// L-3W: nearest weekday to the 3rd-to-last day (Jan 28 Wed; Feb 25
		// Wed; Mar 28 Sat -> Fri 27).
		{"0 0 12 L-3W * ?", "2026-01-01 00:00:00", []string{"2026-01-28 12:00:00", "2026-02-25 12:00:00", "2026-03-27 12:00:00"}},
		// L alone in day-of-week is 7, Saturday.
		{"0 0 12 ? * L", "2026-01-01 00:00:00", []string{"2026-01-03 12:00:00", "2026-01-10 12:00:00"}},
		// Names work with L and #, case-insensitively.
		{"0 15 10 ? * fril", "2026-01-01 00:00:00", []string{"2026-01-30 10:15:00"}},
		{"0 15 10 ? * fri#3", "2026-01-01 00:00:00", []string{"2026-01-16 10:15:00"}},
		// 1=SUN numbering: 1#1 is the first Sunday, 2#1 the first Monday.
		{"0 0 9 ? * 1#1", "2026-01-01 00:00:00", []string{"2026-01-04 09:00:00", "2026-02-01 09:00:00"}},
		{"0 0 9 ? * 2#1", "2026-01-01 00:00:00", []string{"2026-01-05 09:00:00", "2026-02-02 09:00:00"}},
		// A fifth Friday exists only in some months (Jan and May 2026).
		{"0 0 12 ? * 6#5", "2026-01-01 00:00:00", []string{"2026-01-30 12:00:00", "2026-05-29 12:00:00"}},
		// 31 fires only in months that have one.
		{"0 0 0 31 * ?", "2026-01-01 00:00:00", []string{"2026-01-31 00:00:00", "2026-03-31 00:00:00", "2026-05-31 00:00:00"}},
		// Reversed ranges wrap around, as in Quartz.
		{"0 0 22-1 * * ?", "2026-01-01 12:00:00", []string{
			"2026-01-01 22:00:00", "2026-01-01 23:00:00", "2026-01-02 00:00:00", "2026-01-02 01:00:00",
			"2026-01-02 22:00:00",
		}},
		{"0 0 12 ? * FRI-MON", "2026-01-01 00:00:00", []string{
			"2026-01-02 12:00:00", "2026-01-03 12:00:00", "2026-01-04 12:00:00", "2026-01-05 12:00:00",
			"2026-01-09 12:00:00",
		}},
		{"0 0 0 1 NOV-FEB ?", "2026-01-15 00:00:00", []string{"2026-02-01 00:00:00", "2026-11-01 00:00:00", "2026-12-01 00:00:00", "2027-01-01 00:00:00"}},
		// Ranges with steps, names in lists, lower case.
		{"0 10-40/15 8 * * ?", "2026-01-01 00:00:00", []string{"2026-01-01 08:10:00", "2026-01-01 08:25:00", "2026-01-01 08:40:00", "2026-01-02 08:10:00"}},
		{"0 0 0 1 jan,Jul ?", "2026-01-01 00:00:00", []string{"2026-07-01 00:00:00", "2027-01-01 00:00:00"}},
		// The day fields: * with a restriction in the other means ?.
		{"0 0 12 15 * *", "2026-01-01 00:00:00", []string{"2026-01-15 12:00:00", "2026-02-15 12:00:00"}},
		{"0 0 12 * * MON", "2026-01-01 00:00:00", []string{"2026-01-05 12:00:00", "2026-01-12 12:00:00"}},
		{"0 0 12 ? * ?", "2026-01-01 12:00:00", []string{"2026-01-02 12:00:00"}},
		{"0 0 12 * * *", "2026-01-01 12:00:00", []string{"2026-01-02 12:00:00"}},
		// Feb 29 is found across non-leap years.
		{"0 0 0 29 2 ?", "2027-01-01 00:00:00", []string{"2028-02-29 00:00:00", "2032-02-29 00:00:00"}},
		{"0 0 0 29 2 ?", "2096-03-01 00:00:00", []string{"2104-02-29 00:00:00"}},
		// Year lists and steps.
		{"0 0 0 1 1 ? 2030,2040", "2026-01-01 00:00:00", []string{"2030-01-01 00:00:00", "2040-01-01 00:00:00", "never"}},
		{"0 0 0 1 1 ? 2030/20", "2026-01-01 00:00:00", []string{"2030-01-01 00:00:00", "2050-01-01 00:00:00", "2070-01-01 00:00:00", "2090-01-01 00:00:00", "never"}},
		{"0 0 0 1 1 ? 2099", "2026-01-01 00:00:00", []string{"2099-01-01 00:00:00", "never"}},
		{"59 59 23 31 12 ? 2099", "2099-12-31 23:59:58", []string{"2099-12-31 23:59:59", "never"}},
		{"0 0 0 1 1 ? 1970", "1900-01-01 00:00:00", []string{"1970-01-01 00:00:00", "never"}},
	})
}

// The old platform generated exactly these forms.
func TestNextLegacyForms(t *testing.T) {
	runNextCases(t, []nextCase{
		{"*/30 * * * * ?", "2026-01-01 00:00:00", []string{"2026-01-01 00:00:30", "2026-01-01 00:01:00", "2026-01-01 00:01:30"}},
		{"*/30 * * * * ?", "2026-01-01 00:00:29", []string{"2026-01-01 00:00:30"}},
		{"*/30 * * * * ?", "2026-12-31 23:59:45", []string{"2027-01-01 00:00:00"}},
		{"0 * * * * ?", "2026-01-01 00:00:00", []string{"2026-01-01 00:01:00", "2026-01-01 00:02:00"}},
		{"0 * * * * ?", "2026-01-01 00:59:59", []string{"2026-01-01 01:00:00"}},
	})
	for _, n := range []int{1, 2, 3, 5, 7, 10, 15, 20, 25, 30, 45, 59} {
		expr := fmt.Sprintf("0 */%d * * * ?", n)
		t.Run(expr, func(t *testing.T) {
			var want []string
			for h := 0; h < 3; h++ {
				for m := 0; m < 60; m += n {
					want = append(want, fmt.Sprintf("2026-01-01 %02d:%02d:00", h, m))
				}
			}
			want = want[1:] // strictly after the start
			require.Equal(t, want, fires(t, expr, "2026-01-01 00:00:00", len(want)))
		})
	}
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 12, 23} {
		expr := fmt.Sprintf("0 0 */%d * * ?", n)
		t.Run(expr, func(t *testing.T) {
			var want []string
			for d := 1; d <= 3; d++ {
				for h := 0; h < 24; h += n {
					want = append(want, fmt.Sprintf("2026-01-%02d %02d:00:00", d, h))
				}
			}
			require.Equal(t, want, fires(t, expr, "2025-12-31 23:59:59", len(want)))
		})
	}
}

func TestNextUnix(t *testing.T) {
	runNextCases(t, []nextCase{
		{"30 2 * * *", "2026-01-01 00:00:00", []string{"2026-01-01 02:30:00", "2026-01-02 02:30:00"}},
		{"*/15 * * * *", "2026-01-01 00:00:00", []string{"2026-01-01 00:15:00", "2026-01-01 00:30:00", "2026-01-01 00:45:00", "2026-01-01 01:00:00"}},
		{"0 9-17/4 * * 1-5", "2026-01-02 10:00:00", []string{"2026-01-02 13:00:00", "2026-01-02 17:00:00", "2026-01-05 09:00:00"}},
		// 0, 7 and SUN are all Sunday (Jan 4 2026).
		{"0 0 * * 0", "2026-01-01 00:00:00", []string{"2026-01-04 00:00:00", "2026-01-11 00:00:00"}},
		{"0 0 * * 7", "2026-01-01 00:00:00", []string{"2026-01-04 00:00:00", "2026-01-11 00:00:00"}},
		{"0 0 * * sun", "2026-01-01 00:00:00", []string{"2026-01-04 00:00:00"}},
		{"0 0 * * 1", "2026-01-01 00:00:00", []string{"2026-01-05 00:00:00"}},
		{"0 0 * * 5-7", "2026-01-01 00:00:00", []string{"2026-01-02 00:00:00", "2026-01-03 00:00:00", "2026-01-04 00:00:00", "2026-01-09 00:00:00"}},
		// Both day fields restricted: either may match (the 1st, and Mondays).
		{"0 0 1 * 1", "2025-12-31 12:00:00", []string{
			"2026-01-01 00:00:00", "2026-01-05 00:00:00", "2026-01-12 00:00:00", "2026-01-19 00:00:00",
			"2026-01-26 00:00:00", "2026-02-01 00:00:00", "2026-02-02 00:00:00",
		}},
		// Friday or the 13th.
		{"0 12 13 * 5", "2026-01-01 00:00:00", []string{"2026-01-02 12:00:00", "2026-01-09 12:00:00", "2026-01-13 12:00:00", "2026-01-16 12:00:00"}},
		// Feb 31 never exists, but Mondays in February do.
		{"30 2 31 2 1", "2026-01-01 00:00:00", []string{"2026-02-02 02:30:00", "2026-02-09 02:30:00"}},
		// A day field starting with * is unrestricted for that rule, so
		// */2 AND Monday: odd days that are Mondays.
		{"0 0 */2 * 1", "2026-01-01 00:00:00", []string{"2026-01-05 00:00:00", "2026-01-19 00:00:00", "2026-02-09 00:00:00", "2026-02-23 00:00:00"}},
		// ? is accepted as *.
		{"0 0 15 * ?", "2026-01-01 00:00:00", []string{"2026-01-15 00:00:00"}},
		{"0 0 * * ?", "2026-01-01 00:00:00", []string{"2026-01-02 00:00:00"}},
		{"5/20 * * * *", "2026-01-01 00:00:00", []string{"2026-01-01 00:05:00", "2026-01-01 00:25:00", "2026-01-01 00:45:00", "2026-01-01 01:05:00"}},
		{"0 0 1 jan,jul *", "2026-01-01 00:00:00", []string{"2026-07-01 00:00:00", "2027-01-01 00:00:00"}},
	})
}

func TestNextDescriptors(t *testing.T) {
	runNextCases(t, []nextCase{
		{"@yearly", "2026-01-01 00:00:00", []string{"2027-01-01 00:00:00"}},
		{"@annually", "2026-06-01 00:00:00", []string{"2027-01-01 00:00:00"}},
		{"@monthly", "2026-01-01 00:00:00", []string{"2026-02-01 00:00:00", "2026-03-01 00:00:00"}},
		{"@weekly", "2026-01-01 00:00:00", []string{"2026-01-04 00:00:00", "2026-01-11 00:00:00"}},
		{"@daily", "2026-01-01 00:00:00", []string{"2026-01-02 00:00:00"}},
		{"@midnight", "2026-01-01 00:00:01", []string{"2026-01-02 00:00:00"}},
		{"@hourly", "2026-01-01 00:00:00", []string{"2026-01-01 01:00:00", "2026-01-01 02:00:00"}},
		{"@DAILY", "2026-01-01 00:00:00", []string{"2026-01-02 00:00:00"}},
	})
}

// TestNextStrictlyAfter pins the sub-second behaviour: a fire time equal to
// t is not returned, and t's fraction of a second does not shift results.
func TestNextStrictlyAfter(t *testing.T) {
	e := mustParse(t, "*/30 * * * * ?")
	base := time.Date(2026, 1, 1, 0, 0, 30, 0, time.UTC)
	require.Equal(t, base.Add(30*time.Second), e.Next(base))
	require.Equal(t, base.Add(30*time.Second), e.Next(base.Add(time.Nanosecond)))
	require.Equal(t, base, e.Next(base.Add(-time.Nanosecond)))
	require.Equal(t, base, e.Next(base.Add(-29*time.Second-999*time.Millisecond)))

	before1970 := time.Date(1969, 12, 31, 23, 59, 59, 500_000_000, time.UTC)
	require.Equal(t, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), e.Next(before1970))
}

// TestNextMatchesReference compares day selection with straightforward
// per-day predicates over five years, leap year included.
func TestNextMatchesReference(t *testing.T) {
	lastDay := func(d time.Time) int { return d.AddDate(0, 1, -d.Day()).Day() }
	weekday := func(d time.Time) bool { return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday }
	nearestWeekday := func(d time.Time, target int) bool {
		if !weekday(d) {
			return false
		}
		best := 0
		for day := 1; day <= lastDay(d); day++ {
			c := time.Date(d.Year(), d.Month(), day, 0, 0, 0, 0, time.UTC)
			if weekday(c) && (best == 0 || abs(day-target) < abs(best-target)) {
				best = day
			}
		}
		return d.Day() == best
	}
	cases := []struct {
		expr string
		want func(d time.Time) bool
	}{
		{"0 0 12 L * ?", func(d time.Time) bool { return d.Day() == lastDay(d) }},
		{"0 0 12 L-2 * ?", func(d time.Time) bool { return d.Day() == lastDay(d)-2 }},
		{"0 0 12 L-28 * ?", func(d time.Time) bool { return d.Day() == lastDay(d)-28 }},
		{"0 0 12 LW * ?", func(d time.Time) bool { return nearestWeekday(d, lastDay(d)) }},
		{"0 0 12 L-3W * ?", func(d time.Time) bool { return nearestWeekday(d, lastDay(d)-3) }},
		{"0 0 12 1W * ?", func(d time.Time) bool { return nearestWeekday(d, 1) }},
		{"0 0 12 15W * ?", func(d time.Time) bool { return nearestWeekday(d, 15) }},
		{"0 0 12 30W * ?", func(d time.Time) bool { return lastDay(d) >= 30 && nearestWeekday(d, 30) }},
		{"0 0 12 ? * 6L", func(d time.Time) bool { return d.Weekday() == time.Friday && d.Day()+7 > lastDay(d) }},
		{"0 0 12 ? * 1L", func(d time.Time) bool { return d.Weekday() == time.Sunday && d.Day()+7 > lastDay(d) }},
		{"0 0 12 ? * 6#3", func(d time.Time) bool { return d.Weekday() == time.Friday && (d.Day()-1)/7 == 2 }},
		{"0 0 12 ? * 2#5", func(d time.Time) bool { return d.Weekday() == time.Monday && (d.Day()-1)/7 == 4 }},
		{"0 0 12 ? 2 1#5", func(d time.Time) bool { return d.Month() == 2 && d.Weekday() == time.Sunday && d.Day() == 29 }},
		{"0 0 12 ? * SAT-MON", func(d time.Time) bool { return d.Weekday() == time.Saturday || d.Weekday() <= time.Monday }},
		{"0 0 12 ? * 2-6/2", func(d time.Time) bool {
			return d.Weekday() == time.Monday || d.Weekday() == time.Wednesday || d.Weekday() == time.Friday
		}},
		{"0 0 12 1/5 * ?", func(d time.Time) bool { return (d.Day()-1)%5 == 0 }},
		{"0 0 12 29 2 ?", func(d time.Time) bool { return d.Month() == 2 && d.Day() == 29 }},
		{"0 0 12 28-3 * ?", func(d time.Time) bool { return d.Day() >= 28 || d.Day() <= 3 }},
		{"0 12 13 * 5", func(d time.Time) bool { return d.Day() == 13 || d.Weekday() == time.Friday }},
		{"0 12 */2 * 1", func(d time.Time) bool { return d.Day()%2 == 1 && d.Weekday() == time.Monday }},
		{"0 12 1-7 * 1-5", func(d time.Time) bool { return d.Day() <= 7 || weekday(d) }},
		{"0 0 12 L-2 * ? 2028", func(d time.Time) bool { return d.Year() == 2028 && d.Day() == lastDay(d)-2 }},
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			e := mustParse(t, tc.expr)
			var want, got []string
			for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
				if tc.want(d) {
					want = append(want, d.Format("2006-01-02"))
				}
			}
			for at := e.Next(start); !at.IsZero() && at.Before(end); at = e.Next(at) {
				require.Equal(t, 12, at.Hour())
				got = append(got, at.Format("2006-01-02"))
			}
			require.Equal(t, want, got)
		})
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestNextIsFast guards against second-by-second scanning: these would
// take far longer than the budget if Next stepped through time.
func TestNextIsFast(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	cases := []struct{ expr, from, want string }{
		{"0 0 0 29 2 ?", "2027-01-01 00:00:00", "2028-02-29 00:00:00"},
		{"0 0 0 1 1 ? 2099", "2026-01-01 00:00:00", "2099-01-01 00:00:00"},
		{"0 0 0 ? 2 1#5", "2026-01-01 00:00:00", "2032-02-29 00:00:00"},
	}
	for _, tc := range cases {
		e := mustParse(t, tc.expr)
		from := mustTime(t, ny, tc.from)
		began := time.Now()
		require.Equal(t, tc.want, e.Next(from).Format(layout))
		require.Less(t, time.Since(began), 100*time.Millisecond, tc.expr)
	}
}

func TestNextEdgeTimes(t *testing.T) {
	e := mustParse(t, "0 0 0 1 1 ?")
	require.Equal(t, "0002-01-01 00:00:00", e.Next(time.Time{}).Format(layout))
	for _, tm := range []time.Time{
		time.Unix(1<<62, 0), time.Unix(-1<<62, 0), time.Unix(1<<40, 0), time.Unix(-1<<40, 0),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		next := e.Next(tm)
		require.True(t, next.IsZero() || next.After(tm), "%v -> %v", tm, next)
	}
	var zero Expression
	require.True(t, zero.Next(time.Now()).IsZero())
	var nilExpr *Expression
	require.True(t, nilExpr.Next(time.Now()).IsZero())
}

func TestUpcoming(t *testing.T) {
	e := mustParse(t, "0 0 0 1 1 ? 2030-2032")
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	got := Upcoming(e, from, 5)
	require.Len(t, got, 3)
	require.Equal(t, time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC), got[2])
	require.Len(t, Upcoming(mustParse(t, "@hourly"), from, 4), 4)
	require.Empty(t, Upcoming(e, from, 0))
	require.Empty(t, Upcoming(e, from, -1))
}

func TestString(t *testing.T) {
	require.Equal(t, "0 0 12 * * ?", mustParse(t, "  0 0 12 * * ?\n").String())
	require.Equal(t, "@Daily", mustParse(t, " @Daily ").String())
	require.Equal(t, "0  0 12 ? * mon", mustParse(t, "0  0 12 ? * mon").String())
}

func BenchmarkNext(b *testing.B) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(b, err)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, ny)
	for _, expr := range []string{
		"*/30 * * * * ?",
		"0 */15 * * * ?",
		"0 15 10 ? * MON-FRI",
		"0 15 10 ? * 6L",
		"0 0 12 LW * ?",
		"0 0 0 29 2 ?",
		"0 0 0 1 1 ? 2099",
		"0 12 13 * 5",
	} {
		e := mustParse(b, expr)
		b.Run(expr, func(b *testing.B) {
			at := from
			for b.Loop() {
				if at = e.Next(at); at.IsZero() {
					at = from
				}
			}
		})
	}
}

// TestNextAgainstBruteForce compares Next, in UTC, with a plain nested loop
// over days, hours, minutes and seconds for random expressions.
func TestNextAgainstBruteForce(t *testing.T) {
	pools := [][]string{
		{"0", "*/30", "15,45", "*", "5-10", "59", "58-2"},
		{"0", "*/15", "*", "30", "59", "0-5", "50-10/5"},
		{"0", "*", "*/6", "12", "23", "22-2", "9-17/4"},
		{"*", "?", "1", "15", "31", "L", "L-2", "LW", "15W", "1W", "1/5", "28-3", "29"},
		{"*", "2", "JAN,JUL", "11-2", "*/3", "12"},
		{"?", "*", "MON-FRI", "6L", "6#3", "1#5", "SAT-MON", "L", "1"},
	}
	unixPools := [][]string{
		pools[1][:6], pools[2][:6], {"*", "1", "15", "31", "*/2", "1-7", "29"}, pools[4], {"*", "0", "7", "MON-FRI", "*/2", "5"},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(p []string) string { return p[rng.IntN(len(p))] }
	tested := 0
	for i := 0; i < 800; i++ {
		var fields []string
		for _, p := range pools {
			fields = append(fields, pick(p))
		}
		if i%2 == 1 {
			fields = fields[:0]
			for _, p := range unixPools {
				fields = append(fields, pick(p))
			}
		}
		expr := strings.Join(fields, " ")
		e, err := Parse(expr)
		if err != nil {
			continue // both day fields restricted, or never fires
		}
		tested++
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(2*365*24*3600)) * time.Second)
		for range 3 {
			want, got := bruteNext(e, from), e.Next(from)
			require.Equal(t, want, got, "%s from %v", expr, from)
			from = got
		}
	}
	require.Greater(t, tested, 350) // the rest have both day fields restricted
}

// bruteNext finds the first fire time after t (UTC) the slow, obvious way.
func bruteNext(e *Expression, t time.Time) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for ; day.Year() < t.Year()+60; day = day.AddDate(0, 0, 1) {
		if e.month&(1<<day.Month()) == 0 || e.dayMask(day.Year(), day.Month())&(1<<day.Day()) == 0 {
			continue
		}
		for h := 0; h < 24; h++ {
			for m := 0; m < 60; m++ {
				for s := 0; s < 60; s++ {
					at := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
					if e.hour&(1<<h) != 0 && e.minute&(1<<m) != 0 && e.second&(1<<s) != 0 && at.After(t) {
						return at
					}
				}
			}
		}
	}
	return time.Time{}
}
