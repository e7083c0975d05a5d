package scheduler

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/proccpu"
	"github.com/ezplatform/ezplatform/store"
)

// BenchmarkVersusRiver runs, one after the other on the same PostgreSQL
// server, each on a database of its own and with the same worker count and
// River settings: River's own periodic jobs (PeriodicJobs, a no-op worker,
// no history), River alone on bursts of no-op jobs, and this project's
// scheduler (runs, events, history). It prints one table: start lag from
// the slot, runs left behind, CPU per run of this process and of
// PostgreSQL, and what each run cost PostgreSQL (statements, rows written,
// WAL), then the statements that cost most. docs/BENCHMARKS.md records it.
//
//	go test ./scheduler -run '^$' -bench VersusRiver -benchtime 1x -timeout 30m
//
// Each workload runs River's periodic jobs and this project alternately,
// VERSUS_ROUNDS times each (default 2). VERSUS_ONLY=1000x1s (or 10000x10s,
// burst) runs one workload. VERSUS_RECORD_RUNNING_AFTER sets the
// scheduler's RecordRunningAfter (-1ns: every run marked RUNNING first).
func BenchmarkVersusRiver(b *testing.B) {
	const workers = 1000
	only := os.Getenv("VERSUS_ONLY")
	rounds, err := strconv.Atoi(cmp.Or(os.Getenv("VERSUS_ROUNDS"), "2"))
	require.NoError(b, err, "VERSUS_ROUNDS")
	var results []sideResult
	for _, w := range []struct {
		n                  int
		interval, duration time.Duration
	}{{1000, time.Second, 30 * time.Second}, {10000, 10 * time.Second, 70 * time.Second}} {
		name := fmt.Sprintf("%dx%s", w.n, w.interval)
		if only != "" && only != name {
			continue
		}
		for range rounds {
			results = append(results,
				riverPeriodic(b, name, w.n, w.interval, w.duration, workers),
				ezScheduled(b, name, w.n, w.interval, w.duration, workers))
		}
	}
	if only == "" || only == "burst" {
		results = append(results, riverBurst(b, 1000, 5, workers), riverBurst(b, 10000, 2, workers))
	}
	printSideBySide(os.Stdout, workers, results)
}

// sideResult is one system on one workload.
type sideResult struct {
	system, workload string
	lags             []time.Duration
	// perSecond is runs (jobs) started per second in the measured window.
	perSecond float64
	// leftBehind are runs of slots at least an interval old that never
	// started.
	leftBehind int
	cost       workloadCost
	// planned are the times from a slot's first job insert to its last (for
	// EZ Platform, from the start of its planning transaction), and fetched
	// the lags from the slot to River's fetch of each job, when known.
	planned, fetched []time.Duration
}

// workloadCost is what a measured window cost, per run started in it.
type workloadCost struct {
	runs                int
	processMS, serverMS float64
	statements, rows    float64
	walBytes            float64
	topStatements       []statementCost
	statementsAvailable bool
}

type statementCost struct {
	query       string
	callsPerRun float64
	msPerRun    float64
	rowsPerCall float64
}

// benchDatabase is a fresh migrated database whose statements
// pg_stat_statements counts, and a pool on it as a replica opens one.
func benchDatabase(b *testing.B) (*store.Store, string, bool) {
	b.Helper()
	ctx := b.Context()
	dbURL := pgtest.NewDatabase(b)
	admin, err := pgx.Connect(ctx, dbURL)
	require.NoError(b, err)
	defer admin.Close(context.Background())
	var name string
	require.NoError(b, admin.QueryRow(ctx, `SELECT current_database()`).Scan(&name))
	// Only where the server loads the library (pgtest's own cluster does):
	// elsewhere the extension is created but its view refuses to be read.
	_, err = admin.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
	if err == nil {
		_, err = admin.Exec(ctx, `SELECT 1 FROM pg_stat_statements LIMIT 1`)
	}
	tracked := err == nil
	if tracked {
		_, err = admin.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` SET pg_stat_statements.track = 'top'`)
		tracked = err == nil
	}
	pool, err := store.Open(ctx, dbURL)
	require.NoError(b, err)
	b.Cleanup(pool.Close)
	return store.New(pool), dbURL, tracked
}

// costMeter measures a window of a workload: call stop at its end.
type costMeter struct {
	st                *store.Store
	tracked           bool
	serverPID         int
	process0, server0 float64
	wal0              string
}

func startCost(b *testing.B, st *store.Store, tracked bool) *costMeter {
	b.Helper()
	ctx := b.Context()
	m := &costMeter{st: st, tracked: tracked}
	var backend int
	require.NoError(b, st.Pool().QueryRow(ctx, `SELECT pg_backend_pid(), pg_current_wal_lsn()::text`).Scan(&backend, &m.wal0))
	m.serverPID = proccpu.Parent(backend)
	if tracked {
		_, err := st.Pool().Exec(ctx, `SELECT pg_stat_statements_reset()`)
		require.NoError(b, err)
	}
	m.process0, m.server0 = proccpu.Seconds(os.Getpid(), false), proccpu.Seconds(m.serverPID, true)
	return m
}

// stop ends the window; runs is how many runs (jobs) started in it.
func (m *costMeter) stop(b *testing.B, runs int) workloadCost {
	b.Helper()
	ctx := b.Context()
	process, server := proccpu.Seconds(os.Getpid(), false), proccpu.Seconds(m.serverPID, true)
	c := workloadCost{runs: runs, statementsAvailable: m.tracked}
	if runs == 0 {
		return c
	}
	per := func(v float64) float64 { return v / float64(runs) }
	c.processMS, c.serverMS = per((process-m.process0)*1000), per((server-m.server0)*1000)
	var wal float64
	require.NoError(b, m.st.Pool().QueryRow(ctx, `SELECT pg_current_wal_lsn() - $1::pg_lsn`, m.wal0).Scan(&wal))
	c.walBytes = per(wal)
	if !m.tracked {
		return c
	}
	rows, err := m.st.Pool().Query(ctx, `
		SELECT regexp_replace(query, '\s+', ' ', 'g'), calls, total_exec_time, rows
		FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY total_exec_time DESC`)
	require.NoError(b, err)
	var (
		query         string
		calls, nrows  int64
		totalMS       float64
		all           []statementCost
		written, sent float64
	)
	_, err = pgx.ForEachRow(rows, []any{&query, &calls, &totalMS, &nrows}, func() error {
		sent += float64(calls)
		if writes(query) {
			written += float64(nrows)
		}
		all = append(all, statementCost{query: query, callsPerRun: per(float64(calls)), msPerRun: per(totalMS),
			rowsPerCall: float64(nrows) / float64(max(calls, 1))})
		return nil
	})
	require.NoError(b, err)
	c.statements, c.rows = per(sent), per(written)
	c.topStatements = all[:min(len(all), 14)]
	return c
}

// writes says whether a statement writes rows (an INSERT, UPDATE or DELETE,
// perhaps in a WITH).
func writes(query string) bool {
	q := strings.ToUpper(query)
	for _, w := range []string{"INSERT INTO", "UPDATE ", "DELETE FROM"} {
		if strings.Contains(q, w) {
			return true
		}
	}
	return false
}

// measureWindow measures the cost of the window from from to to, once it
// has passed. counts, given from and lastSlot, counts the runs (jobs)
// started in the window and those of slots from from to lastSlot that never
// started.
func measureWindow(b *testing.B, st *store.Store, tracked bool, from, lastSlot, to time.Time, counts string) (started, behind int, cost workloadCost) {
	b.Helper()
	time.Sleep(time.Until(from))
	meter := startCost(b, st, tracked)
	time.Sleep(time.Until(to))
	require.NoError(b, st.Pool().QueryRow(b.Context(), counts, from, lastSlot).Scan(&started, &behind))
	return started, behind, meter.stop(b, started)
}

// alignedSchedule fires at every multiple of an interval since the epoch,
// as this project's interval schedules with the default anchor do: every
// schedule's slots coincide.
type alignedSchedule time.Duration

func (s alignedSchedule) Next(t time.Time) time.Time {
	d := time.Duration(s)
	return t.Truncate(d).Add(d)
}

type periodicArgs struct{ N int }

func (periodicArgs) Kind() string { return "bench.periodic" }

// startRecorder keeps the start lag of each job whose slot is in a window.
type startRecorder struct {
	river.WorkerDefaults[periodicArgs]
	from, to time.Time
	mu       sync.Mutex
	lags     []time.Duration
}

func (w *startRecorder) Work(ctx context.Context, job *river.Job[periodicArgs]) error {
	now := time.Now()
	if !job.ScheduledAt.Before(w.from) && job.ScheduledAt.Before(w.to) {
		w.mu.Lock()
		w.lags = append(w.lags, now.Sub(job.ScheduledAt))
		w.mu.Unlock()
	}
	return nil
}

// benchRiverConfig is River's configuration as the scheduler sets it
// (scheduler.go), for a no-op workload on the default queue.
func benchRiverConfig(workers int, w *river.Workers) *river.Config {
	return &river.Config{
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:                     w,
		FetchCooldown:               10 * time.Millisecond,
		FetchPollInterval:           500 * time.Millisecond,
		CompletedJobRetentionPeriod: time.Hour,
		Logger:                      quietLogger(),
	}
}

// riverPeriodic runs n of River's periodic jobs on aligned schedules of an
// interval, and measures from two intervals in to the end.
func riverPeriodic(b *testing.B, workload string, n int, interval, duration time.Duration, workers int) sideResult {
	b.Helper()
	ctx := b.Context()
	st, _, tracked := benchDatabase(b)
	start := time.Now()
	from, to := start.Add(2*interval).Truncate(interval), start.Add(duration).Truncate(interval)
	rec := &startRecorder{from: from, to: to}
	ws := river.NewWorkers()
	river.AddWorker(ws, rec)
	cfg := benchRiverConfig(workers, ws)
	for i := range n {
		args := periodicArgs{N: i}
		cfg.PeriodicJobs = append(cfg.PeriodicJobs, river.NewPeriodicJob(alignedSchedule(interval),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil }, nil))
	}
	client, err := river.NewClient(riverpgxv5.New(st.Pool()), cfg)
	require.NoError(b, err)
	require.NoError(b, client.Start(ctx))
	defer func() { _ = client.Stop(context.Background()) }()

	started, behind, cost := measureWindow(b, st, tracked, from, to.Add(-interval), to, `
		SELECT count(*) FILTER (WHERE attempted_at >= $1),
			count(*) FILTER (WHERE attempted_at IS NULL AND scheduled_at >= $1 AND scheduled_at <= $2)
		FROM river_job`)
	require.NoError(b, client.Stop(ctx))
	// River's "planning": its periodic enqueuer inserts a slot's jobs in
	// one statement when the slot comes, so this is how long after the
	// slot they were inserted (the same formula as for EZ Platform below,
	// whose jobs are inserted ahead over several transactions).
	rows, err := st.Pool().Query(ctx, `
		SELECT max(created_at) - least(min(created_at), scheduled_at) FROM river_job
		WHERE scheduled_at >= $1 AND scheduled_at < $2 GROUP BY scheduled_at`, from, to)
	require.NoError(b, err)
	planned, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(b, err)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return sideResult{system: "River PeriodicJobs", workload: workload, lags: rec.lags, planned: planned,
		perSecond: float64(started) / to.Sub(from).Seconds(), leftBehind: behind, cost: cost}
}

// ezScheduled runs n datasources on aligned interval schedules through this
// project's scheduler, with no work, and measures as riverPeriodic does.
func ezScheduled(b *testing.B, workload string, n int, interval, duration time.Duration, workers int) sideResult {
	b.Helper()
	ctx := b.Context()
	st, _, tracked := benchDatabase(b)
	_, err := st.Pool().Exec(ctx, `
		INSERT INTO datasources (name, path, file_pattern, schedule_interval, misfire_policy, overlap_policy)
		SELECT 'bench-' || i, '/data/bench', '*', $2::interval, 'FIRE_ONCE', 'ALLOW'
		FROM generate_series(1, $1) i`, n, fmt.Sprintf("%d seconds", int(interval.Seconds())))
	require.NoError(b, err)
	_, err = st.Pool().Exec(ctx, `ANALYZE datasources`) // as autovacuum would have
	require.NoError(b, err)
	start := time.Now()
	from, to := start.Add(2*interval).Truncate(interval), start.Add(duration).Truncate(interval)
	recordRunningAfter, err := time.ParseDuration(cmp.Or(os.Getenv("VERSUS_RECORD_RUNNING_AFTER"), "0s"))
	require.NoError(b, err, "VERSUS_RECORD_RUNNING_AFTER")
	_, stop := runReplica(b, Config{
		Store: st, Etcd: etcdtest.Client(b), ReplicaID: "versus", Address: "http://versus", Work: noWork,
		SessionTTL: testTTL, KeyPrefix: etcdtest.Prefix(), Workers: workers, RecordRunningAfter: recordRunningAfter, Logger: quietLogger(),
	})

	started, behind, cost := measureWindow(b, st, tracked, from, to.Add(-interval), to, `
		SELECT count(*) FILTER (WHERE started_at >= $1),
			count(*) FILTER (WHERE started_at IS NULL AND scheduled_for >= $1 AND scheduled_for <= $2)
		FROM runs`)
	stop()

	rows, err := st.Pool().Query(ctx, `
		SELECT started_at - scheduled_for FROM runs
		WHERE scheduled_for >= $1 AND scheduled_for < $2 AND started_at IS NOT NULL`, from, to)
	require.NoError(b, err)
	lags, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(b, err)
	// How long planning a slot took: from its first River job's insert to
	// its last's, plus the lead the transaction started with.
	rows, err = st.Pool().Query(ctx, `
		SELECT max(j.created_at) - least(min(j.created_at), r.scheduled_for) FROM runs r JOIN river_job j ON j.id = r.river_job_id
		WHERE r.scheduled_for >= $1 AND r.scheduled_for < $2 GROUP BY r.scheduled_for`, from, to)
	require.NoError(b, err)
	planned, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(b, err)
	rows, err = st.Pool().Query(ctx, `
		SELECT j.attempted_at - r.scheduled_for FROM runs r JOIN river_job j ON j.id = r.river_job_id
		WHERE r.scheduled_for >= $1 AND r.scheduled_for < $2 AND r.attempt = 1`, from, to)
	require.NoError(b, err)
	fetched, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(b, err)
	return sideResult{system: "EZ Platform", workload: workload, lags: lags, planned: planned, fetched: fetched,
		perSecond: float64(started) / to.Sub(from).Seconds(), leftBehind: behind, cost: cost}
}

// riverBurst inserts rounds of size no-op jobs in one transaction each and
// measures from the commit to each job's start.
func riverBurst(b *testing.B, size, rounds, workers int) sideResult {
	b.Helper()
	ctx := b.Context()
	st, _, tracked := benchDatabase(b)
	w := &nopWorker{starts: make(chan time.Time, size)}
	ws := river.NewWorkers()
	river.AddWorker(ws, w)
	client, err := river.NewClient(riverpgxv5.New(st.Pool()), benchRiverConfig(workers, ws))
	require.NoError(b, err)
	require.NoError(b, client.Start(ctx))
	defer func() { _ = client.Stop(context.Background()) }()
	time.Sleep(time.Second) // River elects its leader and settles

	meter := startCost(b, st, tracked)
	var (
		lags    []time.Duration
		drained time.Duration
	)
	for round := range rounds {
		params := make([]river.InsertManyParams, size)
		for i := range params {
			params[i] = river.InsertManyParams{Args: nopArgs{N: round*size + i}}
		}
		tx, err := st.Pool().Begin(ctx)
		require.NoError(b, err)
		_, err = client.InsertManyFastTx(ctx, tx, params)
		require.NoError(b, err)
		committed := time.Now()
		require.NoError(b, tx.Commit(ctx))
		var last time.Time
		for range params {
			last = <-w.starts
			lags = append(lags, last.Sub(committed))
		}
		drained += last.Sub(committed)
		time.Sleep(time.Second) // completions land before the next round
	}
	cost := meter.stop(b, size*rounds)
	return sideResult{system: "River alone", workload: fmt.Sprintf("burst of %d × %d", size, rounds), lags: lags,
		perSecond: float64(size*rounds) / drained.Seconds(), cost: cost}
}

func printSideBySide(out *os.File, workers int, results []sideResult) {
	pct := func(ds []time.Duration, p float64) string {
		if len(ds) == 0 {
			return "—"
		}
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[min(int(float64(len(s))*p), len(s)-1)].Round(100 * time.Microsecond).String()
	}
	fmt.Fprintf(out, "\nSide by side, %d workers each, %s\n\n", workers, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "workload\tsystem\truns/s\tlag p50\tlag p99\tleft behind\tplanning p50\tp99\tfetched p50\tp99\tCPU-ms/run process\tPostgreSQL\tstatements/run\trows written/run\tWAL bytes/run\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%.3f\t%.3f\t%.1f\t%.1f\t%.0f\t\n", r.workload, r.system, r.perSecond,
			pct(r.lags, 0.5), pct(r.lags, 0.99), r.leftBehind, pct(r.planned, 0.5), pct(r.planned, 0.99), pct(r.fetched, 0.5), pct(r.fetched, 0.99),
			r.cost.processMS, r.cost.serverMS, r.cost.statements, r.cost.rows, r.cost.walBytes)
	}
	_ = tw.Flush()
	for _, r := range results {
		if len(r.cost.topStatements) == 0 {
			continue
		}
		fmt.Fprintf(out, "\n%s, %s: the statements that cost PostgreSQL most, per run\n", r.system, r.workload)
		for _, s := range r.cost.topStatements {
			q := s.query
			if len(q) > 110 {
				q = q[:110] + "…"
			}
			fmt.Fprintf(out, "  %6.3f ms  %5.2f calls  %7.1f rows/call  %s\n", s.msPerRun, s.callsPerRun, s.rowsPerCall, q)
		}
	}
}
