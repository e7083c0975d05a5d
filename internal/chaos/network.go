//go:build chaos

package chaos

import (
	"context"
	"testing"
	"time"
)

func init() {
	register(5, func(t *testing.T, ctx context.Context, su *suite) *scenario { return networkFaults(t, ctx, su) })
}

// networkFault is one fault of scenario 5, put on the current leader's
// proxies for a while, then healed.
type networkFault struct {
	what  string
	apply func(r *replica, c *cluster) (held time.Duration)
}

var networkFaults5 = []networkFault{
	{"etcd partitioned (every byte to and from the three members held)", func(r *replica, c *cluster) time.Duration {
		for _, p := range r.etcdProxies {
			p.hold()
		}
		return 3 * c.ttl
	}},
	{"PostgreSQL connections reset, and new ones refused", func(r *replica, c *cluster) time.Duration {
		r.pgProxy.cut(true)
		return 5 * time.Second
	}},
	{"PostgreSQL partitioned (bytes held)", func(r *replica, c *cluster) time.Duration {
		r.pgProxy.hold()
		return 2*c.ttl + 2*time.Second
	}},
	{"PostgreSQL slowed (100 ms per chunk, both ways)", func(r *replica, c *cluster) time.Duration {
		r.pgProxy.slow(100 * time.Millisecond)
		return 15 * time.Second
	}},
	{"etcd slowed (500 ms per chunk, both ways)", func(r *replica, c *cluster) time.Duration {
		for _, p := range r.etcdProxies {
			p.slow(500 * time.Millisecond)
		}
		return 10 * time.Second
	}},
	{"etcd connections reset, and new ones refused", func(r *replica, c *cluster) time.Duration {
		for _, p := range r.etcdProxies {
			p.cut(true)
		}
		return 3 * c.ttl
	}},
}

// networkFaults breaks the leader's network, one fault at a time, through
// the proxies the harness put between each replica and its servers. The
// suite's checks then show that fencing (I2) and the slot accounting (I1,
// I3) held; the scenario records whether leadership moved and how soon
// planning resumed.
func networkFaults(t *testing.T, ctx context.Context, su *suite) *scenario {
	c := su.c
	s := &scenario{name: "5. Network faults (the leader's links to etcd and PostgreSQL cut, partitioned and slowed through proxies)", from: time.Now()}
	faults := networkFaults5
	if su.cfg.short {
		faults = faults[:2]
	}
	for i, f := range faults {
		sleep(ctx, 5*time.Second)
		leader, tm, err := c.currentLeader(ctx, time.Minute)
		if err != nil {
			s.finding("fault %d: %v", i+1, err)
			continue
		}
		faultAt := time.Now()
		d := f.apply(leader, c)
		s.fault("%s: %s for %v", leader.id, f.what, d)
		next, moved := c.newerTerm(ctx, tm.epoch, d)
		if moved == nil {
			f := failover{killed: leader.id, newLeader: next.replicaID, elected: next.seenAt.Sub(faultAt)}
			if at, err := c.firstPlanned(ctx, next.epoch, d); err == nil {
				f.firstRun = at.Sub(faultAt)
			}
			s.failovers = append(s.failovers, f)
		}
		if left := d - time.Since(faultAt); left > 0 {
			sleep(ctx, left)
		}
		for _, p := range leader.proxies() {
			p.heal()
		}
		healAt := time.Now()
		if moved == nil {
			s.fact("fault %d (%s): %s took over as epoch %d %v after the fault", i+1, f.what, next.replicaID, next.epoch, next.seenAt.Sub(faultAt).Round(time.Millisecond))
		} else {
			s.fact("fault %d (%s): %s stayed the leader", i+1, f.what, leader.id)
		}
		if d, ok := waitPlanned(ctx, c, healAt, time.Minute); ok {
			s.fact("fault %d: a run was planned %v after the heal", i+1, d.Round(time.Millisecond))
		} else {
			s.finding("fault %d: nothing was planned within a minute of the heal", i+1)
		}
		if !leader.running() {
			s.finding("fault %d: %s exited", i+1, leader.id)
			c.startReplica(t, leader)
		}
	}
	return s
}
