package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// insertRuns inserts runs as the planner does, in a transaction of their
// own, and returns those inserted.
func (b *testBundle) insertRuns(t *testing.T, ctx context.Context, inserts ...store.RunInsert) []*store.Run {
	t.Helper()
	var runs []*store.Run
	require.NoError(t, b.store.InTx(ctx, func(tx *store.Tx) (err error) {
		runs, err = tx.RunsInsert(ctx, inserts)
		return err
	}))
	return runs
}

// One RunsStart statement starts what it can and says why the rest did not
// start, in the order asked.
func TestRunsStartBatch(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("batch"))
	require.NoError(t, err)
	slot := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	runs := b.insertRuns(t, ctx,
		store.RunInsert{DataSourceID: ds.ID, ScheduledFor: slot, Trigger: store.TriggerSchedule, Status: store.RunScheduled, MaxAttempts: 3},
		store.RunInsert{DataSourceID: ds.ID, ScheduledFor: slot.Add(time.Second), Trigger: store.TriggerSchedule, Status: store.RunSkipped, MaxAttempts: 3},
	)
	require.Len(t, runs, 2)
	scheduled, skipped := runs[0], runs[1]
	if scheduled.Status != store.RunScheduled {
		scheduled, skipped = skipped, scheduled
	}

	results, err := b.store.RunsStart(ctx, []store.RunStartParams{
		{RunID: 999_999, JobID: 1, Attempt: 1, ReplicaID: "r"},
		{RunID: scheduled.ID, JobID: 42, Attempt: 1, ReplicaID: "r"},
		{RunID: skipped.ID, JobID: 43, Attempt: 1, ReplicaID: "r"},
	})
	require.NoError(t, err)
	require.ErrorIs(t, results[0].Err, store.ErrNotFound)
	require.NoError(t, results[1].Err)
	require.Equal(t, store.RunRunning, results[1].Run.Status)
	require.EqualValues(t, 42, *results[1].Run.RiverJobID)
	require.Equal(t, ds.ID, results[1].DataSource.ID)
	require.ErrorIs(t, results[2].Err, store.ErrRunFinal)

	var started int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE kind = 'RUN_STARTED' AND run_id = $1`, scheduled.ID).Scan(&started))
	require.Equal(t, 1, started)
}

// One RunsFinish statement records each attempt's result with its events,
// returns the runs in the order asked, and refuses a missing or repeated
// run.
func TestRunsFinishBatch(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("finish"))
	require.NoError(t, err)
	slot := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	inserts := make([]store.RunInsert, 3)
	for i := range inserts {
		inserts[i] = store.RunInsert{DataSourceID: ds.ID, ScheduledFor: slot.Add(time.Duration(i) * time.Second),
			Trigger: store.TriggerSchedule, Status: store.RunScheduled, MaxAttempts: 3}
	}
	runs := b.insertRuns(t, ctx, inserts...)
	require.Len(t, runs, 3)

	finish := func(params ...*store.RunFinishParams) ([]*store.Run, error) {
		var finished []*store.Run
		err := b.store.InTx(ctx, func(tx *store.Tx) (err error) {
			finished, err = tx.RunsFinish(ctx, params)
			return err
		})
		return finished, err
	}
	// A missing run, or one named twice, fails the whole statement; its
	// transaction rolls back.
	_, err = finish(&store.RunFinishParams{RunID: runs[0].ID, Status: store.RunSucceeded, Attempt: 1},
		&store.RunFinishParams{RunID: 999_999, Status: store.RunSucceeded, Attempt: 1})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = finish(&store.RunFinishParams{RunID: runs[0].ID, Status: store.RunSucceeded, Attempt: 1},
		&store.RunFinishParams{RunID: runs[0].ID, Status: store.RunFailed, Attempt: 1})
	require.ErrorContains(t, err, "finished twice")
	var events int
	require.NoError(t, b.store.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE run_id = $1 AND kind <> 'RUN_SCHEDULED'`, runs[0].ID).Scan(&events))
	require.Zero(t, events, "nothing of the failed statements was kept")

	finished, err := finish(
		&store.RunFinishParams{RunID: runs[2].ID, Status: store.RunRetrying, Attempt: 1, Error: "disk on fire"},
		&store.RunFinishParams{RunID: runs[0].ID, Status: store.RunSucceeded, Attempt: 1, FilesFound: 2, BytesFound: 10,
			Skipped: []store.SkippedEntry{{Path: "x", Reason: "unreadable"}}},
		&store.RunFinishParams{RunID: runs[1].ID, Status: store.RunFailed, Attempt: 3, Error: "gone"},
	)
	require.NoError(t, err)
	require.Equal(t, []int64{runs[2].ID, runs[0].ID, runs[1].ID}, []int64{finished[0].ID, finished[1].ID, finished[2].ID}, "in the order asked")
	require.Equal(t, store.RunRetrying, finished[0].Status)
	require.Nil(t, finished[0].FinishedAt, "a retrying run is not finished")
	require.Len(t, finished[0].AttemptErrors, 1)
	require.Equal(t, "disk on fire", finished[0].AttemptErrors[0].Error)
	require.Equal(t, store.RunSucceeded, finished[1].Status)
	require.NotNil(t, finished[1].FinishedAt)
	require.Equal(t, 2, finished[1].FilesFound)
	require.EqualValues(t, 10, finished[1].BytesFound)
	require.Equal(t, 1, finished[1].SkippedCount)
	require.Equal(t, store.RunFailed, finished[2].Status)
	require.Equal(t, "gone", finished[2].Error)

	// Events follow the order asked, each run's status before its files.
	rows, err := b.store.Pool().Query(ctx, `SELECT kind, run_id FROM events
		WHERE run_id = ANY($1) AND kind <> 'RUN_SCHEDULED' ORDER BY id`, []int64{runs[0].ID, runs[1].ID, runs[2].ID})
	require.NoError(t, err)
	type event struct {
		kind string
		run  int64
	}
	var got []event
	for rows.Next() {
		var e event
		require.NoError(t, rows.Scan(&e.kind, &e.run))
		got = append(got, e)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []event{
		{store.EventRunRetrying, runs[2].ID},
		{store.EventRunSucceeded, runs[0].ID},
		{store.EventFilesDiscovered, runs[0].ID},
		{store.EventRunFailed, runs[1].ID},
	}, got)
}

// A planned run's event says what the next slot is, or that there is none,
// without a sentinel date in the payload.
func TestRunScheduledAnnouncesNextSlot(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("next-slot"))
	require.NoError(t, err)
	slot := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	b.insertRuns(t, ctx,
		store.RunInsert{DataSourceID: ds.ID, ScheduledFor: slot, Trigger: store.TriggerSchedule, Status: store.RunScheduled,
			MaxAttempts: 1, NextRunAt: slot.Add(time.Minute).In(paris)},
		store.RunInsert{DataSourceID: ds.ID, ScheduledFor: slot.Add(time.Minute), Trigger: store.TriggerSchedule, Status: store.RunScheduled,
			MaxAttempts: 1, NextRunAt: store.NeverTime},
	)
	events := settledEvents(t, ctx, b.store)
	var payloads []string
	var states []*store.ScheduleState
	for _, e := range events {
		if e.Kind != store.EventRunScheduled {
			continue
		}
		var raw struct {
			NextRunAt *string `json:"nextRunAt"`
			LastSlot  bool    `json:"lastSlot"`
		}
		require.NoError(t, json.Unmarshal(e.Payload, &raw))
		if raw.NextRunAt != nil {
			payloads = append(payloads, *raw.NextRunAt)
		} else {
			payloads = append(payloads, fmt.Sprint("lastSlot=", raw.LastSlot))
		}
		data, err := e.Decode()
		require.NoError(t, err)
		states = append(states, data.Schedule)
	}
	require.Equal(t, []string{"2026-12-01T12:01:00Z", "lastSlot=true"}, payloads, "UTC, and no 9999-12-31")
	require.True(t, states[0].HasNextRunAt)
	require.True(t, slot.Add(time.Minute).Equal(*states[0].NextRunAt))
	require.True(t, states[1].HasNextRunAt)
	require.Nil(t, states[1].NextRunAt, "never again")
}

// RunsBegin readies runs without a write, starts BUFFER_ONE runs as
// RunsStart does, and says why the rest cannot start. A readied run's
// finish records its start; a finish of a run that became final meanwhile
// is refused with ErrRunFinal and changes nothing.
func TestRunsBeginThenFinishRecordsTheStart(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("begin"))
	require.NoError(t, err)
	bufferedParams := createParams("buffered")
	bufferedParams.Schedule.OverlapPolicy = "BUFFER_ONE"
	buffered, err := b.store.DataSourceCreate(ctx, bufferedParams)
	require.NoError(t, err)
	slot := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	insert := func(dsID uuid.UUID, at time.Time, status string) *store.Run {
		runs := b.insertRuns(t, ctx, store.RunInsert{DataSourceID: dsID, ScheduledFor: at, Trigger: store.TriggerSchedule, Status: status, MaxAttempts: 3})
		require.Len(t, runs, 1)
		return runs[0]
	}
	quick, cancelled := insert(ds.ID, slot, store.RunScheduled), insert(ds.ID, slot.Add(time.Second), store.RunScheduled)
	skipped, buffer := insert(ds.ID, slot.Add(2*time.Second), store.RunSkipped), insert(buffered.ID, slot, store.RunScheduled)

	results, err := b.store.RunsBegin(ctx, []store.RunStartParams{
		{RunID: quick.ID, MaxAttempts: 3, JobID: 7, Attempt: 1, ReplicaID: "r"},
		// Gone (pruned), or final: nothing to work.
		{RunID: 999_999, JobID: 8, Attempt: 1, ReplicaID: "r"},
		{RunID: skipped.ID, JobID: 9, Attempt: 1, ReplicaID: "r"},
		{RunID: buffer.ID, JobID: 10, Attempt: 1, ReplicaID: "r"},
		// Retries read their row.
		{RunID: cancelled.ID, JobID: 11, Attempt: 2, ReplicaID: "r"},
	})
	require.NoError(t, err)
	require.NoError(t, results[0].Err)
	require.False(t, results[0].Recorded)
	require.Equal(t, &store.Run{ID: quick.ID, DataSourceID: ds.ID, ScheduledFor: quick.ScheduledFor, Status: store.RunScheduled,
		Attempt: 1, MaxAttempts: 3, ReplicaID: "r", RiverJobID: ptr(int64(7))}, results[0].Run, "the run as its job names it")
	require.Equal(t, ds.ID, results[0].DataSource.ID)
	require.ErrorIs(t, results[1].Err, store.ErrNotFound)
	require.ErrorIs(t, results[2].Err, store.ErrRunFinal)
	require.NoError(t, results[3].Err)
	require.True(t, results[3].Recorded, "BUFFER_ONE runs are marked RUNNING before they work")
	require.Equal(t, store.RunRunning, results[3].Run.Status)
	require.Equal(t, buffered.ID, results[3].DataSource.ID)
	require.NoError(t, results[4].Err)
	require.Equal(t, ds.ID, results[4].DataSource.ID)
	require.Equal(t, cancelled.CreatedAt, results[4].Run.CreatedAt, "the whole row")
	require.Equal(t, store.RunScheduled, results[4].Run.Status, "as the row is")

	stored, err := b.store.RunGetByID(ctx, quick.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunScheduled, stored.Status)
	require.Nil(t, stored.StartedAt)

	began := time.Now().Add(-time.Second).UTC().Truncate(time.Microsecond)
	finish := func(p *store.RunFinishParams) error {
		return b.store.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RunsFinish(ctx, []*store.RunFinishParams{p})
			return err
		})
	}
	require.NoError(t, finish(&store.RunFinishParams{RunID: quick.ID, Status: store.RunSucceeded, Attempt: 1,
		Began: began, JobID: 7, ReplicaID: "r"}))
	stored, err = b.store.RunGetByID(ctx, quick.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunSucceeded, stored.Status)
	require.True(t, began.Equal(*stored.StartedAt), "started_at %v, began %v", stored.StartedAt, began)
	require.Equal(t, 1, stored.Attempt)
	require.Equal(t, "r", stored.ReplicaID)
	require.EqualValues(t, 7, *stored.RiverJobID)
	var kinds []string
	rows, err := b.store.Pool().Query(ctx, `SELECT kind FROM events WHERE run_id = $1 ORDER BY id`, quick.ID)
	require.NoError(t, err)
	kinds, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{store.EventRunScheduled, store.EventRunSucceeded}, kinds, "one event for the start and the result")

	// Cancelled while it worked: the result is refused, the run stays.
	_, err = b.store.Pool().Exec(ctx, `UPDATE runs SET status = 'CANCELLED', finished_at = now() WHERE id = $1`, cancelled.ID)
	require.NoError(t, err)
	err = finish(&store.RunFinishParams{RunID: cancelled.ID, Status: store.RunSucceeded, Attempt: 1, Began: began, JobID: 8, ReplicaID: "r"})
	require.ErrorIs(t, err, store.ErrRunFinal)
	stored, err = b.store.RunGetByID(ctx, cancelled.ID)
	require.NoError(t, err)
	require.Equal(t, store.RunCancelled, stored.Status)
	require.Nil(t, stored.StartedAt)

	// A first attempt of a run that is gone (pruned) learns it at its finish.
	err = finish(&store.RunFinishParams{RunID: 999_999, Status: store.RunSucceeded, Attempt: 1, Began: began, JobID: 12, ReplicaID: "r"})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func ptr[T any](v T) *T { return &v }
