package scheduler

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/store"
)

// countingCache is a SpecCache that counts how often it parses.
func countingCache(size int) (*SpecCache, *int) {
	c := NewSpecCache(size)
	parses := new(int)
	c.parse = func(s *store.Schedule) (*Spec, error) {
		*parses++
		return SpecOf(s)
	}
	return c, parses
}

func cachedDataSource(interval time.Duration) *store.DataSource {
	return &store.DataSource{ID: uuid.New(), Version: 1, Schedule: store.Schedule{
		Interval: interval, Anchor: DefaultAnchor, Timezone: "Europe/Paris",
		MisfirePolicy: DefaultMisfirePolicy, OverlapPolicy: DefaultOverlapPolicy,
	}}
}

func TestSpecCacheParsesOncePerVersion(t *testing.T) {
	t.Parallel()
	c, parses := countingCache(0)
	ds := cachedDataSource(time.Minute)

	first, err := c.Spec(ds)
	require.NoError(t, err)
	again, err := c.Spec(ds)
	require.NoError(t, err)
	require.Same(t, first, again, "a hit returns the kept Spec")
	require.Equal(t, 1, *parses, "a hit does not parse again")

	ds.Version, ds.Schedule.Interval = 2, 2*time.Minute
	changed, err := c.Spec(ds)
	require.NoError(t, err)
	require.Equal(t, 2, *parses, "a new version is parsed")
	require.Equal(t, 2*time.Minute, changed.Interval())

	ds.Version = 3 // paused or renamed: same schedule, still a new version
	_, err = c.Spec(ds)
	require.NoError(t, err)
	require.Equal(t, 3, *parses)
}

// A schedule edited in psql keeps its version; the cache still notices.
func TestSpecCacheNoticesEditsWithoutNewVersion(t *testing.T) {
	t.Parallel()
	c, parses := countingCache(0)
	ds := cachedDataSource(time.Minute)
	_, err := c.Spec(ds)
	require.NoError(t, err)
	ds.Schedule.Cron, ds.Schedule.Interval = "0 0 * * * ?", 0
	spec, err := c.Spec(ds)
	require.NoError(t, err)
	require.Equal(t, 2, *parses)
	require.Equal(t, time.Duration(0), spec.Interval())
}

func TestSpecCacheKeepsErrors(t *testing.T) {
	t.Parallel()
	c, parses := countingCache(0)
	ds := cachedDataSource(time.Minute)
	ds.Schedule.Timezone = "Nowhere/Atlantis"
	for range 2 {
		_, err := c.Spec(ds)
		var serr *SpecError
		require.ErrorAs(t, err, &serr)
		require.Equal(t, "timezone", serr.Field)
	}
	require.Equal(t, 1, *parses)
}

func TestSpecCacheIsBounded(t *testing.T) {
	t.Parallel()
	c, _ := countingCache(10)
	for range 100 {
		_, err := c.Spec(cachedDataSource(time.Minute))
		require.NoError(t, err)
	}
	require.Equal(t, 10, c.Len())
}

func TestSpecCacheSweepDropsUnused(t *testing.T) {
	t.Parallel()
	c, parses := countingCache(0)
	used, unused := cachedDataSource(time.Minute), cachedDataSource(time.Hour)
	for _, ds := range []*store.DataSource{used, unused} {
		_, err := c.Spec(ds)
		require.NoError(t, err)
	}
	c.Sweep()
	require.Equal(t, 2, c.Len(), "both were used since the last sweep")
	_, err := c.Spec(used)
	require.NoError(t, err)
	c.Sweep()
	require.Equal(t, 1, c.Len(), "one was not used since the last sweep")
	_, err = c.Spec(used)
	require.NoError(t, err)
	require.Equal(t, 2, *parses, "the one used is still kept")
}

func TestSpecCachePut(t *testing.T) {
	t.Parallel()
	c, parses := countingCache(0)
	ds := cachedDataSource(time.Minute)
	spec, err := SpecOf(&ds.Schedule)
	require.NoError(t, err)
	c.Put(ds, &ds.Schedule, spec)
	got, err := c.Spec(ds)
	require.NoError(t, err)
	require.Same(t, spec, got)
	require.Zero(t, *parses)

	// A Spec parsed from another schedule (an anchor PostgreSQL rounded) is
	// not kept.
	other := cachedDataSource(time.Minute)
	parsedFrom := other.Schedule
	parsedFrom.Anchor = parsedFrom.Anchor.Add(time.Nanosecond)
	c.Put(other, &parsedFrom, spec)
	got, err = c.Spec(other)
	require.NoError(t, err)
	require.NotSame(t, spec, got)
	require.Equal(t, 1, *parses)
}

// The planner parses a schedule once however often it plans and reconciles
// it, and its full pass forgets deleted datasources.
func TestPlannerParsesScheduleOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.leadingPlanner(t, "r", 1)
	parses := 0
	p.specs.parse = func(s *store.Schedule) (*Spec, error) {
		parses++
		return SpecOf(s)
	}
	ctx := t.Context()
	kept := b.createInterval(t, "kept", time.Second)
	gone := b.createInterval(t, "gone", time.Second)

	for range 3 {
		_, err := p.planDue(ctx, 1, time.Now().Add(1100*time.Millisecond))
		require.NoError(t, err)
		require.NoError(t, p.reconcile(ctx, 1))
	}
	require.Equal(t, 2, parses, "one parse per datasource version")
	require.Equal(t, 2, p.specs.Len())

	_, err := b.store.DataSourceDelete(ctx, &store.DataSourceDeleteParams{ID: gone.ID})
	require.NoError(t, err)
	require.NoError(t, p.reconcile(ctx, 1))
	require.Equal(t, 1, p.specs.Len(), "a deleted datasource's schedule is dropped")

	_, err = b.store.DataSourceUpdate(ctx, &store.DataSourceUpdateParams{ID: kept.ID,
		Schedule: &store.Schedule{Interval: 2 * time.Second, Anchor: DefaultAnchor, Timezone: "UTC",
			MisfirePolicy: DefaultMisfirePolicy, OverlapPolicy: DefaultOverlapPolicy}})
	require.NoError(t, err)
	_, err = p.planDue(ctx, 1, time.Now())
	require.NoError(t, err)
	require.Equal(t, 3, parses, "a new version is parsed again")
}

// SpecOf reads a stored schedule as ParseSpec reads the API's input.
func TestSpecOfMatchesParseSpec(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		stored         store.Schedule
		cron, interval string
	}{
		{store.Schedule{Interval: 90 * time.Minute, Anchor: DefaultAnchor, Timezone: "UTC"}, "", "90m"},
		{store.Schedule{Cron: "0 15 10 ? * 6L", Anchor: DefaultAnchor, Timezone: "Europe/Paris"}, "0 15 10 ? * 6L", ""},
	} {
		stored, err := SpecOf(&tc.stored)
		require.NoError(t, err)
		parsed, err := ParseSpec(tc.cron, tc.interval, tc.stored.Anchor, tc.stored.Timezone)
		require.NoError(t, err)
		require.Equal(t, parsed.Upcoming(from, 5), stored.Upcoming(from, 5))
	}
	_, err := SpecOf(&store.Schedule{Interval: time.Millisecond, Timezone: "UTC"})
	var serr *SpecError
	require.ErrorAs(t, err, &serr)
	require.Equal(t, "interval", serr.Field)
}
