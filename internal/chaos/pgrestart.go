//go:build chaos

package chaos

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ezplatform/ezplatform/internal/devstack"
)

func init() {
	register(3, func(t *testing.T, ctx context.Context, su *suite) *scenario { return postgresRestarts(t, ctx, su) })
}

// postgresRestarts restarts PostgreSQL twice while everything runs: a fast
// shutdown (SIGINT: sessions are told and rolled back) and an immediate
// one (SIGQUIT: no checkpoint, crash recovery at the next start), each
// down for a few seconds. The replicas must reconnect on their own, their
// hubs catch up from where they stopped, and the suite's checks show that
// no acknowledged mutation is lost and no subscriber misses or repeats an
// event (I4, I5).
func postgresRestarts(t *testing.T, ctx context.Context, su *suite) *scenario {
	c := su.c
	s := &scenario{name: "3. PostgreSQL restarts (a fast and an immediate shutdown, each down 5 s)", from: time.Now()}
	restarts := []struct {
		name string
		sig  syscall.Signal
	}{{"fast shutdown (SIGINT)", syscall.SIGINT}, {"immediate shutdown (SIGQUIT)", syscall.SIGQUIT}}
	if su.cfg.short {
		restarts = restarts[1:]
		s.name = "3. PostgreSQL restart (an immediate shutdown, down 5 s)"
	}
	for i, how := range restarts {
		sleep(ctx, 10*time.Second)
		pid, err := postmasterPID(c.pgOpts.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, how.sig); err != nil {
			t.Fatal(err)
		}
		downAt := time.Now()
		_ = c.pg.Stop(ctx) // waits for the exit; the error says it was not Stop's doing
		s.fault("%s of PostgreSQL (postmaster pid %d)", how.name, pid)
		sleep(ctx, 5*time.Second)
		opts := c.pgOpts
		opts.Port = c.pg.Port()
		pg, err := devstack.StartPostgres(ctx, opts)
		if err != nil {
			t.Fatalf("restart PostgreSQL: %v", err)
		}
		c.pg = pg
		upAt := time.Now()
		got := subscriberCounts(su.subs)
		s.fault("PostgreSQL started again on port %d, %v after it went down", opts.Port, upAt.Sub(downAt).Round(time.Millisecond))
		recovery(ctx, c, s, su.subs, i+1, got)
		for _, r := range c.replicas {
			if !r.running() {
				s.finding("restart %d: %s exited", i+1, r.id)
				c.startReplica(t, r)
			}
		}
	}
	return s
}

// recovery waits, all at once, for each replica to answer a query again,
// the leader to plan again and each subscriber to get an event again, and
// records how long each took from PostgreSQL's return.
func recovery(ctx context.Context, c *cluster, s *scenario, subs []*subscriber, restart int, got []int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	upAt := time.Now()
	wait := func(what string, f func() (time.Duration, bool)) {
		wg.Go(func() {
			d, ok := f()
			mu.Lock()
			defer mu.Unlock()
			if ok {
				s.fact("restart %d: %s %v after PostgreSQL was back", restart, what, d.Round(time.Millisecond))
			} else {
				s.finding("restart %d: not within a minute of PostgreSQL's return: %s", restart, what)
			}
		})
	}
	for _, r := range c.replicas {
		wait(r.id+" answered a query", func() (time.Duration, bool) { return answersAgain(ctx, c, r, time.Minute) })
	}
	wait("the leader planned a run", func() (time.Duration, bool) { return waitPlanned(ctx, c, upAt, time.Minute) })
	for j, sub := range subs {
		wait("the subscriber "+sub.name+" got an event", func() (time.Duration, bool) { return waitNewEvents(ctx, sub, got[j], time.Minute) })
	}
	wg.Wait()
}

// postmasterPID reads the first line of postmaster.pid.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// answersAgain polls r with the probe query (it reads PostgreSQL) until it
// answers, and returns how long that took.
func answersAgain(ctx context.Context, c *cluster, r *replica, within time.Duration) (time.Duration, bool) {
	return pollEvery(ctx, within, 50*time.Millisecond, func() bool {
		return graphqlOnce(ctx, r.url(), c.token, probeQuery, nil, nil) == nil
	})
}

// waitPlanned waits for a run planned after at.
func waitPlanned(ctx context.Context, c *cluster, at time.Time, within time.Duration) (time.Duration, bool) {
	return pollEvery(ctx, within, 50*time.Millisecond, func() bool {
		n, err := c.runsPlannedAfter(ctx, at)
		return err == nil && n > 0
	})
}

// subscriberCounts is how many events each subscriber has got so far.
func subscriberCounts(subs []*subscriber) []int {
	out := make([]int, len(subs))
	for i, s := range subs {
		got, _, _ := s.record()
		out[i] = len(got)
	}
	return out
}

// waitNewEvents waits until sub has more than n events.
func waitNewEvents(ctx context.Context, sub *subscriber, n int, within time.Duration) (time.Duration, bool) {
	return pollEvery(ctx, within, 20*time.Millisecond, func() bool {
		got, _, _ := sub.record()
		return len(got) > n
	})
}
