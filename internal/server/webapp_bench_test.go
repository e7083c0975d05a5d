package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/gqltest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
)

// TestWebAppBench measures what an operator feels in the web app, in
// headless Chromium against a real replica (docs/BENCHMARKS.md, "Web app"):
//
//   - first screen: navigation until 50 datasources show their live status,
//     ten times, p50 and p99;
//   - load: 1,000 datasources (EZ_WEB_BENCH_DATASOURCES) on 1-second
//     schedules, the home page open for EZ_WEB_BENCH_DURATION (default 60s): long tasks over 50 ms and the
//     longest, the delay from an event's occurredAt to its row changing in
//     the page (p50, p99), and the tab's JS heap over time.
//
// It is a measurement, not a test: it runs only with EZ_WEB_BENCH=1 and
// asserts nothing about speed.
//
//	EZ_WEB_BENCH=1 go test -run TestWebAppBench -v -timeout 30m ./internal/server/
func TestWebAppBench(t *testing.T) {
	if os.Getenv("EZ_WEB_BENCH") == "" {
		t.Skip("a benchmark: set EZ_WEB_BENCH=1")
	}
	browser := chromium(t)
	duration := time.Minute
	if d := os.Getenv("EZ_WEB_BENCH_DURATION"); d != "" {
		var err error
		duration, err = time.ParseDuration(d)
		require.NoError(t, err)
	}
	total := 1000
	if n := os.Getenv("EZ_WEB_BENCH_DATASOURCES"); n != "" {
		var err error
		total, err = strconv.Atoi(n)
		require.NoError(t, err)
		require.GreaterOrEqual(t, total, 50)
	}
	root := t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	cfg := &server.Config{
		InsecureNoAuth: true, // these tests are about other things; auth_test.go covers tokens
		DatabaseURL:    pgtest.NewDatabase(t), EtcdEndpoints: etcdtest.Endpoints(t), HTTPAddr: "127.0.0.1:0",
		ReplicaID: "bench", DataRoots: roots, ShutdownTimeout: 5 * time.Second, SessionTTL: 2 * time.Second,
		Workers: 1000,
	}
	base := benchStartReplica(t, cfg)

	create := func(i int, schedule map[string]any) string {
		dir := filepath.Join(root, "ds"+strconv.Itoa(i))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		out := gqltest.Do(t, base, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
			map[string]any{"input": map[string]any{
				"name": fmt.Sprintf("datasource %04d", i), "supplierName": "bench", "path": dir, "filePattern": "*.csv",
				"schedule": schedule,
			}})
		return out["createDataSource"].(map[string]any)["id"].(string)
	}
	var first []string
	for i := range 50 {
		first = append(first, create(i, map[string]any{"interval": "1h"}))
	}

	ctx, cancel := chromedp.NewExecAllocator(t.Context(), allocatorOptions(t, browser,
		chromedp.Flag("enable-precise-memory-info", true), chromedp.WindowSize(1400, 900))...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()

	// First screen: from navigation start until every row shows its live
	// status (a status badge, which only the subscription's snapshot sets).
	var usable []time.Duration
	for range 10 {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/")))
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise((resolve) => {
			const check = () => {
				const rows = document.querySelectorAll('table.datasources tbody tr');
				const live = document.querySelectorAll('table.datasources tbody tr .status-cell .badge');
				if (rows.length === 50 && live.length === 50) resolve(performance.now());
				else requestAnimationFrame(check);
			};
			check();
		})`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		usable = append(usable, time.Duration(ms*float64(time.Millisecond)))
	}
	t.Logf("first screen, 50 datasources: usable p50 %v, p99 %v (n=10)", benchPct(usable, 50), benchPct(usable, 99))

	// Every event's arrival over the WebSocket, against its occurredAt: the
	// part of the delay that is the server's and the network's, not the page's.
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		// Fixed-size recorders: the bench's own bookkeeping must not grow
		// the heap it measures.
		window.benchRecorder = (n) => ({ v: new Float32Array(n), n: 0, push(x) { if (this.n < this.v.length) this.v[this.n++] = x; }, list() { return Array.from(this.v.subarray(0, this.n)); } });
		window.benchNet = window.benchRecorder(1 << 21);
		window.benchNetByKind = {};
		const Native = window.WebSocket;
		window.WebSocket = class extends Native {
			constructor(...args) {
				super(...args);
				this.addEventListener('message', (m) => {
					const e = JSON.parse(m.data)?.payload?.data?.scheduleEvents;
					if (!e?.occurredAt) return;
					const lag = Date.now() - Date.parse(e.occurredAt);
					window.benchNet.push(lag);
					(window.benchNetByKind[e.kind] ??= window.benchRecorder(1 << 20)).push(lag);
				});
			}
		};`})
	require.NoError(t, err)

	// Load: total datasources firing every second.
	for i := 50; i < total; i++ {
		create(i, map[string]any{"interval": "1s"})
	}
	// The page shows the first 50 by name: they fire every second too.
	for _, id := range first {
		gqltest.Do(t, base, `mutation($id: ID!) { updateDataSource(id: $id, input: { schedule: { interval: "1s" } }) { id } }`,
			map[string]any{"id": id})
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/")))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise((resolve) => {
		window.bench = { lags: window.benchRecorder(1 << 21), longTasks: [] };
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) window.bench.longTasks.push(e.duration);
		}).observe({ type: 'longtask', buffered: false });
		new MutationObserver((records) => {
			const now = Date.now();
			for (const r of records) {
				const at = r.target.getAttribute('data-occurred-at');
				if (at) window.bench.lags.push(now - Date.parse(at));
			}
		}).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-occurred-at'] });
		resolve(true);
	})`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	deadline := time.Now().Add(duration)
	var heap []float64
	for time.Now().Before(deadline) {
		// After a full collection, so that the figure is what the tab keeps,
		// not how far the collector let garbage pile up.
		_, err := chromedp.Call(ctx, heapprofiler.CollectGarbage, cdp.Empty{})
		require.NoError(t, err)
		mb, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`performance.memory.usedJSHeapSize / 1e6`))
		require.NoError(t, err)
		heap = append(heap, mb)
		time.Sleep(min(10*time.Second, time.Until(deadline)))
	}
	type result struct {
		Net       []float64            `json:"net"`
		NetByKind map[string][]float64 `json:"netByKind"`
		Lags      []float64            `json:"lags"`
		LongTasks []float64            `json:"longTasks"`
		Rows      int                  `json:"rows"`
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[result](`({ net: window.benchNet.list(),
		netByKind: Object.fromEntries(Object.entries(window.benchNetByKind).map(([k, r]) => [k, r.list()])),
		lags: window.bench.lags.list(), longTasks: window.bench.longTasks,
		rows: document.querySelectorAll('table.datasources tbody tr').length })`))
	require.NoError(t, err)
	lags, net := benchMillis(res.Lags), benchMillis(res.Net)
	longest := 0.0
	for _, d := range res.LongTasks {
		longest = max(longest, d)
	}
	t.Logf("load, %d datasources × 1 s for %v, page of %d rows: %d events received (%.0f/s), occurredAt→WebSocket p50 %v, p99 %v; %d row updates (%.0f/s), occurredAt→DOM p50 %v, p99 %v; long tasks (>50 ms): %d, longest %.0f ms; JS heap MB after a full GC, every 10 s: %v",
		total, duration, res.Rows, len(net), float64(len(net))/duration.Seconds(), benchPct(net, 50), benchPct(net, 99),
		len(lags), float64(len(lags))/duration.Seconds(), benchPct(lags, 50), benchPct(lags, 99),
		len(res.LongTasks), longest, benchRound(heap))
	for kind, ms := range res.NetByKind {
		d := benchMillis(ms)
		t.Logf("  %s: %d events, occurredAt→WebSocket p50 %v, p99 %v", kind, len(d), benchPct(d, 50), benchPct(d, 99))
	}
}

func benchPct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)].Round(time.Millisecond)
}

func benchMillis(ms []float64) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m * float64(time.Millisecond))
	}
	return out
}

func benchRound(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = strconv.FormatFloat(x, 'f', 1, 64)
	}
	return out
}

func benchStartReplica(t *testing.T, cfg *server.Config) string {
	t.Helper()
	if cfg.EtcdPrefix == "" {
		// etcdtest's server is shared: the replica elects itself under a
		// prefix no other test uses.
		cfg.EtcdPrefix = etcdtest.Prefix()
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Ready, 1)
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, func(r server.Ready) { ready <- r }) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case r := <-ready:
		return r.BaseURL
	case err := <-done:
		t.Fatalf("replica stopped: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("replica did not start")
	}
	return ""
}
