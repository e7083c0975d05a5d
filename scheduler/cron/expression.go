package cron

import (
	"math"
	"math/bits"
	"time"
)

// Expression is a parsed cron expression. It is immutable and safe for
// concurrent use.
type Expression struct {
	text string

	second, minute, hour uint64 // bit n set means value n matches
	dom                  domSpec
	month                uint64    // bits 1-12
	dow                  dowSpec   // weekdays as time.Weekday
	years                *valueSet // bit i means year 1970+i; nil means any year

	// union is the Vixie rule: with both day fields restricted, a day
	// matches when either field does. Otherwise both must match.
	union bool
	// wallClock marks expressions that name specific times of day, as
	// opposed to repeating ones; it selects the daylight saving rules.
	wallClock bool
}

// String returns the expression as given (trimmed).
func (e *Expression) String() string { return e.text }

// searchYears bounds how far Next looks for expressions without a year
// field. The Gregorian calendar repeats every 400 years and Parse has
// refused expressions that match no date, so a match is always nearer.
const searchYears = 400

// Next returns the first fire time strictly after t, evaluated in t's
// location (callers pass t.In(loc)); the result is in that location. It
// returns the zero Time when there is no later fire time, which only happens
// when the year field is exhausted.
//
// Nonexistent and repeated wall-clock times around daylight saving changes
// are handled as described in the package documentation. Successive calls
// that feed each result back in yield strictly increasing times.
func (e *Expression) Next(t time.Time) time.Time {
	if e == nil || e.month == 0 { // the zero Expression never fires
		return time.Time{}
	}
	loc := t.Location()
	limit := t.Year() + searchYears
	if e.years != nil {
		limit = e.lastYear()
	}
	if t.Year() > limit {
		return time.Time{}
	}
	// Work one zone period at a time: inside a period the UTC offset is
	// fixed, so wall-clock ("civil") time is just Unix time plus the offset,
	// and the matching can be done on civil seconds.
	from := t.Unix() + 1 // fire times are whole seconds; Unix() rounds down
	for {
		at := time.Unix(from, 0).In(loc)
		if at.Year() > limit {
			return time.Time{}
		}
		_, off := at.Zone()
		start, end := at.ZoneBounds()
		civFrom, civEnd := from+int64(off), int64(math.MaxInt64)
		if !end.IsZero() {
			civEnd = end.Unix() + int64(off)
		}
		if !start.IsZero() && e.wallClock {
			_, prevOff := start.Add(-time.Second).Zone()
			switch {
			case prevOff > off:
				// Clocks went back: civil times up to the previous offset's
				// end were already shown once. Fire only at the first.
				civFrom = max(civFrom, start.Unix()+int64(prevOff))
			case prevOff < off && from == start.Unix():
				// Clocks went forward: times in the skipped range fire
				// once, at the first instant after it.
				gapFrom, gapEnd := start.Unix()+int64(prevOff), start.Unix()+int64(off)
				if _, ok := e.nextCivil(gapFrom, gapEnd, limit); ok {
					return e.checked(t, start)
				}
			}
		}
		if c, ok := e.nextCivil(civFrom, civEnd, limit); ok {
			return e.checked(t, time.Unix(c-int64(off), 0).In(loc))
		}
		if end.IsZero() || end.Unix() <= from {
			return time.Time{}
		}
		from = end.Unix()
	}
}

// checked guards the contract that results move forward even for times at
// the edges of what time.Time can represent.
func (e *Expression) checked(t, next time.Time) time.Time {
	if !next.After(t) {
		return time.Time{}
	}
	return next
}

// nextCivil returns the first matching civil time c with from <= c < end,
// where civil times are wall-clock readings counted in seconds as if the
// clock were UTC. It jumps field by field, so it costs at most a few steps
// per month scanned.
func (e *Expression) nextCivil(from, end int64, limit int) (int64, bool) {
	if from >= end {
		return 0, false
	}
	ft := time.Unix(from, 0).UTC()
	y, mon, d := ft.Date()
	h, mi, s := ft.Clock()
	m := int(mon)
	for y <= limit {
		if time.Date(y, time.Month(m), d, h, mi, s, 0, time.UTC).Unix() >= end {
			return 0, false
		}
		if ny, ok := e.nextYear(y); !ok {
			return 0, false
		} else if ny != y {
			y, m, d, h, mi, s = ny, 1, 1, 0, 0, 0
			continue
		}
		nm := nextBit(e.month, m)
		if nm < 0 {
			y, m, d, h, mi, s = y+1, 1, 1, 0, 0, 0
			continue
		}
		if nm != m {
			m, d, h, mi, s = nm, 1, 0, 0, 0
			continue
		}
		nd := nextBit(e.dayMask(y, time.Month(m)), d)
		if nd < 0 {
			if m++; m > 12 {
				y, m = y+1, 1
			}
			d, h, mi, s = 1, 0, 0, 0
			continue
		}
		if nd != d {
			d, h, mi, s = nd, 0, 0, 0
			continue
		}
		nh := nextBit(e.hour, h)
		if nh < 0 {
			d, h, mi, s = d+1, 0, 0, 0 // past the month's end, the day mask moves on
			continue
		}
		if nh != h {
			h, mi, s = nh, 0, 0
			continue
		}
		nmi := nextBit(e.minute, mi)
		if nmi < 0 {
			h, mi, s = h+1, 0, 0
			continue
		}
		if nmi != mi {
			mi, s = nmi, 0
			continue
		}
		ns := nextBit(e.second, s)
		if ns < 0 {
			mi, s = mi+1, 0
			continue
		}
		c := time.Date(y, time.Month(m), d, h, mi, ns, 0, time.UTC).Unix()
		return c, c < end
	}
	return 0, false
}

// dayMask returns the matching days of a month as bits 1-31.
func (e *Expression) dayMask(year int, month time.Month) uint64 {
	dim := daysIn(year, month)
	first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC).Weekday()
	dm, wm := e.dom.mask(dim, first), e.dow.mask(dim, first)
	if e.union {
		return dm | wm
	}
	return dm & wm
}

// nextYear returns the first allowed year >= y.
func (e *Expression) nextYear(y int) (int, bool) {
	if e.years == nil {
		return y, true
	}
	for i := max(y-minYear, 0); i <= maxYear-minYear; i++ {
		if e.years.has(i) {
			return minYear + i, true
		}
	}
	return 0, false
}

func (e *Expression) lastYear() int {
	for i := maxYear - minYear; i >= 0; i-- {
		if e.years.has(i) {
			return minYear + i
		}
	}
	return minYear - 1
}

// firesSomeday reports whether any date matches. Years 1970-2099 contain
// every combination of leap year and weekday of January 1st, and month
// masks depend on nothing else, so checking them decides it for good.
func (e *Expression) firesSomeday() bool {
	for y := minYear; y <= maxYear; y++ {
		if e.years != nil && !e.years.has(y-minYear) {
			continue
		}
		for m := time.January; m <= time.December; m++ {
			if e.month&(1<<m) != 0 && e.dayMask(y, m) != 0 {
				return true
			}
		}
	}
	return false
}

// nextBit returns the lowest set bit of set at position >= from, or -1.
func nextBit(set uint64, from int) int {
	if from > 63 {
		return -1
	}
	rest := set >> uint(from) << uint(from)
	if rest == 0 {
		return -1
	}
	return bits.TrailingZeros64(rest)
}

// Upcoming returns the next n fire times after after, fewer if the
// expression runs out of fire times. Callers are expected to cap n.
func Upcoming(e *Expression, after time.Time, n int) []time.Time {
	var times []time.Time
	for range max(n, 0) {
		after = e.Next(after)
		if after.IsZero() {
			break
		}
		times = append(times, after)
	}
	return times
}
