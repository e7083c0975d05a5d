//go:build chaos

package chaos

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	// Issue 15's figures: 200 datasources, 30 leader kills.
	s := settings{dataSources: 200, kills: 30, freezes: 3, ttl: 2 * time.Second, only: map[int]bool{}}
	switch {
	case os.Getenv("CHAOS_LONG") == "1":
		s.long, s.dataSources, s.kills, s.freezes = true, 500, 60, 10
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
	started := time.Now()
	c := startCluster(t, ctx, workDir(t), cfg.ttl)
	w := &workload{c: c}
	if err := w.createDataSources(ctx, cfg.dataSources); err != nil {
		t.Fatal(err)
	}
	subs := workloadSubscribers(c)
	stopWorkload := startWorkload(ctx, w, subs)
	defer stopWorkload()
	// Let the schedules and subscribers warm up.
	sleep(ctx, 10*time.Second)

	var scenarios []*scenario
	var selfChecks []string
	defer func() {
		if len(scenarios) > 0 {
			writeReport(t, renderReport(cfg, c, w, scenarios, selfChecks, time.Since(started)))
		}
	}()
	su := &suite{c: c, w: w, subs: subs, cfg: cfg}
	for _, spec := range registered() {
		if cfg.runs(spec.number) {
			s := spec.run(t, ctx, su)
			checkScenario(t, ctx, su, s)
			scenarios = append(scenarios, s)
		}
	}
	stopWorkload()
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

// workDir makes the suite's directory, kept when the suite fails or
// CHAOS_KEEP=1.
func workDir(t *testing.T) string {
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
	return dir
}

// workloadSubscribers are two per replica, over WebSocket and SSE, each
// trying its own replica first, from the stream's first event.
func workloadSubscribers(c *cluster) []*subscriber {
	var subs []*subscriber
	for i, r := range c.replicas {
		replicas := func() []string {
			var urls []string
			for j := range c.replicas {
				urls = append(urls, c.replicas[(i+j)%len(c.replicas)].url())
			}
			return urls
		}
		subs = append(subs,
			&subscriber{name: "WebSocket on " + r.id, token: c.token, replicas: replicas, fromStart: true},
			&subscriber{name: "SSE on " + r.id, token: c.token, replicas: replicas, sse: true, fromStart: true})
	}
	return subs
}

// startWorkload runs the subscribers, the file writer and two mutators
// until the returned func (safe to call twice) stops them and waits.
func startWorkload(ctx context.Context, w *workload, subs []*subscriber) func() {
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Go(func() { s.run(wctx) })
	}
	wg.Go(func() { w.writeFiles(wctx, 200*time.Millisecond) })
	for i := range 2 {
		wg.Go(func() { w.mutate(wctx, i+1, 250*time.Millisecond) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// checkScenario runs the invariant checks after a scenario.
func checkScenario(t *testing.T, ctx context.Context, su *suite, s *scenario) {
	c, w := su.c, su.w
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
	if s.streams, err = checkStreams(ctx, c, su.subs); err != nil {
		t.Errorf("%s: stream check: %v", s.name, err)
	}
	if s.mutations, err = checkMutations(ctx, c, w); err != nil {
		t.Errorf("%s: mutation check: %v", s.name, err)
	}
	t.Logf("%s: %+v %+v %+v %+v facts %v findings %v", s.name, s.slots, s.fence, s.streams, s.mutations, s.facts, s.findings)
}

// writeReport writes docs/RELIABILITY.md, or CHAOS_REPORT: a trial run's
// report goes elsewhere, and "-" puts it in the test log.
func writeReport(t *testing.T, text string) {
	path := os.Getenv("CHAOS_REPORT")
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
