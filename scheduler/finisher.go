package scheduler

import (
	"context"
	"sync"

	"github.com/ezplatform/ezplatform/store"
)

const (
	// maxFinishBatch bounds how many runs one transaction finishes.
	maxFinishBatch = 100
	// finishConcurrency is how many finishing transactions may be in
	// flight at once.
	finishConcurrency = 4
	// maxGroupedFiles is the most new files a run may record and still be
	// finished with others: a big discovery finishes on its own, so that it
	// does not hold up the runs grouped with it.
	maxGroupedFiles = 1000
)

// finisher finishes the runs of all of a replica's workers in groups: the
// requests that arrive while transactions are in flight commit together in
// the next (group commit). Each run's files, its final state and its River
// job completion still commit together, as DESIGN.md's work flow asks; a
// group only shares the transaction, its NOTIFY and its commit, which were
// most of the database's work at 1,000 runs/s (docs/BENCHMARKS.md).
type finisher struct {
	store   *store.Store
	reqs    chan finishRequest
	metrics *metrics
}

type finishRequest struct {
	fn    func(tx *store.Tx) error
	reply chan error
}

func newFinisher(s *store.Store, m *metrics) *finisher {
	return &finisher{store: s, reqs: make(chan finishRequest), metrics: m}
}

// finish runs fn in a transaction shared with its concurrent peers, and
// returns once that transaction committed or fn failed. It waits even if
// the caller's context ends: a finish must be recorded.
func (f *finisher) finish(fn func(tx *store.Tx) error) error {
	req := finishRequest{fn: fn, reply: make(chan error, 1)}
	f.reqs <- req
	return <-req.reply
}

// run serves requests until ctx ends, with finishConcurrency transactions
// in flight at most.
func (f *finisher) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range finishConcurrency {
		wg.Go(func() { f.serve(ctx) })
	}
	wg.Wait()
}

// serve runs one group at a time until ctx ends. If any finish of a group
// fails, the group rolls back and each finish runs again on its own, so
// that one failure is reported to its run alone.
func (f *finisher) serve(ctx context.Context) {
	txCtx := context.WithoutCancel(ctx)
	for {
		group, ok := gather(ctx, f.reqs, maxFinishBatch)
		if !ok {
			return
		}
		f.metrics.finishGroup.Observe(float64(len(group)))
		err := f.store.InTx(txCtx, func(tx *store.Tx) error {
			for _, req := range group {
				if err := req.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		for _, req := range group {
			if err != nil && len(group) > 1 {
				req.reply <- f.store.InTx(txCtx, req.fn)
				continue
			}
			req.reply <- err
		}
	}
}
