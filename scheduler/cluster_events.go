package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ezplatform/ezplatform/store"
)

// Cluster event kinds.
const (
	ClusterLeaderElected = "LEADER_ELECTED"
	ClusterLeaderLost    = "LEADER_LOST"
	ClusterReplicaJoined = "REPLICA_JOINED"
	ClusterReplicaLeft   = "REPLICA_LEFT"
)

// ErrClusterCursor means that a cluster cursor is malformed (it also is
// store.ErrInvalidCursor), or older than etcd's compacted history (it also
// is store.ErrCursorExpired, as an event cursor that retention pruned): the
// subscriber must start from a snapshot.
var ErrClusterCursor = errors.New("scheduler: cluster cursor is malformed or older than etcd's history")

var errClusterCursorInvalid = fmt.Errorf("%w: %w", ErrClusterCursor, store.ErrInvalidCursor)

// ClusterCursor is a position in etcd's history: the revision, and the
// index of the event among those one revision produced (a lease that
// expires deletes a replica's registry key and its election key at once).
type ClusterCursor struct {
	Revision int64
	Index    int
}

// String returns the cursor as clients see it.
func (c ClusterCursor) String() string {
	return "etcd-" + strconv.FormatInt(c.Revision, 10) + "-" + strconv.Itoa(c.Index)
}

// ParseClusterCursor parses a cursor from String.
func ParseClusterCursor(s string) (ClusterCursor, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || parts[0] != "etcd" {
		return ClusterCursor{}, errClusterCursorInvalid
	}
	rev, err1 := strconv.ParseInt(parts[1], 10, 64)
	idx, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || rev <= 0 || idx < 0 {
		return ClusterCursor{}, errClusterCursorInvalid
	}
	return ClusterCursor{Revision: rev, Index: idx}, nil
}

// MarshalText returns String, for the one cursor codec of every stream
// (encoding.TextMarshaler).
func (c ClusterCursor) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses String's form; a malformed cursor is
// store.ErrInvalidCursor (and ErrClusterCursor).
func (c *ClusterCursor) UnmarshalText(b []byte) error {
	parsed, err := ParseClusterCursor(string(b))
	if err == nil {
		*c = parsed
	}
	return err
}

// ClusterEvent is a change of leadership or membership, as etcd ordered it.
type ClusterEvent struct {
	Cursor ClusterCursor
	Kind   string
	Member Member
	// Epoch is the leader's epoch, for leader events.
	Epoch int64
	// Snapshot marks the events that describe the state a subscription
	// started from, rather than a change.
	Snapshot bool
	// ObservedAt is when this replica saw the change: etcd keeps no time.
	ObservedAt time.Time
}

// ClusterStream is a subscription to cluster events, read with Next like
// hub.Stream: it holds no goroutine of its own, and the reader's goroutine
// derives the events from etcd's watch.
type ClusterStream struct {
	ctx     context.Context
	cancel  context.CancelFunc
	watch   clientv3.WatchChan
	state   clusterState
	pending []*ClusterEvent
	// rev and skip: the events of rev with an index below skip were seen
	// before the cursor the stream resumed from.
	rev    int64
	skip   int
	cursor ClusterCursor
	err    error
}

// Next returns the stream's next event, waiting for it. It returns nil once
// the stream has ended: when its context ends, when Close is called, or
// when etcd ends the watch (then Err says why). Next is not safe for
// concurrent use.
func (s *ClusterStream) Next() *ClusterEvent {
	for {
		if len(s.pending) > 0 {
			e := s.pending[0]
			s.pending[0] = nil
			s.pending = s.pending[1:]
			s.cursor = e.Cursor
			return e
		}
		if s.err != nil || s.ctx.Err() != nil {
			s.Close()
			return nil
		}
		select {
		case <-s.ctx.Done():
		case wr, ok := <-s.watch:
			switch {
			case s.ctx.Err() != nil:
			case !ok:
				s.err = errors.New("scheduler: watch cluster: etcd closed the watch")
			case wr.Err() != nil:
				s.err = fmt.Errorf("scheduler: watch cluster: %w", wr.Err())
			default:
				s.derive(wr.Events)
			}
		}
	}
}

// derive queues the cluster events that etcd events cause.
func (s *ClusterStream) derive(events []*clientv3.Event) {
	byRev := map[int64]int{}
	for _, ev := range events {
		r := ev.Kv.ModRevision
		for _, e := range s.state.apply(ev) {
			e.Cursor = ClusterCursor{Revision: r, Index: byRev[r]}
			byRev[r]++
			if r == s.rev && e.Cursor.Index < s.skip {
				continue
			}
			s.pending = append(s.pending, &e)
		}
	}
}

// Err returns why the stream ended: nil if its context did, or it has not
// ended. Like Next, it is for the reader's goroutine.
func (s *ClusterStream) Err() error { return s.err }

// Cursor returns the position of the last event Next returned, as clients
// see it; "" before the first.
func (s *ClusterStream) Cursor() string {
	if s.cursor == (ClusterCursor{}) {
		return ""
	}
	return s.cursor.String()
}

// Close ends the stream and its watch.
func (s *ClusterStream) Close() { s.cancel() }

// ClusterEvents streams leadership and membership changes from etcd, on any
// replica. Without after, it starts with the current state (Snapshot
// events); with after, it replays etcd's history from there, which etcd
// keeps until it compacts it. It blocks until the state is read.
func (s *Scheduler) ClusterEvents(ctx context.Context, after *ClusterCursor) (*ClusterStream, error) {
	prefix := s.cfg.KeyPrefix + "/"
	st := &ClusterStream{state: clusterState{candidates: map[string]candidate{}, replicas: map[string]Member{},
		leaderPrefix: s.electionPrefix() + "/", replicaPrefix: s.cfg.KeyPrefix + "/replicas/"}}
	opts := []clientv3.OpOption{clientv3.WithPrefix()}
	if after != nil {
		// The state just before the cursor's revision, so that the events
		// of that revision are derived again and those already seen skipped.
		st.rev, st.skip = after.Revision, after.Index+1
		if st.rev > 1 {
			opts = append(opts, clientv3.WithRev(st.rev-1))
		}
	}
	resp, err := s.cfg.Etcd.Get(ctx, prefix, opts...)
	if errors.Is(err, rpctypes.ErrCompacted) || errors.Is(err, rpctypes.ErrFutureRev) {
		return nil, fmt.Errorf("%w: %w: %s", ErrClusterCursor, store.ErrCursorExpired, after)
	}
	if err != nil {
		return nil, fmt.Errorf("scheduler: read cluster: %w", err)
	}
	for _, kv := range resp.Kvs {
		st.state.apply(&clientv3.Event{Type: mvccpb.PUT, Kv: kv})
	}
	if after == nil {
		st.rev = resp.Header.Revision + 1
		for _, e := range st.state.snapshot(resp.Header.Revision) {
			st.pending = append(st.pending, &e)
		}
	}
	st.ctx, st.cancel = context.WithCancel(ctx)
	st.watch = s.cfg.Etcd.Watch(clientv3.WithRequireLeader(st.ctx), prefix, clientv3.WithPrefix(), clientv3.WithRev(st.rev),
		clientv3.WithPrevKV())
	return st, nil
}

// candidate is one key of the election: the lowest create revision leads.
type candidate struct {
	member   Member
	revision int64
}

// clusterState follows the keys under the prefix and derives events.
type clusterState struct {
	leaderPrefix, replicaPrefix string
	candidates                  map[string]candidate
	replicas                    map[string]Member
}

func (s *clusterState) leader() (candidate, bool) {
	var best candidate
	found := false
	for _, c := range s.candidates {
		if !found || c.revision < best.revision {
			best, found = c, true
		}
	}
	return best, found
}

// apply records one etcd event and returns the cluster events it causes.
func (s *clusterState) apply(ev *clientv3.Event) []ClusterEvent {
	key := string(ev.Kv.Key)
	now := time.Now().UTC()
	switch {
	case strings.HasPrefix(key, s.replicaPrefix):
		if ev.Type == mvccpb.DELETE {
			m, ok := s.replicas[key]
			if !ok {
				return nil
			}
			delete(s.replicas, key)
			return []ClusterEvent{{Kind: ClusterReplicaLeft, Member: m, ObservedAt: now}}
		}
		var m Member
		if json.Unmarshal(ev.Kv.Value, &m) != nil {
			return nil
		}
		_, known := s.replicas[key]
		s.replicas[key] = m
		if known {
			return nil
		}
		return []ClusterEvent{{Kind: ClusterReplicaJoined, Member: m, ObservedAt: now}}
	case strings.HasPrefix(key, s.leaderPrefix):
		before, hadLeader := s.leader()
		if ev.Type == mvccpb.DELETE {
			delete(s.candidates, key)
		} else {
			var m Member
			if json.Unmarshal(ev.Kv.Value, &m) != nil {
				return nil
			}
			s.candidates[key] = candidate{member: m, revision: ev.Kv.CreateRevision}
		}
		after, hasLeader := s.leader()
		var events []ClusterEvent
		if hadLeader && (!hasLeader || after.revision != before.revision) {
			events = append(events, ClusterEvent{Kind: ClusterLeaderLost, Member: before.member, Epoch: before.revision, ObservedAt: now})
		}
		if hasLeader && (!hadLeader || after.revision != before.revision) {
			events = append(events, ClusterEvent{Kind: ClusterLeaderElected, Member: after.member, Epoch: after.revision, ObservedAt: now})
		}
		return events
	}
	return nil
}

// snapshot describes the state as events: the replicas, then the leader.
func (s *clusterState) snapshot(rev int64) []ClusterEvent {
	now := time.Now().UTC()
	var events []ClusterEvent
	for _, m := range s.replicas {
		events = append(events, ClusterEvent{Kind: ClusterReplicaJoined, Member: m, Snapshot: true, ObservedAt: now})
	}
	slices.SortFunc(events, func(a, b ClusterEvent) int { return a.Member.StartedAt.Compare(b.Member.StartedAt) })
	if l, ok := s.leader(); ok {
		events = append(events, ClusterEvent{Kind: ClusterLeaderElected, Member: l.member, Epoch: l.revision, Snapshot: true, ObservedAt: now})
	}
	for i := range events {
		events[i].Cursor = ClusterCursor{Revision: rev, Index: 1 << 20} // resumes after rev
	}
	return events
}
