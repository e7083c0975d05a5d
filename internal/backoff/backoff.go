// Package backoff spaces out retries: a delay that doubles up to a
// maximum, with jitter so that replicas retrying together spread out.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is a doubling delay. It is not safe for concurrent use.
type Backoff struct {
	min, max, cur time.Duration
}

// New returns a backoff that starts at min and doubles up to max.
func New(min, max time.Duration) *Backoff { return &Backoff{min: min, max: max, cur: min} }

// Next returns the next delay, between half and all of the current step,
// and doubles the step.
func (b *Backoff) Next() time.Duration {
	d := b.cur
	b.cur = min(b.cur*2, b.max)
	return d/2 + rand.N(d/2+1)
}

// Reset starts over at min, after a success.
func (b *Backoff) Reset() { b.cur = b.min }

// Sleep sleeps for d, and reports false if ctx ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
