package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/ezplatform/ezplatform/internal/backoff"
)

// MinSessionTTL is the shortest etcd session TTL accepted: below it, a
// loaded machine's keepalive hiccups would cost leadership.
const MinSessionTTL = 2 * time.Second

// DefaultSessionTTL is how long a replica may be silent before etcd ends
// its session, and with it its leadership.
const DefaultSessionTTL = 5 * time.Second

// ErrSessionTTL is returned for a TTL below MinSessionTTL.
var ErrSessionTTL = errors.New("scheduler: session TTL must be at least 2s")

// Member describes a replica in etcd: as the leader's election value and in
// the replica registry.
type Member struct {
	ReplicaID string    `json:"replicaId"`
	Address   string    `json:"address"`
	StartedAt time.Time `json:"startedAt"`
}

// elector campaigns for the scheduler leadership in etcd.
type elector struct {
	client *clientv3.Client
	prefix string
	ttl    time.Duration
	self   Member
	logger *slog.Logger
}

// run campaigns until ctx ends. Each time this replica is elected, it calls
// lead with a context that ends when the leadership does (session expired,
// etcd unreachable past the TTL, or ctx cancelled) and the epoch: the
// create revision of the leader key. When lead returns (for instance
// because the epoch was fenced), run resigns and campaigns again. On ctx
// cancellation the leader resigns, so that another replica takes over at
// once rather than after the TTL.
func (e *elector) run(ctx context.Context, lead func(ctx context.Context, epoch int64) error) {
	value, _ := json.Marshal(e.self)
	retry := backoff.New(100*time.Millisecond, e.ttl)
	for ctx.Err() == nil {
		err := e.term(ctx, string(value), lead)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			e.logger.Warn("scheduler: election", "error", err)
			if !backoff.Sleep(ctx, retry.Next()) {
				return
			}
			continue
		}
		retry.Reset()
	}
}

// term is one session: campaign, lead, resign.
func (e *elector) term(ctx context.Context, value string, lead func(ctx context.Context, epoch int64) error) error {
	session, err := newSession(ctx, e.client, e.ttl)
	if err != nil {
		return fmt.Errorf("etcd session: %w", err)
	}
	defer closeSession(ctx, e.client, session)

	// Campaign under a context that ends with the session: a lease that
	// expires mid-campaign must not produce a leader that holds no key.
	campaignCtx, cancel := mergeDone(ctx, session.Done())
	defer cancel()
	election := concurrency.NewElection(session, e.prefix)
	if err := election.Campaign(campaignCtx, value); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	epoch := election.Rev()
	// The replica's id is on every line already (server.Run's logger).
	e.logger.Info("scheduler: elected leader", "epoch", epoch)

	leadErr := lead(campaignCtx, epoch)

	resignCtx, cancelResign := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancelResign()
	if err := election.Resign(resignCtx); err != nil {
		e.logger.Warn("scheduler: resign", "epoch", epoch, "error", err)
	}
	sessionEnded := false
	select {
	case <-session.Done():
		sessionEnded = true
	default:
	}
	if sessionEnded && ctx.Err() == nil {
		e.logger.Warn("scheduler: leadership lost: etcd session ended", "epoch", epoch)
	} else {
		e.logger.Info("scheduler: resigned leadership", "epoch", epoch)
	}
	if leadErr != nil && !errors.Is(leadErr, context.Canceled) {
		return leadErr
	}
	return nil
}

// newSession starts an etcd session whose lease keepalive ends with ctx.
// Without ctx, granting the lease would wait forever while etcd is down.
func newSession(ctx context.Context, client *clientv3.Client, ttl time.Duration) (*concurrency.Session, error) {
	return concurrency.NewSession(client, concurrency.WithTTL(int(ttl/time.Second)), concurrency.WithContext(ctx))
}

// closeSession revokes the session's lease, so that its keys go at once,
// even when ctx (which the session's own Close would use) has ended.
func closeSession(ctx context.Context, client *clientv3.Client, session *concurrency.Session) {
	revokeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	_, _ = client.Revoke(revokeCtx, session.Lease())
	session.Orphan()
}

// mergeDone returns a context that ends when ctx does or done is closed.
func mergeDone(ctx context.Context, done <-chan struct{}) (context.Context, context.CancelFunc) {
	merged, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-done:
			cancel()
		case <-merged.Done():
		}
	}()
	return merged, cancel
}

// leaderMember reads the current leader from etcd: the election key with the
// lowest create revision. ok is false when there is none.
func leaderMember(ctx context.Context, client *clientv3.Client, prefix string) (m Member, epoch int64, ok bool, err error) {
	resp, err := client.Get(ctx, prefix+"/", clientv3.WithFirstCreate()...)
	if err != nil {
		return Member{}, 0, false, err
	}
	if len(resp.Kvs) == 0 {
		return Member{}, 0, false, nil
	}
	kv := resp.Kvs[0]
	if err := json.Unmarshal(kv.Value, &m); err != nil {
		return Member{}, 0, false, fmt.Errorf("leader key %s: %w", kv.Key, err)
	}
	return m, kv.CreateRevision, true, nil
}
