//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// suite is what every scenario gets: the cluster, the workload that runs
// throughout, its subscribers and the settings.
type suite struct {
	c    *cluster
	w    *workload
	subs []*subscriber
	cfg  settings
}

// scenarioSpec is one numbered scenario of the suite.
type scenarioSpec struct {
	number int
	run    func(t *testing.T, ctx context.Context, su *suite) *scenario
}

var scenarioSpecs []scenarioSpec

// register adds scenario number; each scenario's file registers it in init,
// and the suite runs them in number order (CHAOS_SCENARIOS picks some).
func register(number int, run func(t *testing.T, ctx context.Context, su *suite) *scenario) {
	scenarioSpecs = append(scenarioSpecs, scenarioSpec{number, run})
}

func registered() []scenarioSpec {
	return slices.SortedFunc(slices.Values(scenarioSpecs), func(a, b scenarioSpec) int { return a.number - b.number })
}

func init() {
	register(1, func(t *testing.T, ctx context.Context, su *suite) *scenario {
		return leaderKills(t, ctx, su.c, su.cfg.kills)
	})
	register(2, func(t *testing.T, ctx context.Context, su *suite) *scenario {
		return frozenLeader(t, ctx, su.c, su.cfg.freezes)
	})
	register(4, func(t *testing.T, ctx context.Context, su *suite) *scenario { return quorumLoss(t, ctx, su.c) })
}

// failover is one leader change after a fault, measured from the fault.
type failover struct {
	killed    string
	elected   time.Duration // to the new leader's leadership_history row
	firstRun  time.Duration // to its first planned run
	newLeader string
}

// scenario is what one scenario did and what the checks found.
type scenario struct {
	name      string
	from, to  time.Time
	faults    []string
	facts     []string // measured figures, "what: value"
	findings  []string // invariant breaches and surprises, in words
	failovers []failover
	slots     slotCounts
	fence     fenceCounts
	streams   []streamCounts
	mutations mutationCounts
}

func (s *scenario) fault(format string, args ...any) {
	s.faults = append(s.faults, time.Now().UTC().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
}

func (s *scenario) fact(format string, args ...any) {
	s.facts = append(s.facts, fmt.Sprintf(format, args...))
}
func (s *scenario) finding(format string, args ...any) {
	s.findings = append(s.findings, fmt.Sprintf(format, args...))
}

// leaderKills SIGKILLs the leader kills times, every 10-20 s, measures each
// failover and restarts the killed replica as a follower.
func leaderKills(t *testing.T, ctx context.Context, c *cluster, kills int) *scenario {
	s := &scenario{name: fmt.Sprintf("1. Leader kills (%d × SIGKILL of the leader, every 10–20 s)", kills), from: time.Now()}
	for i := range kills {
		sleep(ctx, 10*time.Second+rand.N(10*time.Second))
		leader, tm, err := c.currentLeader(ctx, time.Minute)
		if err != nil {
			s.finding("kill %d: %v", i+1, err)
			continue
		}
		killedAt := time.Now()
		leader.kill(t)
		s.fault("SIGKILL %s (pid %d), leader of epoch %d", leader.id, leader.pid(), tm.epoch)
		next, err := c.newerTerm(ctx, tm.epoch, time.Minute)
		if err != nil {
			s.finding("kill %d: no new leader within a minute of killing %s", i+1, leader.id)
		} else {
			f := failover{killed: leader.id, newLeader: next.replicaID, elected: next.seenAt.Sub(killedAt)}
			if at, err := c.firstPlanned(ctx, next.epoch, 30*time.Second); err == nil {
				f.firstRun = at.Sub(killedAt)
			} else {
				s.finding("kill %d: epoch %d planned nothing within 30 s", i+1, next.epoch)
			}
			s.failovers = append(s.failovers, f)
		}
		c.startReplica(t, leader)
	}
	return s
}

// frozenLeader SIGSTOPs the leader for longer than the TTL, freezes
// times, waits for another to take over, SIGCONTs it, and checks that the
// old leader's epoch commits nothing after it wakes (I2). What the frozen
// epoch enqueued is counted from what PostgreSQL shows just before the
// SIGCONT and a few TTLs after it, not from created_at (a transaction's
// start): a transaction that was open when the process froze commits, if
// at all, after it wakes.
func frozenLeader(t *testing.T, ctx context.Context, c *cluster, freezes int) *scenario {
	s := &scenario{name: fmt.Sprintf("2. Frozen leader (%d × SIGSTOP of the leader past the TTL, SIGCONT after a takeover)", freezes), from: time.Now()}
	for i := range freezes {
		// A random phase against the slots, so that some freezes land
		// inside a planner transaction.
		sleep(ctx, 5*time.Second+rand.N(3*time.Second))
		leader, tm, err := c.currentLeader(ctx, time.Minute)
		if err != nil {
			s.finding("freeze %d: %v", i+1, err)
			continue
		}
		others := map[*replica]int64{}
		for _, r := range c.replicas {
			if r != leader {
				others[r] = logSize(r.log)
			}
		}
		// Every other freeze lands inside a planner transaction on purpose:
		// the harness waits until the fencing row is locked by a session
		// idle in its transaction (the planner waits for its slot).
		where := "between planner transactions, at a random moment"
		if i%2 == 0 {
			where = "at a random moment (no planner transaction seen)"
			if plannerInTx(ctx, c, 10*time.Second) {
				where = "inside a planner transaction (fencing row locked)"
			}
		}
		if err := leader.signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		stoppedAt := c.dbNow(ctx)
		if i%2 != 0 {
			where = "at a random moment"
		}
		s.fault("SIGSTOP %s (pid %d), leader of epoch %d, %s", leader.id, leader.pid(), tm.epoch, where)
		wait := 5*c.ttl + 5*time.Second
		next, err := c.newerTerm(ctx, tm.epoch, wait)
		blocked := err != nil
		if blocked {
			for r, from := range others {
				if _, at, ok := firstLogLine(r.log, from, "scheduler: elected leader"); ok {
					s.fact("freeze %d: etcd elected %s %v after the SIGSTOP, but it had not recorded its epoch in PostgreSQL %v after it", i+1, r.id, at.Sub(stoppedAt).Round(time.Millisecond), wait)
				}
			}
			for _, w := range lockWaits(ctx, c) {
				s.fact("freeze %d: %s", i+1, w)
			}
		}
		// Frozen for at least three TTLs in all, and a TTL past a takeover.
		if d := 3*c.ttl - time.Since(stoppedAt); d > 0 {
			sleep(ctx, d)
		}
		sleep(ctx, c.ttl)
		runsBefore, jobsBefore := epochWork(ctx, c, tm.epoch)
		contAt := c.dbNow(ctx)
		logFrom := logSize(leader.log)
		if err := leader.signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		s.fault("SIGCONT %s after %v frozen", leader.id, contAt.Sub(stoppedAt).Round(time.Millisecond))
		if blocked {
			next, err = c.newerTerm(ctx, tm.epoch, time.Minute)
			if err != nil {
				s.finding("freeze %d: no replica took over within a minute of the SIGCONT", i+1)
			} else {
				s.finding("freeze %d: no replica could take over while %s was frozen (%v): %s recorded epoch %d only %v after the SIGCONT",
					i+1, leader.id, contAt.Sub(stoppedAt).Round(time.Millisecond), next.replicaID, next.epoch, next.seenAt.Sub(contAt).Round(time.Millisecond))
			}
		}
		if err == nil {
			f := failover{killed: leader.id, newLeader: next.replicaID, elected: next.seenAt.Sub(stoppedAt)}
			if at, err := c.firstPlanned(ctx, next.epoch, 30*time.Second); err == nil {
				f.firstRun = at.Sub(stoppedAt)
			}
			s.failovers = append(s.failovers, f)
		}
		// Give the woken process time to commit whatever it had in flight.
		sleep(ctx, 3*c.ttl+3*time.Second)
		if line, at, ok := firstLogLine(leader.log, logFrom, "scheduler: leadership lost"); ok {
			s.fact("freeze %d: the woken %s logged %q %v after its SIGCONT", i+1, leader.id, line, at.Sub(contAt).Round(time.Millisecond))
		}
		runsAfter, jobsAfter := epochWork(ctx, c, tm.epoch)
		s.fact("freeze %d: runs / River jobs of the frozen epoch %d committed after its SIGCONT: %d / %d", i+1, tm.epoch, runsAfter-runsBefore, jobsAfter-jobsBefore)
		if runsAfter > runsBefore || jobsAfter > jobsBefore {
			s.finding("freeze %d: the frozen leader (epoch %d) committed %d runs and %d River jobs after it woke, when etcd had elected another leader",
				i+1, tm.epoch, runsAfter-runsBefore, jobsAfter-jobsBefore)
		}
	}
	return s
}

// plannerInTx waits until a planner transaction holds the fencing row and
// has been idle in its transaction for a few milliseconds (it waits for its
// slot to commit; a shorter idle is the gap between two statements, whose
// COMMIT may already be in the socket), polling; false if none is seen
// within.
func plannerInTx(ctx context.Context, c *cluster, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var n int
		_ = c.db.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.relation = 'scheduler_leader'::regclass AND l.mode = 'RowShareLock' AND a.state = 'idle in transaction'
			AND clock_timestamp() - a.state_change > interval '3 milliseconds'`).Scan(&n)
		if n > 0 {
			return true
		}
	}
	return false
}

// epochWork counts the runs an epoch planned and their River jobs, as
// committed now.
func epochWork(ctx context.Context, c *cluster, epoch int64) (runs, jobs int) {
	_ = c.db.QueryRow(ctx, `SELECT count(*) FROM runs WHERE epoch = $1`, epoch).Scan(&runs)
	_ = c.db.QueryRow(ctx, `SELECT count(*) FROM river_job j JOIN runs r ON r.id = (j.args->>'run_id')::bigint
		WHERE j.kind = 'ezplatform.run' AND r.epoch = $1`, epoch).Scan(&jobs)
	return runs, jobs
}

// lockWaits describes the sessions waiting for a lock on scheduler_leader
// and what holds it.
func lockWaits(ctx context.Context, c *cluster) []string {
	rows, err := c.db.Query(ctx, `
		SELECT left(regexp_replace(w.query, '\s+', ' ', 'g'), 70), now() - w.query_start,
			b.pid, b.state, left(regexp_replace(b.query, '\s+', ' ', 'g'), 70), now() - b.state_change
		FROM pg_stat_activity w
		CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
		JOIN pg_stat_activity b ON b.pid = bp.pid
		WHERE w.wait_event_type = 'Lock' LIMIT 5`)
	if err != nil {
		return []string{"pg_stat_activity: " + err.Error()}
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var wq, bstate, bq string
		var wfor, bfor time.Duration
		var bpid int
		if err := rows.Scan(&wq, &wfor, &bpid, &bstate, &bq, &bfor); err != nil {
			return append(out, err.Error())
		}
		out = append(out, fmt.Sprintf("%q has waited %v for a lock held by backend %d, %s for %v after %q",
			wq, wfor.Round(time.Millisecond), bpid, bstate, bfor.Round(time.Millisecond), bq))
	}
	return out
}

// quorumLoss stops two of the three etcd members: planning must stop within
// the TTL (a second TTL of margin for a loaded machine), nothing is planned
// without quorum, and planning resumes once one member is back.
func quorumLoss(t *testing.T, ctx context.Context, c *cluster) *scenario {
	s := &scenario{name: "4. etcd quorum loss (two of three members SIGKILLed, then restarted)", from: time.Now()}
	sleep(ctx, 5*time.Second)
	lostAt := c.dbNow(ctx)
	for _, m := range c.members[:2] {
		m.kill(t)
		s.fault("SIGKILL etcd member %s", m.name)
	}
	quietFrom := lostAt.Add(2 * c.ttl)
	sleep(ctx, 2*c.ttl+10*time.Second)
	planned, _ := c.runsPlannedAfter(ctx, quietFrom)
	var last time.Time
	_ = c.db.QueryRow(ctx, `SELECT max(created_at) FROM runs`).Scan(&last)
	s.fact("last run planned %v after the quorum was lost (TTL %v)", last.Sub(lostAt).Round(time.Millisecond), c.ttl)
	s.fact("runs planned from two TTLs after the loss until a member returned: %d", planned)
	if planned > 0 {
		s.finding("%d runs were planned without an etcd quorum", planned)
	}
	backAt := c.dbNow(ctx)
	c.startMember(t, c.members[0])
	s.fault("restart etcd member %s (%v without quorum)", c.members[0].name, backAt.Sub(lostAt).Round(time.Millisecond))
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if n, _ := c.runsPlannedAfter(ctx, backAt); n > 0 {
			var first time.Time
			_ = c.db.QueryRow(ctx, `SELECT min(created_at) FROM runs WHERE created_at > $1`, backAt).Scan(&first)
			s.fact("planning resumed %v after the member was restarted", first.Sub(backAt).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			s.finding("planning did not resume within 2 minutes of a quorum returning")
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.startMember(t, c.members[1])
	s.fault("restart etcd member %s", c.members[1].name)
	return s
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// firstLogLine finds the first line of the log from byte from on that
// contains text, and the time its slog prefix (time=...) gives.
func firstLogLine(path string, from int64, text string) (string, time.Time, bool) {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) < from {
		return "", time.Time{}, false
	}
	for _, l := range strings.Split(string(b[from:]), "\n") {
		if !strings.Contains(l, text) {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(l, "time="), " ")
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			continue
		}
		msg := text
		if _, after, ok := strings.Cut(l, `msg="`); ok {
			msg, _, _ = strings.Cut(after, `"`)
		}
		return msg, at, true
	}
	return "", time.Time{}, false
}
