package hub

import (
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// subscription is a stream's registration in the hub: the live feed, a
// queue the hub appends to and the stream drains.
type subscription struct {
	topic         Topic
	dataSourceIDs []uuid.UUID   // nil: every datasource
	wake          chan struct{} // one slot: "the queue changed"
	live          atomic.Bool   // the stream has replayed and follows the queue

	mu     sync.Mutex
	queue  []*Message
	spare  []*Message // the drained queue, reused
	closed bool
	// Set when closed.
	closeErr   error
	closedLive bool
}

func newSubscription(topic Topic, dataSourceIDs []uuid.UUID) *subscription {
	return &subscription{topic: topic, dataSourceIDs: dataSourceIDs, wake: make(chan struct{}, 1)}
}

// push appends m unless the queue holds limit messages already.
func (s *subscription) push(m *Message, limit int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) >= limit {
		return false
	}
	s.queue = append(s.queue, m)
	signal(s.wake)
	return true
}

// close ends the feed after the messages queued so far.
func (s *subscription) close(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed, s.closeErr, s.closedLive = true, err, s.live.Load()
		signal(s.wake)
	}
}

// take returns the queued messages, and whether the feed is closed (then
// nothing follows them). The slice is valid until the next take.
func (s *subscription) take() ([]*Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.spare)
	if cap(s.spare) > 1024 {
		s.spare = nil // a burst is over; let it go
	}
	batch := s.queue
	s.queue, s.spare = s.spare[:0], batch
	return batch, s.closed
}

// signal sends on a one-slot channel without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
