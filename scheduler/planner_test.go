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
