package hub

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ezplatform/ezplatform/internal/backoff"
	"github.com/ezplatform/ezplatform/store"
)

// SubscribeParams say what a stream follows and where it starts.
type SubscribeParams struct {
	Topic Topic
	// DataSourceIDs, if not nil, keeps the events of these datasources.
	DataSourceIDs []uuid.UUID
	// After, if set, starts after that cursor: the stream replays what the
	// subscriber missed, then continues live. If nil, the stream starts with
	// a snapshot of the current state (SNAPSHOT messages), then live.
	After *store.EventCursor
}

// Stream is one subscription's ordered messages, read with Next. It holds
// no goroutine of its own: the reader's goroutine does the stream's work
// (snapshot, replay, live feed), so a subscriber costs its reader only.
type Stream struct {
	h      *Hub
	ctx    context.Context
	params SubscribeParams

	pending []*Message // read from the table (snapshot or replay), not yet returned
	cursor  store.EventCursor
	// replayed is how far the table has been read, until is where the
	// replay hands over to the live feed.
	replayed, until store.EventCursor
	shown           func(store.EventCursor) bool // by the snapshot
	live            []*Message                   // taken from sub, not yet returned
	liveClosed      bool

	mu  sync.Mutex // guards sub against the ctx's unregistering
	sub *subscription

	err    error
	closed bool
}

// Next returns the stream's next message, waiting for it. It returns nil
// once the stream has ended: when its context ends, or when the hub ends
// it (then Err says why). Next is not safe for concurrent use.
func (s *Stream) Next() *Message {
	if s.err != nil || s.closed || s.ctx.Err() != nil {
		s.drop()
		return nil
	}
	m, err := s.next()
	if err != nil {
		s.drop()
		s.err = endOf(s.ctx, err, s.cursor)
		return nil
	}
	if m == nil {
		s.drop()
	}
	return m
}

// All ranges over the stream's messages until it ends.
func (s *Stream) All() iter.Seq[*Message] {
	return func(yield func(*Message) bool) {
		for m := s.Next(); m != nil; m = s.Next() {
			if !yield(m) {
				return
			}
		}
	}
}

// Cursor returns the position of the last message Next returned, as
// clients see it (store.EventCursor.String): where a subscription resumes.
// Like Next, it is for the reader's goroutine.
func (s *Stream) Cursor() string { return s.cursor.String() }

// Close ends the stream: it leaves the live feed, and Next returns nil.
// Like Next, it is for the reader's goroutine; the end of the stream's
// context does the same from anywhere.
func (s *Stream) Close() {
	s.closed = true
	s.drop()
}

// Err returns why the stream ended: nil if its context did (or it has not
// ended), and otherwise a *StreamError (resumable) or a database error.
// Like Next, it is for the reader's goroutine.
func (s *Stream) Err() error { return s.err }

// Subscribe starts a stream: it checks params.After, or reads the
// snapshot, and joins the live feed. A cursor that retention pruned is
// store.ErrCursorExpired, and one that names no event
// store.ErrInvalidCursor. The stream runs until ctx ends or the hub cuts
// it off.
func (h *Hub) Subscribe(ctx context.Context, params SubscribeParams) (*Stream, error) {
	if !slices.Contains(topics, params.Topic) {
		return nil, errors.New("hub: unknown topic")
	}
	if params.After != nil {
		// Checked in the table even when the hub still holds the event:
		// a cursor retention pruned is expired on every replica alike.
		if err := h.read(ctx, func() error { return h.store.EventCursorCheck(ctx, *params.After) }); err != nil {
			return nil, err
		}
	}
	if params.DataSourceIDs != nil {
		ids := slices.Clone(params.DataSourceIDs)
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		params.DataSourceIDs = slices.Compact(ids)
	}
	s := &Stream{h: h, ctx: ctx, params: params, shown: func(store.EventCursor) bool { return false }}
	if err := s.start(); err != nil {
		if ctx.Err() == nil && errors.Is(err, ErrStopped) {
			s.err = &StreamError{Err: err}
			return s, nil
		}
		return nil, err
	}
	s.register()
	// A reader that stops calling Next must not stay registered.
	context.AfterFunc(ctx, s.drop)
	return s, nil
}

// next steps the stream: the snapshot or the replay, then the live feed,
// in order and without duplicates. It returns nil, nil when ctx ends.
func (s *Stream) next() (*Message, error) {
	for {
		if m := s.pop(); m != nil {
			return m, nil
		}
		if s.subscription() == nil {
			if s.ctx.Err() != nil {
				return nil, nil
			}
			s.register()
		}
		if s.replayed.Less(s.until) {
			if s.replay(); s.ctx.Err() != nil {
				return nil, nil
			}
			continue
		}
		if m, err := s.follow(); m != nil || err != nil {
			return m, err
		}
		if s.ctx.Err() != nil {
			return nil, nil
		}
	}
}

// start reads the snapshot, or starts from params.After.
func (s *Stream) start() error {
	if err := s.h.waitStarted(s.ctx); err != nil {
		return err
	}
	if s.params.After != nil {
		s.cursor = *s.params.After
		return nil
	}
	// Read it all, then hand it out: a client that does not read must not
	// hold a database connection.
	var pos *store.SnapshotPosition
	err := s.h.read(s.ctx, func() (err error) {
		pos, err = s.h.store.EventSnapshot(s.ctx, &store.EventSnapshotParams{Topic: s.params.Topic, DataSourceIDs: s.params.DataSourceIDs},
			func(e *store.Event) error {
				data, err := e.Decode()
				s.pending = append(s.pending, &Message{Event: e, Data: data})
				return err
			})
		return err
	})
	if err != nil {
		return err
	}
	s.cursor, s.shown = pos.Head, pos.Covers
	return nil
}

// pop returns the next message read from the table, if any.
func (s *Stream) pop() *Message {
	if len(s.pending) == 0 {
		return nil
	}
	m := s.pending[0]
	s.pending[0] = nil
	s.pending = s.pending[1:]
	if m.Kind != store.EventKindSnapshot {
		s.cursor = m.Cursor
	}
	return m
}

// register joins the live feed; what came before it is replayed from the
// table.
func (s *Stream) register() {
	sub := newSubscription(s.params.Topic, s.params.DataSourceIDs)
	s.until = s.h.register(sub)
	s.replayed = s.cursor
	s.live, s.liveClosed = nil, false
	s.mu.Lock()
	s.sub = sub
	s.mu.Unlock()
}

func (s *Stream) subscription() *subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sub
}

// drop leaves the live feed.
func (s *Stream) drop() {
	s.mu.Lock()
	sub := s.sub
	s.sub = nil
	s.mu.Unlock()
	if sub != nil {
		s.h.unregister(sub)
	}
}

// follow returns the next live message, waiting for one. It returns nil,
// nil when ctx ends, or when the stream must replay again.
func (s *Stream) follow() (*Message, error) {
	sub := s.subscription()
	if sub == nil {
		return nil, nil
	}
	if !sub.live.Load() {
		// The replay is over: where it stopped is where the feed starts.
		if s.cursor.Less(s.until) {
			s.cursor = s.until
		}
		sub.live.Store(true)
	}
	for {
		for len(s.live) > 0 {
			m := s.live[0]
			s.live[0] = nil
			s.live = s.live[1:]
			if !s.cursor.Less(m.Cursor) {
				continue
			}
			s.cursor = m.Cursor
			if s.shown(m.Cursor) {
				continue
			}
			return m, nil
		}
		if s.liveClosed {
			s.drop()
			// A stream that overflowed while it was still replaying is
			// not slow, just behind: catch up again from the table.
			if errors.Is(sub.closeErr, ErrSlowConsumer) && !sub.closedLive {
				return nil, nil
			}
			return nil, &StreamError{Err: sub.closeErr, Cursor: s.cursor}
		}
		s.live, s.liveClosed = sub.take()
		if len(s.live) == 0 && !s.liveClosed {
			select {
			case <-s.ctx.Done():
				return nil, nil
			case <-sub.wake:
			}
		}
	}
}

// replay reads the next page of stored events in (replayed, until] that
// the snapshot has not shown. When it reaches until, even if the last
// events did not match the filter, the live feed takes over. It waits out
// database outages; only ctx ends it early.
func (s *Stream) replay() {
	if recent, ok := s.h.replayRecent(s.replayed, s.until, s.wants); ok {
		s.pending = append(s.pending, recent...)
		s.replayed = s.until
		return
	}
	retry := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		var events []*store.Event
		var more bool
		err := s.h.read(s.ctx, func() (err error) {
			events, more, err = s.h.store.EventList(s.ctx, &store.EventListParams{
				After: s.replayed, Until: &s.until, DataSourceIDs: s.params.DataSourceIDs, Topic: s.params.Topic,
			})
			return err
		})
		if err != nil {
			// The database is away: so is the live feed. Wait with it, as
			// live subscribers do, rather than end the stream.
			if s.ctx.Err() != nil {
				return
			}
			s.h.logger.Warn("hub: cannot replay events; retrying", "err", err)
			if !backoff.Sleep(s.ctx, retry.Next()) {
				return
			}
			continue
		}
		for _, e := range events {
			s.replayed = e.Cursor
			if s.shown(e.Cursor) {
				continue
			}
			s.pending = append(s.pending, s.h.message(e))
		}
		if !more {
			s.replayed = s.until
		}
		return
	}
}

// wants reports whether the stream replays m: its topic and datasources,
// and not shown by its snapshot.
func (s *Stream) wants(m *Message) bool {
	if m.Topic != s.params.Topic || s.shown(m.Cursor) {
		return false
	}
	if s.params.DataSourceIDs == nil {
		return true
	}
	if m.DataSourceID == nil {
		return false
	}
	_, found := slices.BinarySearchFunc(s.params.DataSourceIDs, *m.DataSourceID, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return found
}

// endOf turns a stream's ending error into its result: nil when the
// subscriber left, a *StreamError when it can resume.
func endOf(ctx context.Context, err error, cursor store.EventCursor) error {
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, ErrStopped) {
		return &StreamError{Err: err, Cursor: cursor}
	}
	return err
}
