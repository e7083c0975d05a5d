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
	"time"
)

var (
	misfirePolicies = []string{"FIRE_ONCE", "SKIP", "FIRE_ALL"}
	overlapPolicies = []string{"SKIP", "ALLOW", "BUFFER_ONE"}
)

// dataSource is one datasource of the workload.
type dataSource struct {
	id       string
	name     string
	dir      string
	interval time.Duration
	misfire  string
	overlap  string
}

// mutation is an acknowledged updateDataSource: the version and the
// description the API answered with.
type mutation struct {
	dataSourceID string
	version      int
	description  string
}

// workload creates the datasources, then writes files into their
// directories and mutates them while the scenarios run.
type workload struct {
	c           *cluster
	dataSources []*dataSource

	mu        sync.Mutex
	acked     []mutation
	conflicts atomic.Int64 // VERSION_CONFLICT answers (optimistic concurrency at work)
	unknown   atomic.Int64 // no answer (replica killed): the outcome is unknown
	files     atomic.Int64
}

// createDataSources creates n datasources on 1-5 s intervals, the misfire
// and overlap policies in turn, each watching a directory of its own.
func (w *workload) createDataSources(ctx context.Context, n int) error {
	base := w.c.replicas[0].url()
	for i := range n {
		ds := &dataSource{
			name:     fmt.Sprintf("chaos-%03d", i),
			interval: time.Duration(1+i%5) * time.Second,
			misfire:  misfirePolicies[i%3],
			overlap:  overlapPolicies[(i/3)%3],
		}
		ds.dir = filepath.Join(w.c.inbox, ds.name)
		if err := os.MkdirAll(ds.dir, 0o755); err != nil {
			return err
		}
		id, err := createDataSource(ctx, w.c, base, map[string]any{
			"name": ds.name, "path": ds.dir, "filePattern": "*.csv", "minFileAge": "0s",
			"schedule": map[string]any{"interval": ds.interval.String(), "misfirePolicy": ds.misfire, "overlapPolicy": ds.overlap},
		})
		if err != nil {
			return err
		}
		ds.id = id
		w.dataSources = append(w.dataSources, ds)
	}
	return nil
}

// writeFiles drops a small CSV file into a random datasource's directory
// every period until ctx ends.
func (w *workload) writeFiles(ctx context.Context, period time.Duration) {
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
		ds := w.dataSources[rand.IntN(len(w.dataSources))]
		name := filepath.Join(ds.dir, fmt.Sprintf("f%06d.csv", i))
		// Written aside and renamed, so that no run sees half a file.
		tmp := filepath.Join(ds.dir, fmt.Sprintf(".f%06d.tmp", i))
		if os.WriteFile(tmp, []byte("a,b\n1,2\n3,4\n"), 0o644) == nil && os.Rename(tmp, name) == nil {
			w.files.Add(1)
		}
	}
}

// mutate updates random datasources' descriptions every period with
// expectedVersion, on the live replicas in turn, until ctx ends. Several
// mutators run at once, so that some updates conflict.
func (w *workload) mutate(ctx context.Context, who int, period time.Duration) {
	versions := map[string]int{}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
		live := w.c.liveReplicas()
		if len(live) == 0 {
			continue
		}
		base := live[i%len(live)].url()
		ds := w.dataSources[rand.IntN(len(w.dataSources))]
		v, ok := versions[ds.id]
		if !ok {
			var out struct {
				DataSource struct {
					Version int `json:"version"`
				} `json:"dataSource"`
			}
			if err := graphql(ctx, base, w.c.token, `query($id: ID!) { dataSource(id: $id) { version } }`, map[string]any{"id": ds.id}, &out); err != nil {
				continue
			}
			v = out.DataSource.Version
		}
		desc := fmt.Sprintf("mutator %d, change %d", who, i)
		var out struct {
			UpdateDataSource struct {
				Version     int    `json:"version"`
				Description string `json:"description"`
			} `json:"updateDataSource"`
		}
		err := graphql(ctx, base, w.c.token, `mutation($id: ID!, $d: String!, $v: Int) { updateDataSource(id: $id, input: {description: $d}, expectedVersion: $v) { version description } }`,
			map[string]any{"id": ds.id, "d": desc, "v": v}, &out)
		var ge gqlError
		switch {
		case err == nil:
			versions[ds.id] = out.UpdateDataSource.Version
			w.mu.Lock()
			w.acked = append(w.acked, mutation{ds.id, out.UpdateDataSource.Version, out.UpdateDataSource.Description})
			w.mu.Unlock()
		case errors.As(err, &ge) && ge.Extensions.Code == "VERSION_CONFLICT":
			w.conflicts.Add(1)
			delete(versions, ds.id)
		default:
			if ctx.Err() == nil {
				w.unknown.Add(1)
			}
			delete(versions, ds.id)
		}
	}
}

func (w *workload) ackedMutations() []mutation {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]mutation(nil), w.acked...)
}
