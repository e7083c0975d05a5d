package scheduler

import (
	"context"
	"sync"

	"github.com/google/uuid"

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
// the next (group commit), where one statement finishes all their runs.
// Each run's files and its result commit together; a group only shares the
// finishing statement, the NOTIFY and the commit, which were most of the
// database's work at 1,000 runs/s (docs/BENCHMARKS.md). The River job is
// completed after, by River's batched completer, when the worker returns:
// a job whose completion is lost is worked again, finds its run final and
// completes at once.
type finisher struct {
	store   *store.Store
	reqs    chan finishRequest
	metrics *metrics
}

// finishRequest is the end of one attempt.
type finishRequest struct {
	ctx context.Context
	// finish records the attempt's result.
	finish *store.RunFinishParams
	// discovery, if set, is recorded first, and sets finish's totals.
	discovery    *store.FileDiscovery
	dataSourceID uuid.UUID
	reply        chan error
}

func newFinisher(s *store.Store, m *metrics) *finisher {
	return &finisher{store: s, reqs: make(chan finishRequest), metrics: m}
}

// finish records req in a transaction shared with its concurrent peers, and
// returns once that transaction committed or req failed. It waits even if
// the caller's context ends: a finish must be recorded. A big discovery
// finishes in a transaction of its own.
func (f *finisher) finish(req finishRequest) error {
	req.ctx = context.WithoutCancel(req.ctx)
	if req.discovery != nil && len(req.discovery.Files) > maxGroupedFiles {
		return f.commit(req.ctx, []finishRequest{req})
	}
	req.reply = make(chan error, 1)
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

// serve commits one group at a time until ctx ends. If the group fails,
// it rolls back and each request is committed again on its own, so that a
// failure is reported to its run alone.
func (f *finisher) serve(ctx context.Context) {
	txCtx := context.WithoutCancel(ctx)
	for {
		group, ok := gather(ctx, f.reqs, maxFinishBatch)
		if !ok {
			return
		}
		f.metrics.finishGroup.Observe(float64(len(group)))
		err := f.commit(txCtx, group)
		for _, req := range group {
			if err != nil && len(group) > 1 {
				req.reply <- f.commit(txCtx, []finishRequest{req})
				continue
			}
			req.reply <- err
		}
	}
}

// commit records a group in one transaction: each run's files, then every
// run's result in one statement.
func (f *finisher) commit(ctx context.Context, group []finishRequest) error {
	err := f.store.InTx(ctx, func(tx *store.Tx) error {
		finishes := make([]*store.RunFinishParams, 0, len(group))
		for _, req := range group {
			if req.discovery != nil {
				totals, err := tx.FilesRecord(ctx, req.dataSourceID, req.finish.RunID, req.discovery)
				if err != nil {
					return err
				}
				req.finish.FilesFound, req.finish.BytesFound, req.finish.RecordsFound = totals.Files, totals.Bytes, totals.Records
				req.finish.Skipped = req.discovery.Skipped
			}
			finishes = append(finishes, req.finish)
		}
		_, err := tx.RunsFinish(ctx, finishes)
		return err
	})
	if err == nil {
		f.countDiscovered(group)
	}
	return err
}

// countDiscovered adds what a committed group recorded to the discovery
// counters: counted at commit, a group retried run by run counts once.
func (f *finisher) countDiscovered(group []finishRequest) {
	for _, req := range group {
		if req.discovery != nil {
			f.metrics.discoveredFiles.Add(float64(req.finish.FilesFound))
			f.metrics.discoveredBytes.Add(float64(req.finish.BytesFound))
			f.metrics.discoveredRecords.Add(float64(req.finish.RecordsFound))
		}
	}
}
