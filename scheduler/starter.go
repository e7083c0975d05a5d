package scheduler

import (
	"context"
	"sync"

	"github.com/ezplatform/ezplatform/store"
)

const (
	// maxStartBatch bounds how many runs one statement starts.
	maxStartBatch = 200
	// startConcurrency is how many start statements may be in flight at
	// once. One at a time queues a burst of 1,000 jobs behind five serial
	// statements; four let PostgreSQL use both cores while the next batch
	// gathers (docs/BENCHMARKS.md).
	startConcurrency = 4
)

// starter readies runs for all of a replica's workers (store.RunsBegin),
// and marks RUNNING those that work long enough (store.RunsStart), in
// batches: the requests that arrive while batches are in flight go together
// in the next (group commit). A burst of jobs then costs a few statements
// instead of one each, and no request waits for a timer.
type starter struct {
	reqs chan startRequest
}

type startRequest struct {
	params store.RunStartParams
	// record marks the run RUNNING; otherwise it is only readied.
	record bool
	reply  chan store.RunStartResult
}

func newStarter() *starter {
	return &starter{reqs: make(chan startRequest)}
}

// begin readies one run, batched with its concurrent peers; start marks
// one RUNNING. Both block until the batch is done or ctx ends.
func (s *starter) begin(ctx context.Context, params store.RunStartParams) store.RunStartResult {
	return s.do(ctx, startRequest{params: params})
}

func (s *starter) start(ctx context.Context, params store.RunStartParams) store.RunStartResult {
	return s.do(ctx, startRequest{params: params, record: true})
}

func (s *starter) do(ctx context.Context, req startRequest) store.RunStartResult {
	req.reply = make(chan store.RunStartResult, 1)
	select {
	case s.reqs <- req:
	case <-ctx.Done():
		return store.RunStartResult{Err: ctx.Err()}
	}
	select {
	case res := <-req.reply:
		return res
	case <-ctx.Done():
		// The batch may still start the run; the job's retry, or the
		// rescuer, takes it from there.
		return store.RunStartResult{Err: ctx.Err()}
	}
}

// run serves requests on st until ctx ends, with startConcurrency batches
// in flight at most.
func (s *starter) run(ctx context.Context, st *store.Store) {
	var wg sync.WaitGroup
	for range startConcurrency {
		wg.Go(func() { s.serve(ctx, st) })
	}
	wg.Wait()
}

// gather waits for a request, then takes those already waiting, up to
// limit in all: what arrived while the previous batch was in flight goes in
// the next (group commit), and no request waits for a timer. It returns
// false once ctx ends.
func gather[T any](ctx context.Context, reqs <-chan T, limit int) ([]T, bool) {
	var batch []T
	select {
	case req := <-reqs:
		batch = append(batch, req)
	case <-ctx.Done():
		return nil, false
	}
	for len(batch) < limit {
		select {
		case req := <-reqs:
			batch = append(batch, req)
		default:
			return batch, true
		}
	}
	return batch, true
}

// serve runs one batch at a time on st until ctx ends.
func (s *starter) serve(ctx context.Context, st *store.Store) {
	for {
		batch, ok := gather(ctx, s.reqs, maxStartBatch)
		if !ok {
			return
		}
		var begins, starts []startRequest
		for _, req := range batch {
			if req.record {
				starts = append(starts, req)
			} else {
				begins = append(begins, req)
			}
		}
		reply(context.WithoutCancel(ctx), begins, st.RunsBegin)
		reply(context.WithoutCancel(ctx), starts, st.RunsStart)
	}
}

// reply runs one statement for reqs and answers each.
func reply(ctx context.Context, reqs []startRequest, do func(context.Context, []store.RunStartParams) ([]store.RunStartResult, error)) {
	if len(reqs) == 0 {
		return
	}
	params := make([]store.RunStartParams, len(reqs))
	for i, req := range reqs {
		params[i] = req.params
	}
	results, err := do(ctx, params)
	for i, req := range reqs {
		if err != nil {
			req.reply <- store.RunStartResult{Err: err}
			continue
		}
		req.reply <- results[i]
	}
}
