//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

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
			f := failover{killed: leader.id, newLeader: next.replicaID, elected: next.startedAt.Sub(killedAt)}
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

// frozenLeader SIGSTOPs the leader for longer than the TTL, waits for
// another to take over, SIGCONTs it, and checks that the old leader's epoch
// plans and enqueues nothing after the freeze (I2).
func frozenLeader(t *testing.T, ctx context.Context, c *cluster) *scenario {
	s := &scenario{name: "2. Frozen leader (SIGSTOP past the TTL, SIGCONT after a takeover)", from: time.Now()}
	sleep(ctx, 5*time.Second)
	leader, tm, err := c.currentLeader(ctx, time.Minute)
	if err != nil {
		s.finding("%v", err)
		return s
	}
	stoppedAt := c.dbNow(ctx)
	if err := leader.signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	s.fault("SIGSTOP %s (pid %d), leader of epoch %d", leader.id, leader.pid(), tm.epoch)
	next, err := c.newerTerm(ctx, tm.epoch, 10*c.ttl+30*time.Second)
	if err != nil {
		s.finding("no replica took over within %v while %s was frozen", 10*c.ttl+30*time.Second, leader.id)
	} else {
		s.fact("takeover by %s (epoch %d): %v after the SIGSTOP", next.replicaID, next.epoch, next.startedAt.Sub(stoppedAt).Round(time.Millisecond))
		s.failovers = append(s.failovers, failover{killed: leader.id, newLeader: next.replicaID, elected: next.startedAt.Sub(stoppedAt)})
		if at, err := c.firstPlanned(ctx, next.epoch, 30*time.Second); err == nil {
			s.failovers[0].firstRun = at.Sub(stoppedAt)
		}
	}
	// Frozen for at least three TTLs in all, and a TTL past the takeover.
	if d := 3*c.ttl - time.Since(stoppedAt); d > 0 {
		sleep(ctx, d)
	}
	sleep(ctx, c.ttl)
	contAt := c.dbNow(ctx)
	if err := leader.signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	s.fault("SIGCONT %s after %v frozen", leader.id, contAt.Sub(stoppedAt).Round(time.Millisecond))
	// Give the woken process time to try whatever it had in flight.
	sleep(ctx, 3*c.ttl+3*time.Second)
	var afterStop, afterCont, jobsAfterCont int
	_ = c.db.QueryRow(ctx, `SELECT count(*) FROM runs WHERE epoch = $1 AND created_at > $2`, tm.epoch, stoppedAt).Scan(&afterStop)
	_ = c.db.QueryRow(ctx, `SELECT count(*) FROM runs WHERE epoch = $1 AND created_at > $2`, tm.epoch, contAt).Scan(&afterCont)
	_ = c.db.QueryRow(ctx, `SELECT count(*) FROM river_job j JOIN runs r ON r.id = (j.args->>'run_id')::bigint
		WHERE j.kind = 'ezplatform.run' AND r.epoch = $1 AND j.created_at > $2`, tm.epoch, contAt).Scan(&jobsAfterCont)
	s.fact("runs of the frozen epoch %d planned after its SIGSTOP: %d", tm.epoch, afterStop)
	s.fact("runs of the frozen epoch planned after its SIGCONT: %d", afterCont)
	s.fact("River jobs of the frozen epoch's runs created after its SIGCONT: %d", jobsAfterCont)
	if afterStop+afterCont+jobsAfterCont > 0 {
		s.finding("the frozen leader (epoch %d) planned %d runs after its SIGSTOP, %d after its SIGCONT, and enqueued %d jobs after its SIGCONT",
			tm.epoch, afterStop, afterCont, jobsAfterCont)
	}
	return s
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
