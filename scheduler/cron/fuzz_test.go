package cron

import (
	"errors"
	"testing"
	"time"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"0 0 12 * * ?", "0 15 10 ? * 6L 2002-2005", "0 15 10 ? * 6#3", "0 0 12 LW * ?",
		"0 0 12 L-3W * ?", "0 0 12 1W * ?", "*/30 * * * * ?", "0 */5 * * * ?", "0 0 */2 * * ?",
		"0 0 22-2 * * ?", "0 0 12 ? * FRI-MON", "30 2 31 2 1", "0 0 */2 * 1", "@daily", "@every 5m",
		"0 0 0 29 2 ? 2028/4", "0 0 0 ? 2 1#5", "0 0 0 30 2 ?", "", "a b c d e f g",
		"0-59/7,3 1,2-5/3 * 1-31/2 JAN-DEC/5 ?",
	} {
		f.Add(seed, int64(1_767_225_600), uint8(0)) // 2026-01-01T00:00:00Z
	}
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"America/New_York", "Europe/London", "Australia/Lord_Howe", "America/Santiago"} {
		if loc, err := time.LoadLocation(name); err == nil {
			zones = append(zones, loc)
		}
	}
	const (
		y2000  = 946_684_800
		offset = 200 * 365 * secondsPerDay // keep times within about 1800-2200
	)
	f.Fuzz(func(t *testing.T, expr string, sec int64, zone uint8) {
		e, err := Parse(expr)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || e != nil {
				t.Fatalf("Parse(%q) = %v, %v; want nil and a *ParseError", expr, e, err)
			}
			_ = pe.Error()
			return
		}
		from := time.Unix(y2000+sec%offset, 0).In(zones[int(zone)%len(zones)])
		for range 3 {
			next := e.Next(from)
			if next.IsZero() {
				if e.years == nil {
					t.Fatalf("%q: Next(%v) is zero without a year field", expr, from)
				}
				return
			}
			if !next.After(from) {
				t.Fatalf("%q: Next(%v) = %v, not after", expr, from, next)
			}
			from = next
		}
	})
}
