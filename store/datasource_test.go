package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

type testBundle struct {
	store *store.Store
	url   string
}

func setup(t *testing.T) (*testBundle, context.Context) {
	t.Helper()
	s, url := pgtest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return &testBundle{store: s, url: url}, ctx
}

func createParams(name string) *store.DataSourceCreateParams {
	return &store.DataSourceCreateParams{
		Name:        name,
		Path:        "/data/inbox/" + name,
		FilePattern: "*.csv",
		Enabled:     true,
		Schedule: store.Schedule{
			Cron: "*/30 * * * * ?", Anchor: time.Unix(0, 0).UTC(), Timezone: "UTC",
			MisfirePolicy: "FIRE_ONCE", OverlapPolicy: "SKIP",
		},
	}
}

func TestDataSourceCreate(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)

	ds, err := b.store.DataSourceCreate(ctx, createParams("sales"))
	require.NoError(t, err)
	require.NotEqual(t, uuid.Nil, ds.ID)
	require.Equal(t, 1, ds.Version)
	require.Equal(t, "*/30 * * * * ?", ds.Schedule.Cron)

	got, err := b.store.DataSourceGetByID(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, ds, got)

	t.Run("NameTakenIgnoringCase", func(t *testing.T) {
		_, err := b.store.DataSourceCreate(ctx, createParams("SALES"))
		require.ErrorIs(t, err, store.ErrNameTaken)
	})

	t.Run("IntervalRoundTrips", func(t *testing.T) {
		p := createParams("interval")
		p.Schedule.Cron, p.Schedule.Interval = "", 90*time.Minute+500*time.Millisecond
		ds, err := b.store.DataSourceCreate(ctx, p)
		require.NoError(t, err)
		require.Equal(t, 90*time.Minute+500*time.Millisecond, ds.Schedule.Interval)
		require.Empty(t, ds.Schedule.Cron)
	})

	t.Run("DatabaseRefusesWhatValidationWouldRefuse", func(t *testing.T) {
		p := createParams("tiny-interval")
		p.Schedule.Cron, p.Schedule.Interval = "", 500*time.Millisecond
		_, err := b.store.DataSourceCreate(ctx, p)
		require.ErrorContains(t, err, "datasources_schedule_interval_min")
	})
}

func TestDataSourceGetByIDNotFound(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	_, err := b.store.DataSourceGetByID(ctx, uuid.New())
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestDataSourceUpdate(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("orders"))
	require.NoError(t, err)

	newName := "orders-eu"
	updated, err := b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Name: &newName, ExpectedVersion: &ds.Version})
	require.NoError(t, err)
	require.Equal(t, "orders-eu", updated.Name)
	require.Equal(t, 2, updated.Version)
	require.Equal(t, ds.Path, updated.Path, "fields not given keep their value")

	t.Run("VersionConflict", func(t *testing.T) {
		stale := 1
		_, err := b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Name: &newName, ExpectedVersion: &stale})
		var conflict *store.VersionConflictError
		require.ErrorAs(t, err, &conflict)
		require.Equal(t, 1, conflict.Expected)
		require.Equal(t, 2, conflict.Actual)
	})

	t.Run("NoChangeWritesNothing", func(t *testing.T) {
		before := countEvents(ctx, t, b)
		same, err := b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Name: &newName})
		require.NoError(t, err)
		require.Equal(t, 2, same.Version)
		require.Equal(t, before, countEvents(ctx, t, b))
	})

	t.Run("NotFound", func(t *testing.T) {
		_, err := b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: uuid.New(), Name: &newName})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

// Concurrent updates that all name the same expected version: exactly one
// wins, the others get a conflict, and nothing is lost.
func TestDataSourceUpdateConcurrentExpectedVersion(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("race"))
	require.NoError(t, err)

	const writers = 8
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		wins      int
		conflicts int
	)
	for i := range writers {
		wg.Go(func() {
			desc := fmt.Sprintf("writer %d", i)
			_, err := b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Description: &desc, ExpectedVersion: &ds.Version})
			mu.Lock()
			defer mu.Unlock()
			var conflict *store.VersionConflictError
			switch {
			case err == nil:
				wins++
			case errors.As(err, &conflict):
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1, wins)
	require.Equal(t, writers-1, conflicts)
	final, err := b.store.DataSourceGetByID(ctx, ds.ID)
	require.NoError(t, err)
	require.Equal(t, 2, final.Version)
}

func TestDataSourceDelete(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("gone"))
	require.NoError(t, err)

	deleted, err := b.store.DataSourceDelete(ctx, &store.DataSourceDeleteParams{ID: ds.ID})
	require.NoError(t, err)
	require.Equal(t, 2, deleted.Version)

	_, err = b.store.DataSourceGetByID(ctx, ds.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.store.DataSourceDelete(ctx, &store.DataSourceDeleteParams{ID: ds.ID})
	require.ErrorIs(t, err, store.ErrNotFound)

	// The name is free again.
	_, err = b.store.DataSourceCreate(ctx, createParams("gone"))
	require.NoError(t, err)
}

func TestDataSourceList(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	for _, name := range []string{"beta", "alpha", "gamma_1", "gamma%2", "delta"} {
		p := createParams(name)
		p.Enabled = name != "delta"
		_, err := b.store.DataSourceCreate(ctx, p)
		require.NoError(t, err)
	}

	var names []string
	after := ""
	for {
		page, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 2, After: after})
		require.NoError(t, err)
		require.Equal(t, 5, page.TotalCount)
		for _, ds := range page.DataSources {
			names = append(names, ds.Name)
		}
		if !page.HasNextPage {
			break
		}
		after = page.Cursors[len(page.Cursors)-1]
	}
	require.Equal(t, []string{"alpha", "beta", "delta", "gamma%2", "gamma_1"}, names)

	t.Run("SearchEscapesLikeWildcards", func(t *testing.T) {
		page, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10, Search: "A%"})
		require.NoError(t, err)
		require.Equal(t, 1, page.TotalCount)
		require.Equal(t, "gamma%2", page.DataSources[0].Name)
	})

	t.Run("EnabledFilter", func(t *testing.T) {
		disabled := false
		page, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10, Enabled: &disabled})
		require.NoError(t, err)
		require.Equal(t, 1, page.TotalCount)
		require.Equal(t, "delta", page.DataSources[0].Name)
	})

	t.Run("InvalidCursor", func(t *testing.T) {
		_, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10, After: "bm90LWEtY3Vyc29y"})
		require.ErrorIs(t, err, store.ErrInvalidCursor)
	})
}

// Each mutation writes one events row holding the datasource as it became.
func TestDataSourceEventsRecorded(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	ds, err := b.store.DataSourceCreate(ctx, createParams("audited"))
	require.NoError(t, err)
	desc := "now described"
	_, err = b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Description: &desc})
	require.NoError(t, err)
	_, err = b.store.DataSourceDelete(ctx, &store.DataSourceDeleteParams{ID: ds.ID})
	require.NoError(t, err)

	conn := connect(ctx, t, b.url)
	rows, err := conn.Query(ctx, `SELECT kind, payload FROM events WHERE datasource_id = $1 ORDER BY id`, ds.ID)
	require.NoError(t, err)
	type event struct {
		Kind    string
		Payload map[string]any
	}
	events, err := pgx.CollectRows(rows, pgx.RowToStructByPos[event])
	require.NoError(t, err)
	require.Len(t, events, 3)
	require.Equal(t, store.EventDataSourceCreated, events[0].Kind)
	require.Equal(t, store.EventDataSourceUpdated, events[1].Kind)
	require.Equal(t, "now described", events[1].Payload["description"])
	require.Equal(t, store.EventDataSourceDeleted, events[2].Kind)
	require.NotNil(t, events[2].Payload["deleted_at"])
}

// NOTIFY arrives on commit, and a failed mutation notifies no one. Rather
// than wait for a notification that should not come, the test makes a
// successful write after the failed ones: notifications arrive in commit
// order, so the first one received must be the successful write's.
func TestDataSourceNotify(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	listener := connect(ctx, t, b.url)
	_, err := listener.Exec(ctx, "LISTEN "+store.DataSourceEventsChannel)
	require.NoError(t, err)

	ds, err := b.store.DataSourceCreate(ctx, createParams("notified"))
	require.NoError(t, err)
	n := waitNotification(ctx, t, listener)
	require.Equal(t, ds.ID.String(), n["id"])
	require.Equal(t, "create", n["op"])
	require.EqualValues(t, 1, n["version"])

	// Failures: a duplicate name, a stale expected version, a missing row.
	_, err = b.store.DataSourceCreate(ctx, createParams("NOTIFIED"))
	require.ErrorIs(t, err, store.ErrNameTaken)
	stale := 7
	desc := "x"
	_, err = b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: ds.ID, Description: &desc, ExpectedVersion: &stale})
	require.Error(t, err)
	_, err = b.store.DataSourceDelete(ctx, &store.DataSourceDeleteParams{ID: uuid.New()})
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = b.store.DataSourceDelete(ctx, &store.DataSourceDeleteParams{ID: ds.ID})
	require.NoError(t, err)
	n = waitNotification(ctx, t, listener)
	require.Equal(t, "delete", n["op"], "the failed mutations must not have notified")
	require.EqualValues(t, 2, n["version"])
}

func waitNotification(ctx context.Context, t *testing.T, conn *pgx.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := conn.WaitForNotification(ctx)
	require.NoError(t, err)
	require.Equal(t, store.DataSourceEventsChannel, n.Channel)
	require.Less(t, len(n.Payload), 8000)
	var payload map[string]any
	require.NoError(t, json.Unmarshal([]byte(n.Payload), &payload))
	return payload
}

func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func countEvents(ctx context.Context, t *testing.T, b *testBundle) int {
	t.Helper()
	var n int
	require.NoError(t, b.store.Pool().QueryRow(ctx, "SELECT count(*) FROM events").Scan(&n))
	return n
}

// A mutation that fails at COMMIT, after its NOTIFY was queued, notifies no
// one and leaves no rows. A deferred constraint trigger makes the commit of
// one datasource's create fail, the way a serialization failure would.
func TestDataSourceNotifyNotSentOnFailedCommit(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	_, err := b.store.Pool().Exec(ctx, `
		CREATE FUNCTION fail_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.payload->>'name' = 'doomed' THEN
				RAISE EXCEPTION 'doomed at commit';
			END IF;
			RETURN NULL;
		END $$;
		CREATE CONSTRAINT TRIGGER fail_doomed AFTER INSERT ON events
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_doomed();`)
	require.NoError(t, err)

	listener := connect(ctx, t, b.url)
	_, err = listener.Exec(ctx, "LISTEN "+store.DataSourceEventsChannel)
	require.NoError(t, err)

	_, err = b.store.DataSourceCreate(ctx, createParams("doomed"))
	require.ErrorContains(t, err, "doomed at commit")

	ok, err := b.store.DataSourceCreate(ctx, createParams("fine"))
	require.NoError(t, err)
	n := waitNotification(ctx, t, listener)
	require.Equal(t, ok.ID.String(), n["id"], "the first notification must be the committed create's")

	page, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10})
	require.NoError(t, err)
	require.Equal(t, 1, page.TotalCount)
	require.Equal(t, 1, countEvents(ctx, t, b))
}

// A list that names its columns reads those, and id and name, and leaves
// the other fields zero.
func TestDataSourceListReadsTheColumnsAsked(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	created, err := b.store.DataSourceCreate(ctx, createParams("projected"))
	require.NoError(t, err)

	full, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10})
	require.NoError(t, err)
	require.Equal(t, created.Path, full.DataSources[0].Path)

	page, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10, Columns: []string{"path", "version", "run_timeout"}})
	require.NoError(t, err)
	got := page.DataSources[0]
	require.Equal(t, created.ID, got.ID)
	require.Equal(t, "projected", got.Name)
	require.Equal(t, created.Path, got.Path)
	require.Equal(t, created.Version, got.Version)
	require.Equal(t, created.RunTimeout, got.RunTimeout)
	require.Empty(t, got.FilePattern)
	require.Empty(t, got.Schedule.Cron)
	require.Nil(t, got.NextRunAt)
	require.Equal(t, full.Cursors, page.Cursors)

	none, err := b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10, Columns: []string{}})
	require.NoError(t, err)
	require.Equal(t, created.ID, none.DataSources[0].ID)
	require.Zero(t, none.DataSources[0].Version)

	_, err = b.store.DataSourceList(ctx, &store.DataSourceListParams{First: 10, Columns: []string{"password"}})
	require.ErrorContains(t, err, `no column "password"`)

	one, err := b.store.DataSourceGetByIDColumns(ctx, created.ID, []string{"file_pattern"})
	require.NoError(t, err)
	require.Equal(t, created.FilePattern, one.FilePattern)
	require.Empty(t, one.Path)
	_, err = b.store.DataSourceGetByIDColumns(ctx, uuid.New(), []string{"file_pattern"})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = b.store.DataSourceGetByIDColumns(ctx, created.ID, []string{"1; DROP TABLE datasources"})
	require.ErrorContains(t, err, "no column")
}
