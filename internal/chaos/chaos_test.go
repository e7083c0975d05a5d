//go:build chaos

package chaos

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// settings scale the suite: short defaults, CHAOS_LONG=1 for the long
// version, and each figure on its own.
type settings struct {
	dataSources int
	kills       int
	freezes     int
	ttl         time.Duration
	long        bool
	short       bool         // CHAOS_SHORT=1: the few minutes of make test
	only        map[int]bool // CHAOS_SCENARIOS: the scenarios to run; all if empty
}

// runs reports whether scenario n is to run.
func (s settings) runs(n int) bool { return len(s.only) == 0 || s.only[n] }

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func readSettings() settings {
	s := settings{dataSources: 50, kills: 5, freezes: 3, ttl: 2 * time.Second, only: map[int]bool{}}
	switch {
	case os.Getenv("CHAOS_LONG") == "1":
		s.long, s.dataSources, s.kills, s.freezes = true, 200, 30, 10
	case os.Getenv("CHAOS_SHORT") == "1":
		s.short, s.dataSources, s.kills, s.freezes = true, 20, 2, 2
	}
	s.dataSources = envInt("CHAOS_DATASOURCES", s.dataSources)
	s.kills = envInt("CHAOS_KILLS", s.kills)
	s.freezes = envInt("CHAOS_FREEZES", s.freezes)
	if d, err := time.ParseDuration(os.Getenv("CHAOS_TTL")); err == nil && d >= 2*time.Second {
		s.ttl = d
	}
	for _, f := range strings.FieldsFunc(os.Getenv("CHAOS_SCENARIOS"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if n, err := strconv.Atoi(f); err == nil {
			s.only[n] = true
		}
	}
	return s
}

// TestChaos runs the scenarios against one cluster, with the workload
// running throughout, checks the invariants after each, and writes
// docs/RELIABILITY.md.
func TestChaos(t *testing.T) {
	cfg := readSettings()
	budget := 28 * time.Minute // make chaos: under 30 minutes
	if cfg.long {
		budget = 58 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	dir, err := os.MkdirTemp("", "ezchaos-")
	if err != nil {
		t.Fatal(err)
	}
	// PostgreSQL runs as another user when we are root.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("CHAOS_KEEP") == "1" {
			t.Logf("logs kept in %s/logs", dir)
			return
		}
		os.RemoveAll(dir)
	})
	t.Logf("work directory %s (logs in logs/)", dir)
	started := time.Now()
	c := startCluster(t, ctx, dir, cfg.ttl)

	w := &workload{c: c}
	if err := w.createDataSources(ctx, cfg.dataSources); err != nil {
		t.Fatal(err)
	}
	wctx, stopWorkload := context.WithCancel(ctx)
	done := make(chan struct{})
	var subs []*subscriber
	for i, r := range c.replicas {
		own := i
		replicas := func() []string {
			var urls []string
			for j := range c.replicas {
				urls = append(urls, c.replicas[(own+j)%len(c.replicas)].url())
			}
			return urls
		}
		subs = append(subs,
			&subscriber{name: "WebSocket on " + r.id, token: c.token, replicas: replicas, fromStart: true},
			&subscriber{name: "SSE on " + r.id, token: c.token, replicas: replicas, sse: true, fromStart: true})
	}
	workers := 0
	start := func(f func()) {
		workers++
		go func() { defer func() { done <- struct{}{} }(); f() }()
	}
	for _, s := range subs {
		start(func() { s.run(wctx) })
	}
	start(func() { w.writeFiles(wctx, 200*time.Millisecond) })
	for i := range 2 {
		start(func() { w.mutate(wctx, i+1, 250*time.Millisecond) })
	}
	stopAll := func() {
		if stopWorkload != nil {
			stopWorkload()
			for range workers {
				<-done
			}
			stopWorkload = nil
		}
	}
	defer stopAll()

	// Let the schedules and subscribers warm up.
	sleep(ctx, 10*time.Second)

	var scenarios []*scenario
	var selfChecks []string
	check := func(s *scenario) {
		s.to = time.Now()
		// Slots are checked up to a few seconds before the end, once the
		// planner has caught up.
		sleep(ctx, 3*time.Second)
		var err error
		if s.slots, err = checkSlots(ctx, c, w.dataSources, s.from, s.to); err != nil {
			t.Errorf("%s: slot check: %v", s.name, err)
		}
		if s.fence, err = checkFencing(ctx, c); err != nil {
			t.Errorf("%s: fencing check: %v", s.name, err)
		}
		if s.streams, err = checkStreams(ctx, c, subs); err != nil {
			t.Errorf("%s: stream check: %v", s.name, err)
		}
		if s.mutations, err = checkMutations(ctx, c, w); err != nil {
			t.Errorf("%s: mutation check: %v", s.name, err)
		}
		scenarios = append(scenarios, s)
		t.Logf("%s: %+v %+v %+v %+v facts %v findings %v", s.name, s.slots, s.fence, s.streams, s.mutations, s.facts, s.findings)
	}
	report := func() {
		text := renderReport(cfg, c, w, scenarios, selfChecks, time.Since(started))
		path := os.Getenv("CHAOS_REPORT") // a trial run's report goes elsewhere; "-": to the test log
		if path == "-" {
			t.Log("\n" + text)
			return
		}
		if path == "" {
			path = filepath.Join(repoRoot(t), "docs", "RELIABILITY.md")
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Errorf("write %s: %v", path, err)
			return
		}
		t.Logf("wrote %s", path)
	}
	defer func() {
		if len(scenarios) > 0 {
			report()
		}
	}()

	su := &suite{c: c, w: w, subs: subs, cfg: cfg}
	for _, spec := range registered() {
		if cfg.runs(spec.number) {
			check(spec.run(t, ctx, su))
		}
	}
	stopAll()
	if len(scenarios) > 0 {
		lines, err := checkTheChecks(ctx, c, w, subs, scenarios[len(scenarios)-1].from)
		if err != nil {
			t.Errorf("checking the checks: %v", err)
		}
		for _, l := range lines {
			if strings.Contains(l, "NOT caught") {
				t.Errorf("a check missed a breach made on purpose: %s", l)
			}
		}
		selfChecks = lines
	}
	for _, s := range scenarios {
		for _, f := range breaches(s) {
			t.Errorf("%s: %s", s.name, f)
		}
	}
	if ctx.Err() != nil {
		t.Errorf("the suite ran out of time (%v)", ctx.Err())
	}
}
