package scheduler

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/scheduler/cron"
	"github.com/ezplatform/ezplatform/store"
)

// MinInterval is the shortest interval schedule accepted.
const MinInterval = time.Second

// MaxUpcoming caps how many fire times Upcoming computes, so that a request
// cannot ask for an unbounded amount of work.
const MaxUpcoming = 100

// DefaultAnchor is the origin of interval slots unless a schedule names
// another: with it "1h" fires on the hour and "15m" on the quarter hour.
var DefaultAnchor = time.Unix(0, 0).UTC()

// Anchors outside these years are refused: slot arithmetic stays far from
// time.Duration's ±292-year range.
var (
	minAnchor = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAnchor = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Spec is a parsed schedule: a cron expression or an anchored interval, read
// in a time zone. The zero Spec is not valid; build one with ParseSpec.
type Spec struct {
	cron     *cron.Expression
	interval time.Duration
	anchor   time.Time
	location *time.Location
}

// SpecError says which part of a schedule is wrong and why. Field is one of
// "cron", "interval", "anchor" and "timezone".
type SpecError struct {
	Field string
	Msg   string
}

func (e *SpecError) Error() string { return "scheduler: " + e.Field + ": " + e.Msg }

// ParseSpec validates a schedule. Exactly one of cronExpr and interval must be
// non-empty. interval uses Go duration syntax ("2s", "1h30m"). A zero anchor
// means DefaultAnchor. An empty timezone means UTC.
func ParseSpec(cronExpr, interval string, anchor time.Time, timezone string) (*Spec, error) {
	loc, err := LoadLocation(timezone)
	if err != nil {
		return nil, err
	}
	cronExpr, interval = strings.TrimSpace(cronExpr), strings.TrimSpace(interval)
	switch {
	case cronExpr != "" && interval != "":
		return nil, &SpecError{Field: "cron", Msg: "give either cron or interval, not both"}
	case cronExpr == "" && interval == "":
		return nil, &SpecError{Field: "cron", Msg: "give a cron expression or an interval"}
	case cronExpr != "":
		return newSpec(cronExpr, 0, anchor, loc)
	}
	d, err := ParseInterval(interval)
	if err != nil {
		return nil, err
	}
	return newSpec("", d, anchor, loc)
}

// SpecOf parses a stored schedule: its cron expression, or else its
// interval as stored (not formatted and parsed again). The planner and the
// API call it through a SpecCache, once per datasource version.
func SpecOf(s *store.Schedule) (*Spec, error) {
	loc, err := LoadLocation(s.Timezone)
	if err != nil {
		return nil, err
	}
	if s.Cron == "" && s.Interval < MinInterval {
		return nil, &SpecError{Field: "interval", Msg: fmt.Sprintf("%s is shorter than the minimum of %s", s.Interval, MinInterval)}
	}
	return newSpec(s.Cron, s.Interval, s.Anchor, loc)
}

// newSpec builds the Spec of a cron expression, when it is not empty, or
// else of an interval already checked against MinInterval.
func newSpec(cronExpr string, interval time.Duration, anchor time.Time, loc *time.Location) (*Spec, error) {
	if cronExpr != "" {
		expr, err := cron.Parse(strings.TrimSpace(cronExpr))
		if err != nil {
			var perr *cron.ParseError
			if errors.As(err, &perr) {
				return nil, &SpecError{Field: "cron", Msg: perr.Error()}
			}
			return nil, &SpecError{Field: "cron", Msg: err.Error()}
		}
		return &Spec{cron: expr, location: loc}, nil
	}
	if anchor.IsZero() {
		anchor = DefaultAnchor
	}
	if anchor.Before(minAnchor) || !anchor.Before(maxAnchor) {
		return nil, &SpecError{Field: "anchor", Msg: fmt.Sprintf("must be between %d and %d", minAnchor.Year(), maxAnchor.Year()-1)}
	}
	return &Spec{interval: interval, anchor: anchor.UTC(), location: loc}, nil
}

// ParseInterval parses a Go duration of at least MinInterval.
func ParseInterval(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, &SpecError{Field: "interval", Msg: fmt.Sprintf("%q is not a duration; use Go syntax such as \"30s\", \"5m\" or \"1h30m\"", s)}
	}
	if d < MinInterval {
		return 0, &SpecError{Field: "interval", Msg: fmt.Sprintf("%s is shorter than the minimum of %s", d, MinInterval)}
	}
	return d, nil
}

// LoadLocation loads an IANA time zone. "" means UTC; "Local" is refused,
// because it would mean different things on different replicas.
func LoadLocation(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	if name == "Local" || len(name) > 64 {
		return nil, &SpecError{Field: "timezone", Msg: fmt.Sprintf("%q is not an IANA time zone name such as \"Europe/Paris\"", truncate(name, 64))}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &SpecError{Field: "timezone", Msg: fmt.Sprintf("unknown time zone %q; use an IANA name such as \"Europe/Paris\" or \"UTC\"", name)}
	}
	return loc, nil
}

// Next returns the first slot strictly after t, in the schedule's time zone,
// or the zero Time when the schedule never fires again.
func (s *Spec) Next(t time.Time) time.Time {
	if s.cron != nil {
		return s.cron.Next(t.In(s.location))
	}
	if t.Before(s.anchor) {
		return s.anchor.In(s.location)
	}
	k := t.Sub(s.anchor)/s.interval + 1
	return s.anchor.Add(k * s.interval).In(s.location)
}

// Upcoming returns up to n (at most MaxUpcoming) slots after t, in order.
func (s *Spec) Upcoming(t time.Time, n int) []time.Time {
	n = min(max(n, 0), MaxUpcoming)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// Location returns the time zone the schedule is read in.
func (s *Spec) Location() *time.Location { return s.location }

// Interval returns the interval of an interval schedule, or 0 for a cron
// schedule.
func (s *Spec) Interval() time.Duration { return s.interval }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
