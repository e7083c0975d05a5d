package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

// TestMigrateEventTopic: events written before the topic column (their
// datasource payloads built by to_jsonb in SQL) get their topic, and decode
// with the one decoder, into what the row scanner reads.
func TestMigrateEventTopic(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	m, err := store.NewMigrator(url)
	require.NoError(t, err)
	defer m.Close()
	require.NoError(t, m.Up())
	require.NoError(t, m.Down(int(store.LatestVersion())-16))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	fixture, err := os.ReadFile("testdata/events_v16.sql")
	require.NoError(t, err)
	_, err = pool.Exec(ctx, string(fixture))
	require.NoError(t, err)

	require.NoError(t, m.Up())
	st := store.New(pool)
	events, _, err := st.EventList(ctx, &store.EventListParams{})
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, []store.EventTopic{store.TopicDataSources, store.TopicCluster, "NONE"},
		[]store.EventTopic{events[0].Topic, events[1].Topic, events[2].Topic})

	data, err := events[0].Decode()
	require.NoError(t, err)
	want, err := st.DataSourceGetByID(ctx, *events[0].DataSourceID)
	require.NoError(t, err)
	got := data.DataSource
	require.Equal(t, want.ID, got.ID)
	require.Equal(t, 24*time.Hour+90*time.Second, got.Schedule.Interval)
	require.Equal(t, want.Schedule.Timezone, got.Schedule.Timezone)
	require.True(t, want.Schedule.Anchor.Equal(got.Schedule.Anchor))
	require.Equal(t, 70*time.Minute, got.RunTimeout)
	require.Equal(t, 2500*time.Millisecond, got.MinFileAge)
	require.Equal(t, want.MinFileAge, got.MinFileAge)
	require.Equal(t, store.NeverTime, *got.NextRunAt)

	// And back: the previous schema reads its own form again.
	require.NoError(t, m.Down(int(store.LatestVersion())-16))
	var interval string
	require.NoError(t, pool.QueryRow(ctx, `SELECT payload->>'schedule_interval' FROM events WHERE kind = 'DATASOURCE_CREATED'`).
		Scan(&interval))
	require.Equal(t, "24:01:30", interval, "which the old decoder reads")
	require.NoError(t, m.Up())
}
