package cron

import "time"

// Day matching works on month masks: bit d of a mask is set when day d of
// that month matches. Every rule (plain days, L, W, nL, n#k) only needs the
// month's length and the weekday of its first day, so a whole month is
// decided at once and Next never walks day by day.

type domKind uint8

const (
	domAll     domKind = iota // * or ?
	domDays                   // a list of days
	domLast                   // L, L-n, LW, L-nW
	domNearest                // nW
)

// domSpec is a parsed day-of-month field.
type domSpec struct {
	kind    domKind
	days    uint64 // domDays: bit d set means day d
	offset  int    // domLast: days before the last day
	weekday bool   // domLast: move to the nearest weekday (LW, L-nW)
	day     int    // domNearest: the n of nW
}

func (s domSpec) mask(dim int, first time.Weekday) uint64 {
	switch s.kind {
	case domDays:
		return s.days & monthMask(dim)
	case domLast:
		day := dim - s.offset
		if day < 1 {
			return 0 // L-30 in February: no such day
		}
		if s.weekday {
			day = nearestWeekday(day, dim, first)
		}
		return 1 << day
	case domNearest:
		if s.day > dim {
			return 0 // 31W in a 30-day month does not fire, like plain 31
		}
		return 1 << nearestWeekday(s.day, dim, first)
	}
	return monthMask(dim)
}

// nearestWeekday implements Quartz's W: the weekday nearest to day, without
// leaving the month. 1W on a Saturday is Monday the 3rd, and a Sunday that
// ends the month moves back to Friday.
func nearestWeekday(day, dim int, first time.Weekday) int {
	switch weekdayOf(day, first) {
	case time.Saturday:
		if day == 1 {
			return 3
		}
		return day - 1
	case time.Sunday:
		if day == dim {
			return day - 2
		}
		return day + 1
	}
	return day
}

type dowKind uint8

const (
	dowAll  dowKind = iota // * or ?
	dowDays                // a set of weekdays
	dowLast                // nL
	dowNth                 // n#k
)

// dowSpec is a parsed day-of-week field. Weekdays are stored as
// time.Weekday (0=Sunday) whatever numbering the expression used.
type dowSpec struct {
	kind    dowKind
	weekday int       // dowLast, dowNth
	nth     int       // dowNth: 1-5
	byFirst [7]uint64 // dowDays: 31-day mask, indexed by the weekday of the 1st
}

func newDOWDays(weekdays uint8) dowSpec {
	s := dowSpec{kind: dowDays}
	for first := range 7 {
		for d := 1; d <= 31; d++ {
			if weekdays&(1<<((first+d-1)%7)) != 0 {
				s.byFirst[first] |= 1 << d
			}
		}
	}
	return s
}

func (s dowSpec) mask(dim int, first time.Weekday) uint64 {
	switch s.kind {
	case dowDays:
		return s.byFirst[first] & monthMask(dim)
	case dowLast:
		last := weekdayOf(dim, first)
		return 1 << (dim - (int(last)-s.weekday+7)%7)
	case dowNth:
		day := 1 + (s.weekday-int(first)+7)%7 + 7*(s.nth-1)
		if day > dim {
			return 0 // no fifth Friday this month
		}
		return 1 << day
	}
	return monthMask(dim)
}

// monthMask has bits 1..dim set.
func monthMask(dim int) uint64 { return (1<<(dim+1) - 1) &^ 1 }

func weekdayOf(day int, first time.Weekday) time.Weekday {
	return time.Weekday((int(first) + day - 1) % 7)
}

func daysIn(year int, month time.Month) int {
	switch month {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
