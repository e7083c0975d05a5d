package scheduler

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ezplatform/ezplatform/store"
)

// DefaultSpecCacheSize bounds a SpecCache unless told otherwise: enough for
// every datasource of a large installation (a few hundred bytes each).
const DefaultSpecCacheSize = 200_000

// SpecCache keeps the parsed schedule of each datasource version, so that a
// schedule is parsed once per version rather than on every plan, reconcile
// or query. It is safe for concurrent use. When full it forgets an arbitrary
// entry: schedules are planned in cycles, and a cycle longer than an LRU
// list would miss on every lookup.
type SpecCache struct {
	max int
	// parse is SpecOf; tests count its calls.
	parse func(*store.Schedule) (*Spec, error)

	mu      sync.Mutex
	entries map[uuid.UUID]*specEntry
	// generation counts sweeps; an entry records the generation of its
	// last use, and a sweep drops the entries unused since the last one.
	generation uint64
}

// specEntry is one datasource's parsed schedule. It keeps the fields it was
// parsed from: a schedule edited in psql without bumping the version is
// still parsed afresh.
type specEntry struct {
	version  int
	used     uint64 // the cache's generation when last used
	cron     string
	interval time.Duration
	anchor   time.Time
	timezone string
	spec     *Spec
	err      error
}

// NewSpecCache makes a cache of at most size schedules (DefaultSpecCacheSize
// if size is not positive).
func NewSpecCache(size int) *SpecCache {
	if size <= 0 {
		size = DefaultSpecCacheSize
	}
	return &SpecCache{max: size, parse: SpecOf, entries: map[uuid.UUID]*specEntry{}}
}

// Spec returns the parsed schedule of ds, parsing it only if this version of
// ds is not cached. An invalid schedule's error is cached too.
func (c *SpecCache) Spec(ds *store.DataSource) (*Spec, error) {
	c.mu.Lock()
	e, ok := c.entries[ds.ID]
	if ok && e.matches(ds) {
		e.used = c.generation
		c.mu.Unlock()
		return e.spec, e.err
	}
	c.mu.Unlock()
	spec, err := c.parse(&ds.Schedule)
	c.put(ds, spec, err)
	return spec, err
}

// Put records spec, which the API's validation parsed from schedule, as the
// parsed schedule of ds, just written with it. It records nothing if ds's
// stored schedule differs from schedule (PostgreSQL keeps microseconds of
// the anchor, for one): the cache never holds a Spec of another schedule.
func (c *SpecCache) Put(ds *store.DataSource, schedule *store.Schedule, spec *Spec) {
	stored := &ds.Schedule
	if schedule.Cron != stored.Cron || schedule.Interval != stored.Interval || !schedule.Anchor.Equal(stored.Anchor) ||
		schedule.Timezone != stored.Timezone {
		return
	}
	c.put(ds, spec, nil)
}

func (c *SpecCache) put(ds *store.DataSource, spec *Spec, err error) {
	s := &ds.Schedule
	e := &specEntry{version: ds.Version, cron: s.Cron, interval: s.Interval, anchor: s.Anchor, timezone: s.Timezone, spec: spec, err: err}
	c.mu.Lock()
	defer c.mu.Unlock()
	e.used = c.generation
	if _, ok := c.entries[ds.ID]; !ok && len(c.entries) >= c.max {
		for id := range c.entries { // map order is random: an arbitrary entry
			delete(c.entries, id)
			break
		}
	}
	c.entries[ds.ID] = e
}

// Forget drops the schedule of a datasource, deleted for instance.
func (c *SpecCache) Forget(id uuid.UUID) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// Sweep drops the schedules that no one asked for since the previous
// Sweep. The planner sweeps after each full pass over the plannable
// schedules, which asks for every one it will plan, so that the schedules of
// deleted, disabled or paused datasources do not stay.
func (c *SpecCache) Sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.entries {
		if e.used != c.generation {
			delete(c.entries, id)
		}
	}
	c.generation++
}

// Len returns how many schedules the cache holds.
func (c *SpecCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (e *specEntry) matches(ds *store.DataSource) bool {
	s := &ds.Schedule
	return e.version == ds.Version && e.cron == s.Cron && e.interval == s.Interval &&
		e.anchor.Equal(s.Anchor) && e.timezone == s.Timezone
}
