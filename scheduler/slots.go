package scheduler

import "time"

// dueSlots describes the slots of a schedule from a first due slot through
// now, without listing them all: a week-long outage of a 1-second schedule
// has 604,800 of them.
type dueSlots struct {
	count int
	first time.Time
	// tail holds the last slots through now, ascending, at most keep of them.
	tail []time.Time
	// next is the first slot after now, or the zero Time if none.
	next time.Time
}

// due returns the slots from first (itself a slot) through now, keeping the
// last keep of them. Interval schedules are counted arithmetically; cron
// schedules are walked, which costs well under a microsecond per slot.
func (s *Spec) due(first, now time.Time, keep int) dueSlots {
	out := dueSlots{first: first}
	if first.After(now) {
		out.next = first
		return out
	}
	if s.cron == nil {
		out.count = int(now.Sub(first)/s.interval) + 1
		last := first.Add(time.Duration(out.count-1) * s.interval)
		for i := min(keep, out.count) - 1; i >= 0; i-- {
			out.tail = append(out.tail, last.Add(-time.Duration(i)*s.interval).In(s.location))
		}
		out.next = last.Add(s.interval).In(s.location)
		return out
	}
	slot := first
	for !slot.IsZero() && !slot.After(now) {
		out.count++
		if len(out.tail) == keep {
			out.tail = append(out.tail[:0], out.tail[1:]...)
		}
		out.tail = append(out.tail, slot)
		slot = s.Next(slot)
	}
	out.next = slot
	return out
}
