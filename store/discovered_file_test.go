package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// discoverAt records files for dataSourceID as a run does, then dates their
// discovery at.
func (b *testBundle) discoverAt(t *testing.T, ctx context.Context, dataSourceID uuid.UUID, at time.Time, files ...store.DiscoveredFile) {
	t.Helper()
	paths := make([]string, len(files))
	for i := range files {
		files[i].ModTime, files[i].Format = at.Add(-time.Minute), "CSV"
		paths[i] = files[i].Path
	}
	require.NoError(t, b.store.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.FilesRecord(ctx, dataSourceID, 1, &store.FileDiscovery{Files: files})
		return err
	}))
	_, err := b.store.Pool().Exec(ctx, `UPDATE discovered_files SET discovered_at = $3 WHERE datasource_id = $1 AND path = ANY($2)`,
		dataSourceID, paths, at)
	require.NoError(t, err)
}

func (b *testBundle) createInZone(t *testing.T, ctx context.Context, name, zone string) *store.DataSource {
	t.Helper()
	p := createParams(name)
	p.Schedule.Timezone = zone
	ds, err := b.store.DataSourceCreate(ctx, p)
	require.NoError(t, err)
	return ds
}

func records(n int64) *int64 { return &n }

func TestFilesPerDay(t *testing.T) {
	t.Parallel()
	b, ctx := setup(t)
	now := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	filesPerDay := func(t *testing.T, s *store.Store, id uuid.UUID, days int, now time.Time) []store.FileDay {
		t.Helper()
		got, err := s.FilesPerDay(ctx, &store.FilesPerDayParams{DataSourceID: id, Days: days, Now: &now})
		require.NoError(t, err)
		out := make([]store.FileDay, len(got))
		for i, d := range got {
			out[i] = *d
		}
		return out
	}

	t.Run("ZeroDaysIncluded", func(t *testing.T) {
		ds := b.createInZone(t, ctx, "empty", "UTC")
		require.Equal(t, []store.FileDay{{Day: "2026-11-25"}, {Day: "2026-11-26"}, {Day: "2026-11-27"}}, filesPerDay(t, b.store, ds.ID, 3, now))
	})

	t.Run("SumsPerDay", func(t *testing.T) {
		ds := b.createInZone(t, ctx, "sums", "UTC")
		other := b.createInZone(t, ctx, "sums-other", "UTC")
		b.discoverAt(t, ctx, ds.ID, now.Add(-26*time.Hour),
			store.DiscoveredFile{Path: "a.csv", Size: 100, RecordCount: records(10)},
			store.DiscoveredFile{Path: "b.bin", Size: 5_000_000_000})
		b.discoverAt(t, ctx, ds.ID, now.Add(-time.Hour), store.DiscoveredFile{Path: "c.csv", Size: 7, RecordCount: records(3)})
		b.discoverAt(t, ctx, other.ID, now.Add(-time.Hour), store.DiscoveredFile{Path: "d.csv", Size: 1, RecordCount: records(1)})
		require.Equal(t, []store.FileDay{
			{Day: "2026-11-24"},
			{Day: "2026-11-25"},
			{Day: "2026-11-26", Files: 2, Bytes: 5_000_000_100, Records: 10},
			{Day: "2026-11-27", Files: 1, Bytes: 7, Records: 3},
		}, filesPerDay(t, b.store, ds.ID, 4, now), "oldest first; no records for OTHER; other datasources' files apart")
	})

	// A file discovered at 23:30 UTC falls on the next day in Paris, and
	// "today" is the zone's today.
	t.Run("DaysAreTheSchedulesZone", func(t *testing.T) {
		paris := b.createInZone(t, ctx, "paris", "Europe/Paris")
		utc := b.createInZone(t, ctx, "utc", "UTC")
		late := time.Date(2026, 11, 27, 23, 45, 0, 0, time.UTC) // 00:45 on the 28th in Paris
		for _, ds := range []*store.DataSource{paris, utc} {
			b.discoverAt(t, ctx, ds.ID, time.Date(2026, 11, 27, 22, 30, 0, 0, time.UTC), store.DiscoveredFile{Path: "before-midnight.csv", Size: 1})
			b.discoverAt(t, ctx, ds.ID, time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC), store.DiscoveredFile{Path: "after-midnight.csv", Size: 2})
		}
		require.Equal(t, []store.FileDay{{Day: "2026-11-27", Files: 1, Bytes: 1}, {Day: "2026-11-28", Files: 1, Bytes: 2}},
			filesPerDay(t, b.store, paris.ID, 2, late))
		require.Equal(t, []store.FileDay{{Day: "2026-11-26"}, {Day: "2026-11-27", Files: 2, Bytes: 3}},
			filesPerDay(t, b.store, utc.ID, 2, late))

		// Nor does the session's TimeZone (postgresql.conf, the URL) matter.
		sep := "?"
		if strings.Contains(b.url, "?") {
			sep = "&"
		}
		pool, err := store.Open(ctx, b.url+sep+"timezone=Pacific/Kiritimati")
		require.NoError(t, err)
		defer pool.Close()
		var session string
		require.NoError(t, pool.QueryRow(ctx, `SELECT current_setting('TimeZone')`).Scan(&session))
		require.Equal(t, "Pacific/Kiritimati", session)
		require.Equal(t, []store.FileDay{{Day: "2026-11-27", Files: 1, Bytes: 1}, {Day: "2026-11-28", Files: 1, Bytes: 2}},
			filesPerDay(t, store.New(pool), paris.ID, 2, late))
	})

	// 25 October 2026 has 25 hours in Paris: 22:00 UTC on the 24th to
	// 23:00 UTC on the 25th.
	t.Run("DaylightSavingEnds", func(t *testing.T) {
		ds := b.createInZone(t, ctx, "dst", "Europe/Paris")
		for i, at := range []time.Time{
			time.Date(2026, 10, 24, 21, 59, 0, 0, time.UTC), // 23:59 CEST on the 24th
			time.Date(2026, 10, 24, 22, 0, 0, 0, time.UTC),  // 00:00 CEST on the 25th
			time.Date(2026, 10, 25, 22, 59, 0, 0, time.UTC), // 23:59 CET on the 25th
			time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC),  // 00:00 CET on the 26th
		} {
			b.discoverAt(t, ctx, ds.ID, at, store.DiscoveredFile{Path: fmt.Sprintf("%d.csv", i), Size: 1 << i})
		}
		require.Equal(t, []store.FileDay{
			{Day: "2026-10-24", Files: 1, Bytes: 1},
			{Day: "2026-10-25", Files: 2, Bytes: 2 + 4},
			{Day: "2026-10-26", Files: 1, Bytes: 8},
		}, filesPerDay(t, b.store, ds.ID, 3, time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC)))
	})

	t.Run("DaysLimitTheWindow", func(t *testing.T) {
		ds := b.createInZone(t, ctx, "window", "UTC")
		b.discoverAt(t, ctx, ds.ID, time.Date(2026, 11, 24, 23, 59, 0, 0, time.UTC), store.DiscoveredFile{Path: "too-old.csv", Size: 1})
		b.discoverAt(t, ctx, ds.ID, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), store.DiscoveredFile{Path: "first-day.csv", Size: 2})
		b.discoverAt(t, ctx, ds.ID, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), store.DiscoveredFile{Path: "tomorrow.csv", Size: 4})
		require.Equal(t, []store.FileDay{{Day: "2026-11-25", Files: 1, Bytes: 2}, {Day: "2026-11-26"}, {Day: "2026-11-27"}},
			filesPerDay(t, b.store, ds.ID, 3, now))
		require.Equal(t, []store.FileDay{{Day: "2026-11-27"}}, filesPerDay(t, b.store, ds.ID, 1, now))
		require.Len(t, filesPerDay(t, b.store, ds.ID, 90, now), 90)

		_, err := b.store.FilesPerDay(ctx, &store.FilesPerDayParams{DataSourceID: ds.ID, Days: 0})
		require.ErrorContains(t, err, "days must be at least 1")
	})

	t.Run("NowDefaultsToTheDatabaseClock", func(t *testing.T) {
		ds := b.createInZone(t, ctx, "clock", "UTC")
		before := time.Now().UTC().Format(time.DateOnly)
		got, err := b.store.FilesPerDay(ctx, &store.FilesPerDayParams{DataSourceID: ds.ID, Days: 2})
		require.NoError(t, err)
		after := time.Now().UTC().Format(time.DateOnly)
		require.Len(t, got, 2)
		require.Contains(t, []string{before, after}, got[1].Day)
	})

	t.Run("NotFound", func(t *testing.T) {
		_, err := b.store.FilesPerDay(ctx, &store.FilesPerDayParams{DataSourceID: uuid.New(), Days: 14, Now: &now})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
