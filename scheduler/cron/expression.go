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
		if time.Unix(from, 0).In(loc).Year() > limit {
			return time.Time{}
		}
		p := periodAt(loc, from)
		civFrom, civEnd := from+p.offset, int64(math.MaxInt64)
		if p.end != math.MaxInt64 {
			civEnd = p.end + p.offset
		}
		if e.wallClock {
			switch {
			case p.prevOffset > p.offset:
				// Clocks went back: civil times up to the previous offset's
				// end were already shown once. Fire only at the first.
				civFrom = max(civFrom, p.start+p.prevOffset)
			case p.prevOffset < p.offset && from == p.start:
				// Clocks went forward: times in the skipped range fire
				// once, at the first instant after it.
				if _, ok := e.nextCivil(p.start+p.prevOffset, p.start+p.offset, limit); ok {
					return forward(t, time.Unix(p.start, 0).In(loc))
				}
			}
		}
		c, ok := e.nextCivil(civFrom, math.MaxInt64, limit)
		switch {
		case !ok:
			return time.Time{} // nothing matches up to the year limit
		case c < civEnd:
			return forward(t, time.Unix(c-p.offset, 0).In(loc))
		case p.end == math.MaxInt64:
			return time.Time{} // unreachable: an unbounded period has no civEnd
		}
		// The next match lies beyond this period. Skip the periods before
		// it: its instant, and the end of any gap it falls in, is at most
		// a day away from c in either direction whatever the offset.
		from = max(p.end, c-2*secondsPerDay)
	}
}

// period is a span of time during which a location's UTC offset is fixed.
type period struct {
	start, end int64 // Unix seconds, [start, end); MinInt64/MaxInt64 when unbounded
	offset     int64 // seconds east of UTC
	prevOffset int64 // the offset just before start; equal to offset when unbounded
}

// periodAt returns the period containing the instant sec.
func periodAt(loc *time.Location, sec int64) period {
	at := time.Unix(sec, 0).In(loc)
	_, off := at.Zone()
	p := period{start: math.MinInt64, end: math.MaxInt64, offset: int64(off), prevOffset: int64(off)}
	start, end := at.ZoneBounds()
	if !start.IsZero() && start.Unix() <= sec {
		p.start = start.Unix()
		p.prevOffset = offsetAt(loc, p.start-1)
	}
	switch {
	case end.IsZero():
	case end.Unix() > sec:
		p.end = end.Unix()
	default:
		// ZoneBounds can report an end at or before sec: for years past
		// the tz database's table, Go 1.26 ends periods a year after the
		// start of the year, one day short in leap years. Find the end by
		// bisection within the next day instead.
		p.end = offsetChange(loc, sec, sec+secondsPerDay, p.offset)
	}
	return p
}

const secondsPerDay = 24 * 60 * 60

func offsetAt(loc *time.Location, sec int64) int64 {
	_, off := time.Unix(sec, 0).In(loc).Zone()
	return int64(off)
}

// offsetChange returns the first second in (lo, hi] whose offset differs
// from off, which must be the offset at lo, or hi if there is none at hi.
// It assumes at most one change in between, which holds for real zones.
func offsetChange(loc *time.Location, lo, hi int64, off int64) int64 {
	if offsetAt(loc, hi) == off {
		return hi
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if offsetAt(loc, mid) == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// forward returns next, or the zero Time if next is not after t. It guards
// the contract at the edges of what time.Time can represent.
func forward(t, next time.Time) time.Time {
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

// Upcoming returns up to n successive fire times following after, as
// repeated calls to Next would; fewer if the expression runs out of fire
// times. Callers are expected to cap n.
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
