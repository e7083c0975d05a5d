package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

// A slot planned ahead is written before the slot and becomes visible at
// the slot: its run and River job commit then, not earlier, so no job can
// start early.
func TestPlanAheadCommitsAtTheSlot(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	// The first slot is the anchor, well ahead even on a slow machine.
	ds := b.createInterval(t, "ahead", 2*time.Second, func(p *store.DataSourceCreateParams) {
		p.Schedule.Anchor = time.Now().Add(1500 * time.Millisecond)
	})
	p := b.leadingPlanner(t, "r", 1)
	_, err := p.planBatch(ctx, 1, p.now()) // computes the first slot
	require.NoError(t, err)
	stored, err := b.store.DataSourceGetByID(ctx, ds.ID)
	require.NoError(t, err)
	slot := *stored.NextRunAt
	require.True(t, slot.After(time.Now()), "the first slot is ahead")

	done := make(chan error, 1)
	go func() {
		_, err := p.planBatch(ctx, 1, slot)
		done <- err
	}()
	pgtest.RequireVisibleNotBefore(t, b.store.Pool(), slot, `EXISTS (SELECT 1 FROM runs WHERE datasource_id = $1)`, ds.ID)
	require.NoError(t, <-done)

	runs := b.runs(t, ds.ID)
	require.Len(t, runs, 1)
	require.Equal(t, slot, runs[0].ScheduledFor)
	var insertedAt time.Time
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT created_at FROM river_job`).Scan(&insertedAt))
	require.True(t, insertedAt.Before(slot), "the job was written ahead of its slot: %s, slot %s", insertedAt, slot)
}

// A slot with more due datasources than one batch is planned by
// concurrent transactions after its first batch: every datasource gets
// its run and River job once, and its next slot.
func TestPlanDueInConcurrentBatches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	const n = 95
	_, err := b.store.Pool().Exec(ctx, `
		INSERT INTO datasources (name, path, file_pattern, schedule_interval, misfire_policy, overlap_policy, next_run_at)
		SELECT 'batch-' || i, '/data/b', '*', interval '1 hour', 'FIRE_ONCE', 'ALLOW', date_trunc('hour', now())
		FROM generate_series(1, $1) i`, n)
	require.NoError(t, err)
	p := b.leadingPlanner(t, "r", 1)
	p.opts.Batch = 10

	planned, err := p.planDue(ctx, 1, p.now())
	require.NoError(t, err)
	require.Equal(t, n, planned)
	var runs, jobs, distinct, advanced int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `
		SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM river_job),
			(SELECT count(DISTINCT datasource_id) FROM runs),
			(SELECT count(*) FROM datasources WHERE next_run_at > now())`).Scan(&runs, &jobs, &distinct, &advanced))
	require.Equal(t, n, runs, "one run per datasource")
	require.Equal(t, n, jobs, "one River job per run")
	require.Equal(t, n, distinct)
	require.Equal(t, n, advanced, "every next slot moved on")
	var transactions int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(DISTINCT tx_id) FROM events WHERE kind = 'RUN_SCHEDULED'`).Scan(&transactions))
	require.GreaterOrEqual(t, transactions, n/10, "in batches of at most 10")

	// A fenced epoch plans nothing, in any of the transactions.
	_, err = b.store.Pool().Exec(ctx, `UPDATE datasources SET next_run_at = date_trunc('hour', now())`)
	require.NoError(t, err)
	_, err = p.planDue(ctx, 2, p.now())
	require.ErrorIs(t, err, store.ErrFenced)
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM runs`).Scan(&runs))
	require.Equal(t, n, runs)
}
