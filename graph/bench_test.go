package graph_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/proccpu"
)

// Benchmarks of the API through the real HTTP handler and a real
// PostgreSQL, reporting p50/p99 latency and throughput. Reproduce with:
//
//	go test ./graph -run '^$' -bench . -benchtime 3000x
func BenchmarkCreateDataSource(b *testing.B) {
	tb := setup(b)
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		status, resp := tb.post(b, createMutation, map[string]any{"input": tb.validInput(fmt.Sprintf("bench-%d", i))}, nil)
		latencies = append(latencies, time.Since(start))
		require.Equal(b, http.StatusOK, status)
		require.Empty(b, resp.Errors)
	}
	reportLatency(b, latencies)
}

func BenchmarkDataSourcesPage(b *testing.B) {
	tb := setup(b)
	for i := range 1000 {
		tb.post(b, createMutation, map[string]any{"input": tb.validInput(fmt.Sprintf("source-%04d", i))}, nil)
	}
	const query = `query($after: String) { dataSources(first: 50, after: $after, search: "source") {
		totalCount pageInfo { endCursor hasNextPage } edges { node { id name version schedule { cron upcoming(n: 3) } } } } }`
	latencies := make([]time.Duration, 0, b.N)
	var after any
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		status, resp := tb.post(b, query, map[string]any{"after": after}, nil)
		latencies = append(latencies, time.Since(start))
		require.Equal(b, http.StatusOK, status)
		require.Empty(b, resp.Errors)
		info := resp.Data["dataSources"].(map[string]any)["pageInfo"].(map[string]any)
		after = info["endCursor"]
		if !info["hasNextPage"].(bool) {
			after = nil
		}
	}
	reportLatency(b, latencies)
}

func reportLatency(b *testing.B, latencies []time.Duration) {
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(int(float64(len(latencies))*p), len(latencies)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(len(latencies))/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkDataSourcesFirst50 is issue 17's list query, the one compared
// with PostGraphile (bench/readpath): the first 50 of 1,000 datasources and
// their count.
func BenchmarkDataSourcesFirst50(b *testing.B) {
	tb := setup(b)
	for i := range 1000 {
		tb.post(b, createMutation, map[string]any{"input": tb.validInput(fmt.Sprintf("source-%04d", i))}, nil)
	}
	benchQuery(b, tb, `{ dataSources(first: 50) { totalCount edges { node { id name path filePattern enabled version } } } }`, nil)
}

// BenchmarkDataSourceWithRuns20 is issue 17's detail query, the other one
// compared with PostGraphile (bench/readpath): a datasource and its last
// 20 of 100 runs.
func BenchmarkDataSourceWithRuns20(b *testing.B) {
	tb := setup(b)
	id := tb.create(b, "detail")["id"].(string)
	conn, err := pgx.Connect(context.Background(), tb.dbURL)
	require.NoError(b, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(context.Background(), `INSERT INTO runs (datasource_id, scheduled_for, trigger, status, attempt,
			max_attempts, started_at, finished_at, files_found)
		SELECT $1, now() - make_interval(mins => g), 'SCHEDULE', 'SUCCEEDED', 1, 3,
			now() - make_interval(mins => g), now() - make_interval(mins => g) + interval '2 seconds', g
		FROM generate_series(1, 100) g`, id)
	require.NoError(b, err)
	const query = `query($id: ID!) { dataSource(id: $id) { id name path filePattern enabled version
		runs(first: 20) { edges { node { id status scheduledFor startedAt finishedAt filesFound } } } } }`
	benchQuery(b, tb, query, map[string]any{"id": id})
}

// benchQuery sends query b.N times, one after the other, and reports its
// latency and the process's CPU per request. The client's decoding is in
// that CPU too: compare runs of one benchmark, not it with a server's alone.
func benchQuery(b *testing.B, tb *testBundle, query string, vars map[string]any) {
	latencies := make([]time.Duration, 0, b.N)
	cpu := proccpu.Seconds(os.Getpid(), false)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		status, resp := tb.post(b, query, vars, nil)
		latencies = append(latencies, time.Since(start))
		require.Equal(b, http.StatusOK, status)
		require.Empty(b, resp.Errors)
	}
	b.ReportMetric((proccpu.Seconds(os.Getpid(), false)-cpu)*1000/float64(b.N), "cpu-ms/op")
	reportLatency(b, latencies)
}
