//go:build chaos

package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ezplatform/ezplatform/internal/proccpu"
)

func init() {
	register(6, func(t *testing.T, ctx context.Context, su *suite) *scenario { return slowAndStampeding(t, ctx, su) })
}

const (
	stuckSubscribers = 10
	stampedeReplay   = 10 * time.Second // how far back their cursors are
	stampedeFollow   = 20 * time.Second // how long they follow afterwards
	stampedePage     = 20               // datasources a page of the web app shows
)

// pageOf is the i-th page of size datasources, wrapping around.
func pageOf(dss []*dataSource, i, size int) []string {
	ids := make([]string, 0, size)
	for k := range min(size, len(dss)) {
		ids = append(ids, dss[(i*size+k)%len(dss)].id)
	}
	return ids
}

// slowAndStampeding opens subscribers that never read, then has 1,000
// subscribers, spread over the replicas, connect at one instant with
// cursors from a while back. The planner's start lag and the workload
// subscribers' latency are reported before and during (I6: a slow or
// stampeding client must not hold the others back); every stampeding
// subscriber must resume without a gap or a repeat (I5), checked as the
// workload subscribers are.
func slowAndStampeding(t *testing.T, ctx context.Context, su *suite) *scenario {
	c := su.c
	stampedeSubscribers := 1000
	if su.cfg.short {
		stampedeSubscribers = 200
	}
	s := &scenario{name: fmt.Sprintf("6. Slow and stampeding subscribers (%d that never read, %d reconnecting at once with cursors)",
		stuckSubscribers, stampedeSubscribers), from: time.Now()}
	baseFrom, baseCPU := time.Now(), cpuUse(c)
	sleep(ctx, 15*time.Second)
	baseTo := time.Now()
	s.fact("CPU use before: %s", baseCPU())

	stuck, closeStuck := openStuckSubscribers(ctx, c)
	defer closeStuck()
	s.fault("%d WebSocket subscribers without a cursor that never read (their snapshots and events pile up)", stuck)

	start, err := cursorBefore(ctx, c, time.Now().Add(-stampedeReplay))
	if err != nil {
		t.Fatal(err)
	}
	herd := make([]*subscriber, stampedeSubscribers)
	for i := range herd {
		r := c.replicas[i%len(c.replicas)]
		h := &subscriber{name: fmt.Sprintf("stampede %d on %s", i, r.id), token: c.token, sse: i%10 == 9, cursorsOnly: true,
			replicas: func() []string { return []string{r.url()} }, got: []cursor{start}}
		if i%10 != 0 { // a page of the web app
			h.dataSourceIDs = pageOf(su.w.dataSources, i, stampedePage)
		}
		herd[i] = h
	}
	stampedeFrom, stampedeCPU, stampedePool := time.Now(), cpuUse(c), poolWaits(ctx, c)
	sampling, stopSampling := context.WithCancel(ctx)
	waits := sampleWaits(sampling, c)
	follow, stop := context.WithTimeout(ctx, stampedeFollow)
	var wg sync.WaitGroup
	for _, h := range herd {
		wg.Go(func() { h.run(follow) })
	}
	s.fault("%d subscribers connect at once, spread over the replicas, each resuming %v back (after %s): nine in ten watch a page of %d datasources, as the web app does, one in ten every schedule; one in ten over SSE",
		stampedeSubscribers, stampedeReplay, start, stampedePage)
	wg.Wait()
	stop()
	stampedeTo := time.Now()
	s.fact("CPU use during the stampede: %s", stampedeCPU())
	s.fact("database pool during the stampede: %s", stampedePool())
	stopSampling()
	s.fact("PostgreSQL sessions not idle, sampled every 100 ms during the stampede (state, wait): %s", <-waits)

	lagBase, lagDuring := startLag(ctx, c, baseFrom, baseTo), startLag(ctx, c, stampedeFrom, stampedeTo)
	s.fact("run start lag (started_at − slot) before: %s; during: %s", lagBase, lagDuring)
	var before, during []time.Duration
	for _, sub := range su.subs {
		before = append(before, sub.latenciesBetween(baseFrom, baseTo)...)
		during = append(during, sub.latenciesBetween(stampedeFrom, stampedeTo)...)
	}
	s.fact("workload subscribers' latency (commit of a run's transition to delivery) before: %s; during: %s", spread(before), spread(during))

	counts, err := checkStreams(ctx, c, herd)
	if err != nil {
		t.Fatal(err)
	}
	var events, missing, repeated, disorder, reconnects, caughtUp int
	for _, n := range counts {
		events += n.Events - 1 // less the seeded cursor
		missing, repeated, disorder, reconnects = missing+n.Missing, repeated+n.Repeated, disorder+n.OutOfOrder, reconnects+n.Reconnects
		if n.Events > 1 {
			caughtUp++
		}
		for _, m := range n.MissingSample {
			if missing <= 5 {
				s.finding("%s", m)
			}
		}
	}
	s.fact("stampede: %d subscribers got %d events in all; %d got at least one; %d reconnects; %d missed, %d repeated, %d out of order",
		len(herd), events, caughtUp, reconnects, missing, repeated, disorder)
	if missing+repeated+disorder > 0 {
		s.finding("the stampeding subscribers missed %d, repeated %d and disordered %d events", missing, repeated, disorder)
	}
	if caughtUp < len(herd) {
		s.finding("%d of %d stampeding subscribers got no event in %v", len(herd)-caughtUp, len(herd), stampedeFollow)
	}
	for _, r := range c.replicas {
		if !r.running() {
			s.finding("%s exited during the stampede", r.id)
			c.startReplica(t, r)
		}
	}
	return s
}

// openStuckSubscribers opens WebSocket subscriptions that never read; the
// returned func closes them.
func openStuckSubscribers(ctx context.Context, c *cluster) (int, func()) {
	var conns []*websocket.Conn
	for i := range stuckSubscribers {
		r := c.replicas[i%len(c.replicas)]
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(r.url(), "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		cancel()
		if err != nil {
			continue
		}
		for _, m := range []any{
			map[string]any{"type": "connection_init", "payload": map[string]any{"authorization": "Bearer " + c.token}},
			map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": scheduleSubscription}},
		} {
			b, _ := json.Marshal(m)
			_ = ws.Write(ctx, websocket.MessageText, b)
		}
		conns = append(conns, ws)
	}
	return len(conns), func() {
		for _, ws := range conns {
			ws.CloseNow()
		}
	}
}

// cursorBefore is the cursor of the last schedule event that occurred
// before at.
func cursorBefore(ctx context.Context, c *cluster, at time.Time) (cursor, error) {
	var cur cursor
	err := c.db.QueryRow(ctx, `SELECT tx_id::text::bigint, id FROM events WHERE topic = 'SCHEDULES' AND occurred_at < $1
		ORDER BY tx_id DESC, id DESC LIMIT 1`, at).Scan(&cur.tx, &cur.id)
	return cur, err
}

// startLag describes how late the runs of slots in [from, to) started.
func startLag(ctx context.Context, c *cluster, from, to time.Time) string {
	rows, err := c.db.Query(ctx, `SELECT (extract(epoch FROM started_at - scheduled_for) * 1e6)::bigint FROM runs
		WHERE trigger = 'SCHEDULE' AND started_at IS NOT NULL AND scheduled_for >= $1 AND scheduled_for < $2`, from, to)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var lags []time.Duration
	for rows.Next() {
		var us int64
		if rows.Scan(&us) == nil {
			lags = append(lags, time.Duration(us)*time.Microsecond)
		}
	}
	return spread(lags)
}

// spread is "p50 …, p99 …, max … (n)".
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("p50 %v, p99 %v, max %v (%d)", r(percentile(ds, 0.5)), r(percentile(ds, 0.99)), r(percentile(ds, 1)), len(ds))
}

// cpuUse measures the CPU each part of the cluster spends between its
// calls: start it, then call the func it returns.
func cpuUse(c *cluster) func() string {
	pgPID, _ := postmasterPID(c.pgOpts.DataDir)
	read := func() []float64 {
		out := []float64{proccpu.Seconds(os.Getpid(), false), proccpu.Seconds(pgPID, true)}
		for _, r := range c.replicas {
			out = append(out, proccpu.Seconds(r.pid(), false))
		}
		return out
	}
	before, start := read(), time.Now()
	return func() string {
		after, d := read(), time.Since(start).Seconds()
		parts := []string{fmt.Sprintf("the harness's clients %.2f", (after[0]-before[0])/d), fmt.Sprintf("PostgreSQL %.2f", (after[1]-before[1])/d)}
		total := 0.0
		for i := range after {
			total += (after[i] - before[i]) / d
		}
		for i, r := range c.replicas {
			parts = append(parts, fmt.Sprintf("%s %.2f", r.id, (after[2+i]-before[2+i])/d))
		}
		return fmt.Sprintf("%s CPUs; %.2f of the machine's %d in all", strings.Join(parts, ", "), total, runtime.NumCPU())
	}
}

// poolWaits measures each replica's pool between its calls: acquires, and
// the mean wait for a connection.
func poolWaits(ctx context.Context, c *cluster) func() string {
	read := func() []map[string]float64 {
		var out []map[string]float64
		for _, r := range c.replicas {
			m, _ := readMetrics(ctx, r, c.token)
			out = append(out, m)
		}
		return out
	}
	before := read()
	return func() string {
		after := read()
		var parts []string
		for i, r := range c.replicas {
			n := after[i]["ezplatform_db_pool_acquires_total"] - before[i]["ezplatform_db_pool_acquires_total"]
			empty := after[i]["ezplatform_db_pool_empty_acquires_total"] - before[i]["ezplatform_db_pool_empty_acquires_total"]
			wait := after[i]["ezplatform_db_pool_acquire_duration_seconds_total"] - before[i]["ezplatform_db_pool_acquire_duration_seconds_total"]
			mean := 0.0
			if n > 0 {
				mean = wait / n * 1000
			}
			parts = append(parts, fmt.Sprintf("%s %.0f acquires (%.0f found none idle), mean wait %.2f ms", r.id, n, empty, mean))
		}
		return strings.Join(parts, "; ")
	}
}

// sampleWaits counts, every 100 ms until ctx ends, what PostgreSQL's
// client sessions that are not idle do, and sends the commonest.
func sampleWaits(ctx context.Context, c *cluster) <-chan string {
	out := make(chan string, 1)
	go func() {
		counts := map[string]int{}
		samples := 0
		for ctx.Err() == nil {
			rows, err := c.db.Query(ctx, `SELECT state || ', ' || coalesce(wait_event_type || ':' || wait_event, 'on CPU'), count(*)
				FROM pg_stat_activity WHERE backend_type = 'client backend' AND state <> 'idle' AND pid <> pg_backend_pid() GROUP BY 1`)
			if err == nil {
				for rows.Next() {
					var what string
					var n int
					if rows.Scan(&what, &n) == nil {
						counts[what] += n
					}
				}
				rows.Close()
				samples++
			}
			sleep(ctx, 100*time.Millisecond)
		}
		keys := slices.SortedFunc(maps.Keys(counts), func(a, b string) int { return counts[b] - counts[a] })
		var parts []string
		for _, k := range keys[:min(len(keys), 6)] {
			parts = append(parts, fmt.Sprintf("%s %.1f", k, float64(counts[k])/float64(max(samples, 1))))
		}
		out <- fmt.Sprintf("%s (mean sessions per sample, %d samples)", strings.Join(parts, "; "), samples)
	}()
	return out
}
