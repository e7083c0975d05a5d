//go:build chaos

package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func init() {
	register(7, func(t *testing.T, ctx context.Context, su *suite) *scenario { return mutationLoad(t, ctx, su) })
}

// Scenario 7's load: clients per replica, each with an editor token of its
// own (the API limits each token to 50 mutations a second), on datasources
// of its own whose schedules it changes, so that the planner must follow.
const (
	loadClientsPerReplica = 8
	loadDataSources       = 20
)

var loadIntervals = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}

// loadAck is an acknowledged update of scenario 7.
type loadAck struct {
	version     int
	description string
	interval    time.Duration
}

// mutationLoad sends updateDataSource with expectedVersion from many
// clients at once for a while (60 s in the long version), changing
// descriptions and intervals. Every acknowledged update must be in the
// datasource's history (the suite's I4 check), no two acknowledged updates
// of one datasource may share a version (no lost update), and once the load
// stops each datasource holds its last acknowledged update and the planner
// plans on its final interval.
func mutationLoad(t *testing.T, ctx context.Context, su *suite) *scenario {
	c, w := su.c, su.w
	d := 60 * time.Second
	switch {
	case su.cfg.long:
		d = 2 * time.Minute
	case su.cfg.short:
		d = 10 * time.Second
	}
	clients := loadClientsPerReplica * len(c.replicas)
	s := &scenario{name: fmt.Sprintf("7. Mutation load (%d clients sending updateDataSource with expectedVersion for %v)", clients, d), from: time.Now()}
	dss, err := createLoadDataSources(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, clients)
	for i := range tokens {
		if tokens[i], err = createToken(ctx, c, fmt.Sprintf("chaos-load-%d-%d", time.Now().Unix(), i), "EDITOR"); err != nil {
			t.Fatal(err)
		}
	}
	s.fault("%d clients, %d per replica, each with an editor token, on %d datasources for %v", clients, loadClientsPerReplica, len(dss), d)

	var mu sync.Mutex
	acks := map[string][]loadAck{}
	var conflicts, failed atomic.Int64
	var latencies []time.Duration
	load, stop := context.WithTimeout(ctx, d)
	defer stop()
	var wg sync.WaitGroup
	for i := range clients {
		base := c.replicas[i%len(c.replicas)].url()
		wg.Go(func() {
			versions := map[string]int{}
			for n := 0; load.Err() == nil; n++ {
				ds := dss[rand.IntN(len(dss))]
				a := loadAck{description: fmt.Sprintf("load client %d, change %d", i, n), interval: loadIntervals[rand.IntN(len(loadIntervals))]}
				start := time.Now()
				// The request itself outlives the load, so that every
				// update sent is answered: the final state is then the
				// last acknowledged one.
				v, err := updateWithVersion(ctx, base, tokens[i], ds.id, versions[ds.id], a)
				var ge gqlError
				switch {
				case err == nil:
					versions[ds.id], a.version = v, v
					mu.Lock()
					acks[ds.id] = append(acks[ds.id], a)
					latencies = append(latencies, time.Since(start))
					mu.Unlock()
					w.mu.Lock()
					w.acked = append(w.acked, mutation{ds.id, v, a.description})
					w.mu.Unlock()
				case errors.As(err, &ge) && ge.Extensions.Code == "VERSION_CONFLICT":
					conflicts.Add(1)
					delete(versions, ds.id)
				default:
					failed.Add(1)
					delete(versions, ds.id)
				}
			}
		})
	}
	wg.Wait()
	var acked int
	for _, as := range acks {
		acked += len(as)
	}
	s.fact("acknowledged updates: %d (%.0f a second); VERSION_CONFLICT answers: %d; other failures: %d",
		acked, float64(acked)/d.Seconds(), conflicts.Load(), failed.Load())
	s.fact("update latency: p50 %v, p99 %v, max %v", percentile(latencies, 0.5).Round(time.Millisecond),
		percentile(latencies, 0.99).Round(time.Millisecond), percentile(latencies, 1).Round(time.Millisecond))
	if failed.Load() > 0 {
		s.finding("%d updates failed with an error other than VERSION_CONFLICT while every replica ran", failed.Load())
	}
	checkFinalState(ctx, c, s, dss, acks)
	for _, ds := range dss {
		if err := graphql(ctx, c.replicas[0].url(), c.token, `mutation($id: ID!) { deleteDataSource(id: $id) }`, map[string]any{"id": ds.id}, nil); err != nil {
			s.finding("deleteDataSource %s: %v", ds.name, err)
		}
	}
	return s
}

// updateWithVersion sends one update, with expectedVersion when the client
// knows the version, and returns the new version.
func updateWithVersion(ctx context.Context, base, token, id string, version int, a loadAck) (int, error) {
	vars := map[string]any{"id": id, "in": map[string]any{"description": a.description, "schedule": map[string]any{"interval": a.interval.String()}}}
	if version > 0 {
		vars["v"] = version
	}
	var out struct {
		UpdateDataSource struct {
			Version int `json:"version"`
		} `json:"updateDataSource"`
	}
	err := graphql(ctx, base, token, `mutation($id: ID!, $in: UpdateDataSourceInput!, $v: Int) {
		updateDataSource(id: $id, input: $in, expectedVersion: $v) { version } }`, vars, &out)
	return out.UpdateDataSource.Version, err
}

// checkFinalState: no two acknowledged updates share a version, each
// datasource holds its last one, and the planner follows its interval.
func checkFinalState(ctx context.Context, c *cluster, s *scenario, dss []*dataSource, acks map[string][]loadAck) {
	settle := 2 * loadIntervals[len(loadIntervals)-1]
	sleep(ctx, settle)
	var lostUpdates, offGrid, runsChecked int
	for _, ds := range dss {
		seen := map[int]bool{}
		var last loadAck
		for _, a := range acks[ds.id] {
			if seen[a.version] {
				lostUpdates++
			}
			seen[a.version] = true
			if a.version > last.version {
				last = a
			}
		}
		if last.version == 0 {
			continue
		}
		var version int
		var description string
		var micros int64
		var updatedAt time.Time
		err := c.db.QueryRow(ctx, `SELECT version, description, (extract(epoch FROM schedule_interval) * 1e6)::bigint, updated_at
			FROM datasources WHERE id = $1`, ds.id).Scan(&version, &description, &micros, &updatedAt)
		interval := time.Duration(micros) * time.Microsecond
		if err != nil {
			s.finding("%s: %v", ds.name, err)
			continue
		}
		if version != last.version || description != last.description || interval != last.interval {
			s.finding("%s holds version %d (%q, %v), not its last acknowledged update %d (%q, %v)",
				ds.name, version, description, interval, last.version, last.description, last.interval)
		}
		// Runs planned once the planner has seen the last update lie on
		// the final interval's slots.
		rows, err := c.db.Query(ctx, `SELECT scheduled_for FROM runs WHERE datasource_id = $1 AND created_at > $2::timestamptz + interval '1 second'`, ds.id, updatedAt)
		if err != nil {
			s.finding("%s: %v", ds.name, err)
			continue
		}
		for rows.Next() {
			var slot time.Time
			if rows.Scan(&slot) == nil {
				runsChecked++
				if slot.Sub(time.Unix(0, 0))%last.interval != 0 {
					offGrid++
				}
			}
		}
		rows.Close()
	}
	s.fact("after the load: %d runs planned on the final schedules checked, %d off their final interval's slots", runsChecked, offGrid)
	if lostUpdates > 0 {
		s.finding("%d acknowledged updates share a version with another (lost updates)", lostUpdates)
	}
	if offGrid > 0 {
		s.finding("%d runs planned after the load are off their datasource's final interval", offGrid)
	}
	if runsChecked == 0 {
		s.finding("no run was planned in the %v after the load", settle)
	}
}

// createLoadDataSources creates scenario 7's datasources.
func createLoadDataSources(ctx context.Context, c *cluster) ([]*dataSource, error) {
	var dss []*dataSource
	for i := range loadDataSources {
		ds := &dataSource{name: fmt.Sprintf("chaos-load-%02d-%d", i, time.Now().UnixNano()%1e6), interval: time.Second}
		ds.dir = filepath.Join(c.inbox, ds.name)
		if err := os.MkdirAll(ds.dir, 0o755); err != nil {
			return nil, err
		}
		id, err := createDataSource(ctx, c, c.replicas[0].url(),
			map[string]any{"name": ds.name, "path": ds.dir, "filePattern": "*.csv", "schedule": map[string]any{"interval": "1s"}})
		if err != nil {
			return nil, err
		}
		ds.id = id
		dss = append(dss, ds)
	}
	return dss, nil
}

// createToken creates an API token with the admin token and returns it.
func createToken(ctx context.Context, c *cluster, name, role string) (string, error) {
	var out struct {
		CreateAPIToken struct {
			Secret string `json:"secret"`
		} `json:"createApiToken"`
	}
	err := graphql(ctx, c.replicas[0].url(), c.token, `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) { secret } }`,
		map[string]any{"in": map[string]any{"name": name, "role": role}}, &out)
	return out.CreateAPIToken.Secret, err
}
