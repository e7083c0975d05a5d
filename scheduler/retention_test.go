package scheduler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/store"
)

// Retention deletes finished runs past their age or count, and old events,
// in batches, and never an unfinished run.
func TestPruneHistory(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	ds := b.createInterval(t, "pruned", time.Second)
	_, err := b.store.Pool().Exec(ctx, `
		INSERT INTO runs (datasource_id, scheduled_for, status, created_at)
		SELECT $1, '2026-01-01'::timestamptz + i * interval '1 second',
			CASE WHEN i = 1 THEN 'SCHEDULED' ELSE 'SUCCEEDED' END,
			CASE WHEN i <= 50 THEN now() - interval '30 days' ELSE now() END
		FROM generate_series(1, 120) i`, ds.ID)
	require.NoError(t, err)
	_, err = b.store.Pool().Exec(ctx, `UPDATE events SET occurred_at = now() - interval '30 days'`)
	require.NoError(t, err)

	res, err := b.store.PruneHistory(ctx, &store.RetentionParams{
		RunsOlderThan: time.Now().Add(-7 * 24 * time.Hour), RunsPerDataSource: 40,
		EventsOlderThan: time.Now().Add(-7 * 24 * time.Hour), Batch: 7,
	})
	require.NoError(t, err)
	// 49 finished runs are too old; of the 70 recent ones, 30 exceed the 40 kept.
	require.EqualValues(t, 49+30, res.Runs)
	require.Positive(t, res.Events)

	var left, unfinished int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'SCHEDULED') FROM runs`).Scan(&left, &unfinished))
	require.Equal(t, 41, left)
	require.Equal(t, 1, unfinished, "an unfinished run is never pruned")
}

// Restarting every replica loses no schedule state: the next slot is in
// PostgreSQL, so the slots missed while nobody ran are accounted for, and
// planning continues from where it stopped.
func TestRestartAllReplicasKeepsSchedule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	prefix := etcdtest.Prefix()
	ds := b.createInterval(t, "survivor", time.Second, func(p *store.DataSourceCreateParams) {
		p.Schedule.MisfirePolicy = MisfireSkip
	})
	_, stop := startReplica(t, b, prefix, "first", noWork)
	eventually(t, "two runs", func() bool { return len(b.runs(t, ds.ID)) >= 2 })
	stop()
	stopped, err := b.store.DataSourceGetByID(t.Context(), ds.ID)
	require.NoError(t, err)
	require.NotNil(t, stopped.NextRunAt, "the next slot is stored")

	// Everything is down for longer than the misfire threshold.
	time.Sleep(DefaultPlanOptions.MisfireThreshold + 2*time.Second)

	startReplica(t, b, prefix, "second", noWork)
	eventually(t, "runs after the restart", func() bool {
		runs := b.runs(t, ds.ID)
		return runs[len(runs)-1].ReplicaID == "second" && runs[len(runs)-1].Status == store.RunSucceeded
	})
	runs := b.runs(t, ds.ID)
	requireTiled(t, runs, time.Second)
	var missed bool
	for _, r := range runs {
		if r.Status == store.RunMissed && r.ScheduledFor.Equal(*stopped.NextRunAt) {
			missed = true
		}
	}
	require.True(t, missed, "the outage is one MISSED range starting at the stored next slot")
}
