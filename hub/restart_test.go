package hub_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/store"
)

// TestResumeAcrossPostgresRestart restarts the database under a live
// subscriber and a resuming one: each sees every event once, in order.
func TestResumeAcrossPostgresRestart(t *testing.T) {
	if os.Getenv("EZ_TEST_DATABASE_URL") != "" {
		t.Skip("restarts a private PostgreSQL cluster; EZ_TEST_DATABASE_URL names a shared server")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The cluster runs as the postgres user when tests run as root.
	dir, err := os.MkdirTemp("", "ezplatform-restart-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	opts := devstack.PostgresOptions{DataDir: filepath.Join(dir, "postgres"), Ephemeral: true}
	pg, err := devstack.StartPostgres(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = pg.Stop(context.Background()) })
	url := pg.URL("postgres")
	migrator, err := store.NewMigrator(url)
	require.NoError(t, err)
	require.NoError(t, migrator.Up())
	require.NoError(t, migrator.Close())

	pool, err := store.Open(ctx, url)
	require.NoError(t, err)
	defer pool.Close()
	st := store.New(pool)
	h := hub.New(st, hub.Options{Logger: quietLogger()})
	hubCtx, stopHub := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		h.Run(hubCtx)
	}()
	defer func() { stopHub(); <-hubDone }()

	ds, err := st.DataSourceCreate(ctx, createParams("restart"))
	require.NoError(t, err)
	zero := store.EventCursor{}
	live, err := h.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &zero})
	require.NoError(t, err)
	var seenLive []store.EventCursor
	seenLive = append(seenLive, next(t, live).Cursor)
	rename(t, ctx, st, ds.ID, "before-restart")
	seenLive = append(seenLive, next(t, live).Cursor)
	lastBefore := seenLive[len(seenLive)-1]

	require.NoError(t, pg.Stop(ctx))
	pg, err = devstack.StartPostgres(ctx, opts) // same directory, same port
	require.NoError(t, err)
	require.Equal(t, url, pg.URL("postgres"))

	// Writes retry until the pool has reconnected.
	for i := range 3 {
		name := fmt.Sprintf("after-restart-%d", i)
		require.Eventually(t, func() bool {
			_, err := st.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Name: &name})
			return err == nil
		}, time.Minute, 100*time.Millisecond)
	}
	for len(seenLive) < 5 {
		seenLive = append(seenLive, next(t, live).Cursor)
	}
	resumed, err := h.Subscribe(ctx, hub.SubscribeParams{Topic: hub.TopicDataSources, After: &lastBefore})
	require.NoError(t, err)
	seenResumed := seenLive[:2:2]
	for len(seenResumed) < 5 {
		seenResumed = append(seenResumed, next(t, resumed).Cursor)
	}

	events, _, err := st.EventList(ctx, &store.EventListParams{})
	require.NoError(t, err)
	var want []store.EventCursor
	for _, e := range events {
		want = append(want, e.Cursor)
	}
	require.Equal(t, want, seenLive)
	require.Equal(t, want, seenResumed)
}
