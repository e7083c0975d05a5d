package hub

import (
	"context"
	"errors"
	"slices"
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

// Stream is one subscription's ordered messages. C is closed when the
// stream ends; Err then says why.
type Stream struct {
	C    <-chan *Message
	err  error
	done chan struct{} // closed once err is set, before C
}

// Err returns why the stream ended: nil if its context did (or it has not
// ended), and otherwise a *StreamError (resumable) or a database error.
func (s *Stream) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Subscribe starts a stream. It checks params.After first: a cursor that
// retention pruned is store.ErrCursorExpired, and one that names no event
// store.ErrInvalidCursor. The stream runs until ctx ends or the hub cuts
// it off; it holds one goroutine.
func (h *Hub) Subscribe(ctx context.Context, params SubscribeParams) (*Stream, error) {
	if _, ok := topicKinds[params.Topic]; !ok {
		return nil, errors.New("hub: unknown topic")
	}
	if params.After != nil {
		if err := h.store.EventCursorCheck(ctx, *params.After); err != nil {
			return nil, err
		}
	}
	if params.DataSourceIDs != nil {
		ids := slices.Clone(params.DataSourceIDs)
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
		params.DataSourceIDs = slices.Compact(ids)
	}
	out := make(chan *Message)
	st := &Stream{C: out, done: make(chan struct{})}
	go func() {
		defer close(out)
		st.err = h.stream(ctx, params, out)
		close(st.done)
	}()
	return st, nil
}

// stream sends the snapshot or the replay, then the live feed, in order and
// without duplicates, until ctx ends (nil) or the stream must end (error).
func (h *Hub) stream(ctx context.Context, params SubscribeParams, out chan<- *Message) error {
	send := func(m *Message) bool {
		select {
		case out <- m:
			return true
		case <-ctx.Done():
			return false
		}
	}
	if err := h.waitStarted(ctx); err != nil {
		return endOf(ctx, err, store.EventCursor{})
	}

	var cursor store.EventCursor
	shown := func(store.EventCursor) bool { return false } // by the snapshot
	if params.After != nil {
		cursor = *params.After
	} else {
		snapshot := map[Topic]store.SnapshotTopic{TopicSchedules: store.SnapshotSchedules, TopicDataSources: store.SnapshotDataSources}
		// Read it all, then send: a client that does not read must not
		// hold a database connection.
		var msgs []*Message
		pos, err := h.store.EventSnapshot(ctx, &store.EventSnapshotParams{Topic: snapshot[params.Topic], DataSourceIDs: params.DataSourceIDs},
			func(e *store.Event) error {
				data, err := e.Decode()
				msgs = append(msgs, &Message{Event: e, Data: data})
				return err
			})
		if err != nil {
			return endOf(ctx, err, store.EventCursor{})
		}
		for _, m := range msgs {
			if !send(m) {
				return nil
			}
		}
		cursor, shown = pos.Head, pos.Covers
	}

	for {
		sub := newSubscription(params.Topic, params.DataSourceIDs)
		until := h.register(sub)
		var err error
		if cursor, err = h.replay(ctx, params, cursor, until, shown, send); err != nil {
			h.unregister(sub)
			return endOf(ctx, err, cursor)
		}
		sub.live.Store(true)
		for {
			batch, closed := sub.take()
			for _, m := range batch {
				if !cursor.Less(m.Cursor) {
					continue
				}
				if shown(m.Cursor) {
					cursor = m.Cursor
					continue
				}
				if !send(m) {
					h.unregister(sub)
					return nil
				}
				cursor = m.Cursor
			}
			if closed {
				break
			}
			if len(batch) == 0 {
				select {
				case <-ctx.Done():
					h.unregister(sub)
					return nil
				case <-sub.wake:
				}
			}
		}
		// The hub closed the feed. A stream that overflowed while it was
		// still replaying is not slow, just behind: catch up again from the
		// table.
		if errors.Is(sub.closeErr, ErrSlowConsumer) && !sub.closedLive {
			continue
		}
		return &StreamError{Err: sub.closeErr, Cursor: cursor}
	}
}

// replay sends the stored events in (cursor, until] that the snapshot has
// not shown, and returns the new position: until, even if the last events
// did not match the filter. It waits out database outages; only ctx ends it
// early.
func (h *Hub) replay(ctx context.Context, params SubscribeParams, cursor, until store.EventCursor,
	shown func(store.EventCursor) bool, send func(*Message) bool,
) (store.EventCursor, error) {
	retry := backoff.New(100*time.Millisecond, 5*time.Second)
	for cursor.Less(until) {
		events, more, err := h.store.EventList(ctx, &store.EventListParams{
			After: cursor, Until: &until, DataSourceIDs: params.DataSourceIDs, Kinds: topicKinds[params.Topic],
		})
		if err != nil {
			// The database is away: so is the live feed. Wait with it, as
			// live subscribers do, rather than end the stream.
			if ctx.Err() != nil {
				return cursor, ctx.Err()
			}
			h.logger.Warn("hub: cannot replay events; retrying", "err", err)
			if !backoff.Sleep(ctx, retry.Next()) {
				return cursor, ctx.Err()
			}
			continue
		}
		retry.Reset()
		for _, e := range events {
			if shown(e.Cursor) {
				cursor = e.Cursor
				continue
			}
			data, err := e.Decode()
			if err != nil {
				h.logger.Error("hub: cannot decode an event", "err", err)
				data = &store.EventData{}
			}
			if !send(&Message{Event: e, Data: data}) {
				return cursor, ctx.Err()
			}
			cursor = e.Cursor
		}
		if !more {
			break
		}
	}
	if cursor.Less(until) {
		cursor = until
	}
	return cursor, nil
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
