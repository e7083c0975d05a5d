//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// breaches lists what a scenario found against the invariants.
func breaches(s *scenario) []string {
	out := append([]string(nil), s.findings...)
	add := func(n int, what string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(s.slots.Duplicates, "duplicate (datasource, slot) runs")
	add(s.slots.Unaccounted, "unaccounted slots")
	add(s.slots.DoubleCounted, "slots accounted for twice")
	add(s.slots.OffGrid, "runs off their schedule's slots")
	add(s.slots.BadSlotCount, "MISSED rows with a wrong slot_count")
	add(s.slots.PolicyBreaches, "slots handled against their misfire policy")
	add(s.fence.NoEpoch+s.fence.UnknownEpoch, "planned runs without a recorded epoch")
	add(s.fence.BeforeItsEpoch, "runs planned before their epoch was recorded")
	add(s.fence.AfterNewerEpoch, "runs planned by an epoch after a newer one began")
	add(s.fence.JobsPerRunOverOne, "runs with more than one River job")
	add(s.fence.JobsForNonRuns, "River jobs for MISSED or SKIPPED slots")
	for _, st := range s.streams {
		add(st.Missing, "events missed by the subscriber "+st.Subscriber)
		add(st.Repeated, "events repeated to the subscriber "+st.Subscriber)
		add(st.OutOfOrder, "events out of order for the subscriber "+st.Subscriber)
	}
	add(s.mutations.Lost, "acknowledged mutations lost")
	add(s.mutations.SameVersion, "acknowledged updates that share a version (lost updates)")
	return out
}

// percentile is the nearest-rank p-th percentile of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(i, 0)]
}

func machine(c *cluster) string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	var pg string
	_ = c.db.QueryRow(context.Background(), `SHOW server_version`).Scan(&pg)
	return fmt.Sprintf("%d CPUs (%s), Linux %s, %s, PostgreSQL %s, etcd 3.7 (embedded in ezplatform)",
		runtime.NumCPU(), model, strings.TrimSpace(string(kernel)), runtime.Version(), pg)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// fixedFindings are the defects the suite found in earlier runs, each fixed
// at its root and guarded by its scenario since.
var fixedFindings = []string{
	"I5, scenario 1 in the long run (200 datasources, 30 kills): all three subscribers missed the same few `RUN_STARTED` " +
		"events (3 to 50 a run) that were in the events table. The stream's horizon looked for writers' transaction ids in " +
		"pg_locks, where PostgreSQL puts a new id only after snapshots can see it; it reads them from the proc array now " +
		"(migration 21, `TestEventListUnderConcurrentWriters`).",
	"I2, scenario 2: a leader frozen inside its fenced planner transaction held the fencing row for the whole freeze " +
		"(failover p99 17.1 s for 17 s freezes) and committed 40–120 runs of its dead epoch after waking; planner " +
		"transactions now end after the session TTL idle (`TestFrozenLeaderReleasesTheFence`).",
	"I6, scenario 6: 1,000 subscribers resuming at once each read the events table and executed every replayed event " +
		"for itself; the planner's start lag reached p99 16 s and 58 of them got nothing in 20 s. Resumes now replay " +
		"the hub's last 10,000 messages when they reach back to the cursor (shared messages and executions), and table " +
		"reads of subscriptions queue in the hub, four at a time (`TestResumeFromMemoryAndFromTable`).",
	"I7, scenario 8: a selection of 8,000 copies of one field (40 KB) took a replica 3 s to refuse, and up to 70 s at " +
		"9,900: validation compares same-named fields pairwise and ran before the field limit. Documents are checked " +
		"before validation now (`TestHostileQueries`).",
	"I7, scenario 8: the parsed-document cache, bounded by count, kept 100 distinct 1 MiB queries (106 MB); both " +
		"caches are bounded by bytes now (`TestBoundedCacheByBytes`).",
	"Scenario 9: a file rewritten while discovery read it was recorded with the scan's size and mtime and the hash " +
		"and record count of other bytes; a file that changed is now kept as a look until it holds still " +
		"(`TestInspectFileInSeesAWriter`, `TestInspectNewFilesWaitsForAFileThatChanged`).",
}

// renderScenario writes one scenario's section and returns its breaches,
// each prefixed with the scenario's name.
func renderScenario(p func(string, ...any), s *scenario) []string {
	p("## %s", s.name)
	p("")
	p("Faults injected (UTC):")
	p("")
	for _, f := range s.faults {
		p("- %s", f)
	}
	if len(s.faults) == 0 {
		p("- none")
	}
	p("")
	renderFailovers(p, s.failovers)
	for _, f := range s.facts {
		p("- %s", f)
	}
	if len(s.facts) > 0 {
		p("")
	}
	renderCounts(p, s)
	p("")
	br := breaches(s)
	var all []string
	if len(br) == 0 {
		p("Every invariant held.")
	} else {
		p("**Breaches:**")
		p("")
		for _, f := range br {
			p("- %s", f)
			all = append(all, s.name+": "+f)
		}
		notes := append(append([]string(nil), s.slots.Notes...), s.fence.Notes...)
		for _, st := range s.streams {
			notes = append(notes, st.MissingSample...)
		}
		for _, n := range notes {
			p("  - %s", n)
		}
	}
	p("")
	return all
}

func renderFailovers(p func(string, ...any), failovers []failover) {
	if len(failovers) == 0 {
		return
	}
	var el, fr []time.Duration
	for _, f := range failovers {
		el = append(el, f.elected)
		if f.firstRun > 0 {
			fr = append(fr, f.firstRun)
		}
	}
	p("| Failover, from the fault (%d) | p50 | p99 | max |", len(failovers))
	p("|---|---|---|---|")
	p("| to the new leader's epoch, committed (`leadership_history`) | %s | %s | %s |", ms(percentile(el, .5)), ms(percentile(el, .99)), ms(percentile(el, 1)))
	if len(fr) > 0 {
		p("| to its first planned run | %s | %s | %s |", ms(percentile(fr, .5)), ms(percentile(fr, .99)), ms(percentile(fr, 1)))
	}
	p("")
}

// renderCounts is the table of each invariant's counts.
func renderCounts(p func(string, ...any), s *scenario) {
	p("| Invariant | Check | Count |")
	p("|---|---|---|")
	p("| I1 | duplicate (datasource, slot) runs | %d |", s.slots.Duplicates)
	p("| I1 | runs with more than one River job | %d |", s.fence.JobsPerRunOverOne)
	p("| I1 | River jobs for MISSED or SKIPPED slots | %d |", s.fence.JobsForNonRuns)
	p("| I3 | slots in the window (all datasources) | %d |", s.slots.Slots)
	p("| I3 | unaccounted slots | %d |", s.slots.Unaccounted)
	p("| I3 | slots accounted for twice | %d |", s.slots.DoubleCounted)
	p("| I3 | rows off their schedule's slots, or with a wrong slot_count | %d |", s.slots.OffGrid+s.slots.BadSlotCount)
	p("| I3 | slots recorded MISSED / runs planned late (catch-ups) | %d / %d |", s.slots.MissedSlots, s.slots.CatchUps)
	for _, pol := range misfirePolicies {
		p("| I3 | %s: slots MISSED / MISSED rows / runs planned late | %d / %d / %d |", pol, s.slots.MissedByPolicy[pol], s.slots.RangesByPolicy[pol], s.slots.LateByPolicy[pol])
	}
	p("| I3 | slots handled against their misfire policy | %d |", s.slots.PolicyBreaches)
	p("| I2 | leaders so far / planned runs checked | %d / %d |", s.fence.Epochs, s.fence.PlannedRuns)
	p("| I2 | runs planned by an epoch after a newer one began | %d |", s.fence.AfterNewerEpoch)
	p("| I2 | runs planned before their epoch, or without one | %d |", s.fence.BeforeItsEpoch+s.fence.NoEpoch+s.fence.UnknownEpoch)
	p("| I4 | acknowledged mutations / lost | %d / %d |", s.mutations.Acked, s.mutations.Lost)
	p("| I4 | acknowledged updates sharing a version (lost update) | %d |", s.mutations.SameVersion)
	p("| I4 | VERSION_CONFLICT answers / unanswered (replica killed, frozen or cut off) | %d / %d |", s.mutations.Conflicts, s.mutations.Unknown)
	for _, st := range s.streams {
		p("| I5 | subscriber %s: events / reconnects | %d / %d |", st.Subscriber, st.Events, st.Reconnects)
		p("| I5 | subscriber %s: missed / repeated / out of order | %d / %d / %d |", st.Subscriber, st.Missing, st.Repeated, st.OutOfOrder)
	}
}

// renderReport writes docs/RELIABILITY.md.
func renderReport(cfg settings, c *cluster, w *workload, scenarios []*scenario, selfChecks []string, took time.Duration) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Reliability: the fault and load suite")
	p("")
	p("Generated by `make chaos` (internal/chaos, build tag `chaos`); do not edit by hand.")
	p("Each scenario below injects faults into real processes on loopback (PostgreSQL,")
	p("three `ezplatform etcd` members, three `ezplatform serve` replicas) while the")
	p("workload runs, then checks the invariants of DESIGN.md from PostgreSQL and from")
	p("what the subscribers received.")
	p("")
	p("- Run: %s UTC, %v in all", time.Now().UTC().Format("2006-01-02 15:04"), took.Round(time.Second))
	cmd := "make chaos"
	switch {
	case cfg.long:
		cmd = "make chaos CHAOS_LONG=1"
	case cfg.short:
		cmd = "make chaos CHAOS_SHORT=1 (the short version make test runs)"
	}
	p("- Command: `%s` (settings: %d datasources, %d leader kills, %d freezes, session TTL %v)", cmd, cfg.dataSources, cfg.kills, cfg.freezes, cfg.ttl)
	p("- Machine: %s", machine(c))
	p("- Variants: `make chaos CHAOS_LONG=1` is the long version (500 datasources, 60 kills, 10 freezes, 2 minutes of mutation load); `CHAOS_DATASOURCES`, `CHAOS_KILLS`, `CHAOS_FREEZES`, `CHAOS_TTL` set one figure, `CHAOS_SCENARIOS=3,7` runs only those scenarios, `CHAOS_KEEP=1` keeps the processes' logs, `BIN` uses a built binary.")
	var files = w.files.Load()
	p("- Workload, throughout: %d datasources on 1–5 s interval schedules (misfire FIRE_ONCE, SKIP, FIRE_ALL and overlap SKIP, ALLOW, BUFFER_ONE in turn), %d CSV files dropped into their directories, two mutators sending `updateDataSource` with `expectedVersion` every 250 ms to the live replicas in turn, and two `scheduleEvents` subscribers per replica, one over WebSocket (graphql-transport-ws, token in `connection_init`) and one over SSE (`Accept: text/event-stream`, token in `Authorization`), each resuming with `after`, on any live replica, when cut off.", len(w.dataSources), files)
	p("")
	p("The counts are exact. The slot checks (I1, I3) cover each scenario's window; the")
	p("fencing (I2), stream (I5) and mutation (I4) checks cover everything since the start.")
	p("")
	var all []string
	for _, s := range scenarios {
		all = append(all, renderScenario(p, s)...)
	}
	p("## The checks catch breaches")
	p("")
	p("After the scenarios, the suite breaks the record on purpose (in the throwaway")
	p("database, and in copies of what the subscribers and mutators recorded) and runs")
	p("the checks again: a check that never fails would prove nothing.")
	p("")
	for _, l := range selfChecks {
		p("- %s", l)
	}
	p("")
	p("## Found and fixed by this suite")
	p("")
	for _, l := range fixedFindings {
		p("- %s", l)
	}
	p("")
	p("## Not covered")
	p("")
	p("- A directory made unreadable with chmod 000 is tried only when the suite does not run as root,")
	p("  whom it does not stop (CI runs as root); a regular file and a symlink loop in the directory's")
	p("  place stand in for it (scenario 9).")
	p("- Faults of the machine itself (power loss, a full disk, clock jumps): PostgreSQL runs without")
	p("  fsync here, which only a machine crash would show.")
	if len(all) > 0 {
		p("")
		p("## Findings")
		p("")
		for _, f := range all {
			p("- %s", f)
		}
		if strings.Contains(strings.Join(all, "\n"), "could take over") {
			p("")
			p(frozenInTxFinding)
		}
	}
	return b.String()
}

// frozenInTxFinding explains the frozen-leader breaches, when the run finds
// them (issue 15's scenario 2 freezes a leader inside a planner transaction
// on purpose).
const frozenInTxFinding = `**A leader frozen inside a planner transaction blocks the failover for as long
as it is frozen, then commits its batch after it has lost its lease.** The
planner plans a slot ahead and waits, idle in its transaction, to commit at
the slot (docs/SCHEDULER.md), holding the fencing row lock
(` + "`SELECT epoch FROM scheduler_leader FOR UPDATE`" + `), its datasources' row locks
and the events table's lock. Frozen there (SIGSTOP here; a VM pause, a long GC
or swap stall, or a network partition from etcd with the PostgreSQL connection
still open do the same), its etcd lease expires and etcd elects another
replica within the TTL, but the new leader's ` + "`LeaderRecord`" + `
(` + "`UPDATE scheduler_leader …`" + `) waits on the row lock: nothing is planned by
anyone until the old process wakes (or its connection dies, which for a
half-open TCP connection is PostgreSQL's keepalive, two hours by default);
` + "`updateDataSource`" + ` on the locked datasources waits too, and every stream waits behind the
open event writer. When the old process wakes, its transaction commits (runs and
River jobs of the old epoch appear after etcd elected a successor, their slots
started late as if on time) or, when the replica notices its lost lease first,
rolls back; only then does the new leader record its epoch. No slot is duplicated or lost (the row lock
serialises the batch before the new epoch, and the checks above hold), but
fencing does not stop the old leader from enqueueing once it has lost etcd
(DESIGN.md I2 says it can not), and failover is unbounded instead of a TTL.
Reproduce: ` + "`make chaos`" + ` (its first and third freezes wait until a planner
transaction has been idle a few milliseconds, then SIGSTOP the leader), or by
hand on ` + "`make cluster`" + `: ` + "`kill -STOP`" + ` the leader's pid while ` + "`SELECT pid, state FROM pg_stat_activity WHERE state = 'idle in transaction'`" + `
shows its planner session, and watch ` + "`ops.leadership`" + `. A likely fix, in the
product: give the planner's connections an ` + "`idle_in_transaction_session_timeout`" + `
well under the TTL (its own idle wait is at most 100 ms), so that PostgreSQL
ends a frozen planner's transaction and releases the lock; and/or let the new
leader, once elected in etcd, end the backend that blocks its ` + "`LeaderRecord`" + `
(` + "`pg_blocking_pids`" + `, ` + "`pg_terminate_backend`" + `) after a short ` + "`lock_timeout`" + `.`
