package scheduler

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/store"
)

// Scheduler benchmarks, on real PostgreSQL, etcd and River. Figures and the
// machine are in docs/BENCHMARKS.md. Reproduce with:
//
//	go test ./scheduler -run '^$' -bench . -benchtime 1x -timeout 30m
//
// MutationToReplan and FailoverResign run their own iteration counts; the
// lag benchmarks run one fixed scenario each.

func reportPercentiles(b *testing.B, name string, samples []time.Duration) {
	b.Helper()
	require.NotEmpty(b, samples, name)
	slices.Sort(samples)
	pct := func(p float64) float64 {
		return float64(samples[min(int(float64(len(samples))*p), len(samples)-1)].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), name+"-p50-ms")
	b.ReportMetric(pct(0.99), name+"-p99-ms")
}

// Mutation → re-planned: from a committed schedule change to the leader's
// notification that it stored the new next slot.
func BenchmarkMutationToReplan(b *testing.B) {
	bundle := setup(b)
	startReplica(b, bundle, etcdtest.Prefix(), "leader", noWork)
	ds := bundle.createInterval(b, "replanned", time.Hour)

	conn, err := pgx.Connect(b.Context(), bundle.dbURL)
	require.NoError(b, err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(b.Context(), "LISTEN "+store.ScheduleEventsChannel)
	require.NoError(b, err)
	waitNote := func() {
		ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
		defer cancel()
		_, err := conn.WaitForNotification(ctx)
		require.NoError(b, err)
	}
	waitNote() // the first plan of the new datasource

	const iterations = 500
	samples := make([]time.Duration, 0, iterations)
	for i := range iterations {
		interval := time.Duration(60+i%2) * time.Minute
		start := time.Now()
		_, err := bundle.store.DataSourceUpdate(b.Context(), &store.DataSourceUpdateParams{ID: ds.ID,
			Schedule: &store.Schedule{Interval: interval, Anchor: DefaultAnchor, Timezone: "UTC", MisfirePolicy: MisfireFireOnce, OverlapPolicy: OverlapSkip}})
		require.NoError(b, err)
		waitNote()
		samples = append(samples, time.Since(start))
	}
	reportPercentiles(b, "replan", samples)
}

// Slot → job start lag with many datasources on short schedules: the time
// from a slot to its River job starting (runs.started_at − scheduled_for).
func BenchmarkSlotLag1000x1s(b *testing.B) {
	benchSlotLag(b, 1000, time.Second, 30*time.Second, benchWorkers, 0)
}
func BenchmarkSlotLag300x1s(b *testing.B) {
	benchSlotLag(b, 300, time.Second, 30*time.Second, benchWorkers, 0)
}

// With a worker per datasource, the burst of 300 does not queue.
func BenchmarkSlotLag300x1sWorkers300(b *testing.B) {
	benchSlotLag(b, 300, time.Second, 30*time.Second, 300, 0)
}
func BenchmarkSlotLag10000x10s(b *testing.B) {
	benchSlotLag(b, 10000, 10*time.Second, 60*time.Second, benchWorkers, 0)
}

// The same with 1,000 workers: a burst of 10,000 is then worked ten
// batches of River's fetch at a time.
func BenchmarkSlotLag10000x10sWorkers1000(b *testing.B) {
	benchSlotLag(b, 10000, 10*time.Second, 60*time.Second, 1000, 0)
}

// With a worker per datasource, a burst of 1,000 coinciding slots does not
// queue for workers: what is left is planning, River's fetch and the start.
func BenchmarkSlotLag1000x1sWorkers1000(b *testing.B) {
	benchSlotLag(b, 1000, time.Second, 30*time.Second, 1000, 0)
}

// The same load with the slots spread over each second (anchors 1 ms
// apart), as datasources created at different times would be if their
// anchors were their creation times: no burst.
func BenchmarkSlotLag1000x1sSpread(b *testing.B) {
	benchSlotLag(b, 1000, time.Second, 30*time.Second, benchWorkers, time.Millisecond)
}

func BenchmarkSlotLag1000x1sSpreadWorkers1000(b *testing.B) {
	benchSlotLag(b, 1000, time.Second, 30*time.Second, 1000, time.Millisecond)
}

// benchSlotLag runs n datasources on interval schedules, the i-th anchored
// at i × spread after the epoch (0: every slot of an interval coincides).
func benchSlotLag(b *testing.B, n int, interval, duration time.Duration, workers int, spread time.Duration) {
	bundle := setup(b)
	ctx := b.Context()
	_, err := bundle.store.Pool().Exec(ctx, `
		INSERT INTO datasources (name, path, file_pattern, schedule_interval, schedule_anchor, misfire_policy, overlap_policy)
		SELECT 'bench-' || i, '/data/bench', '*', $2::interval, 'epoch'::timestamptz + i * $3::interval, 'FIRE_ONCE', 'ALLOW'
		FROM generate_series(1, $1) i`,
		n, fmt.Sprintf("%d seconds", int(interval.Seconds())), fmt.Sprintf("%d microseconds", spread.Microseconds()))
	require.NoError(b, err)
	_, err = bundle.store.Pool().Exec(ctx, `ANALYZE datasources`) // as autovacuum would have
	require.NoError(b, err)

	_, stop := startReplicaWorkers(b, bundle, etcdtest.Prefix(), "bench", noWork, workers)
	// Measure the steady state: skip the first slots after start-up.
	warmup := time.Now().Add(2 * interval)
	time.Sleep(duration)
	stop()

	rows, err := bundle.store.Pool().Query(ctx, `
		SELECT started_at - scheduled_for FROM runs
		WHERE scheduled_for >= $1 AND started_at IS NOT NULL`, warmup)
	require.NoError(b, err)
	lags, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(b, err)
	var planned, notStarted int
	require.NoError(b, bundle.store.Pool().QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE started_at IS NULL) FROM runs WHERE scheduled_for >= $1`, warmup).Scan(&planned, &notStarted))
	reportPercentiles(b, "lag", lags)
	// The first start of each slot: the planner's transaction and River's
	// fetch, before the burst queues behind the workers.
	rows, err = bundle.store.Pool().Query(ctx, `
		SELECT min(started_at) - scheduled_for FROM runs
		WHERE scheduled_for >= $1 AND started_at IS NOT NULL GROUP BY scheduled_for`, warmup)
	require.NoError(b, err)
	firsts, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
	require.NoError(b, err)
	reportPercentiles(b, "first", firsts)
	// Where a run's lag goes: when the planner's transaction began
	// (negative: ahead of the slot), River's fetch from the slot or the
	// insert, whichever is later, and the start statement; and how long a worker then holds the run
	// (no work: the finishing transaction).
	for _, step := range []struct{ name, lag string }{
		{"planned", "j.created_at - r.scheduled_for"},
		{"fetched", "j.attempted_at - greatest(j.created_at, r.scheduled_for)"},
		{"started", "r.started_at - j.attempted_at"},
		{"worked", "r.finished_at - r.started_at"},
	} {
		rows, err := bundle.store.Pool().Query(ctx, `
			SELECT `+step.lag+` FROM runs r JOIN river_job j ON j.id = r.river_job_id
			WHERE r.scheduled_for >= $1 AND r.started_at IS NOT NULL`, warmup)
		require.NoError(b, err)
		lags, err := pgx.CollectRows(rows, pgx.RowTo[time.Duration])
		require.NoError(b, err)
		reportPercentiles(b, step.name, lags)
	}
	b.ReportMetric(float64(len(lags))/(duration-2*interval).Seconds(), "runs/s")
	b.ReportMetric(float64(notStarted), "not-started")
}

// Graceful failover: from the leader's stop (it resigns) to the next
// leader's recorded epoch.
func BenchmarkFailoverResign(b *testing.B) {
	bundle := setup(b)
	prefix := etcdtest.Prefix()
	client := etcdtest.Client(b)
	const iterations = 20
	samples := make([]time.Duration, 0, iterations)
	type replica struct {
		s    *Scheduler
		stop func()
	}
	var replicas []replica
	for i := range 2 {
		s, stop := startReplica(b, bundle, prefix, fmt.Sprintf("r%d", i), noWork)
		replicas = append(replicas, replica{s, stop})
	}
	for i := range iterations {
		var scheds []*Scheduler
		for _, r := range replicas {
			scheds = append(scheds, r.s)
		}
		leader := waitLeading(b, scheds...)
		epoch := leader.Epoch()
		var rest []replica
		start := time.Now()
		for _, r := range replicas {
			if r.s == leader {
				r.stop()
			} else {
				rest = append(rest, r)
			}
		}
		eventually(b, "the next leader", func() bool {
			l, err := bundle.store.LeaderGet(b.Context())
			return err == nil && l.Epoch > epoch
		})
		samples = append(samples, time.Since(start))
		s, stop := startReplica(b, bundle, prefix, fmt.Sprintf("r%d", i+2), noWork)
		replicas = append(rest, replica{s, stop})
		// Measure a standby that is campaigning, as one that has been up
		// a while is, rather than one still starting.
		eventually(b, "both replicas campaigning", func() bool {
			resp, err := client.Get(b.Context(), s.electionPrefix(), clientv3.WithPrefix(), clientv3.WithCountOnly())
			return err == nil && resp.Count == 2
		})
	}
	reportPercentiles(b, "handover", samples)
}

// Crash failover: SIGKILL of the leader's process (no resignation) to the
// next leader's recorded epoch; bounded below by the session TTL.
func BenchmarkFailoverKill(b *testing.B) {
	bundle := setup(b)
	c := newCluster(b, bundle)
	c.start("k0")
	c.start("k1")
	leader, epoch := c.waitLeader("", 0)
	const iterations = 10
	samples := make([]time.Duration, 0, iterations)
	for i := range iterations {
		start := time.Now()
		c.kill(leader)
		next, nextEpoch := c.waitLeader(leader, epoch)
		samples = append(samples, time.Since(start))
		c.start(fmt.Sprintf("k%d", i+2))
		leader, epoch = next, nextEpoch
	}
	reportPercentiles(b, "handover", samples)
	b.ReportMetric(testTTL.Seconds(), "ttl-s")
}

// Leader start-up reconcile of 100,000 datasources: the full-table check and
// the first plan that computes every next slot.
func BenchmarkReconcile100k(b *testing.B) {
	bundle := setup(b)
	ctx := b.Context()
	_, err := bundle.store.Pool().Exec(ctx, `
		INSERT INTO datasources (name, path, file_pattern, schedule_interval)
		SELECT 'reconcile-' || i, '/data/r', '*', interval '1 hour' FROM generate_series(1, 100000) i`)
	require.NoError(b, err)
	_, err = bundle.store.Pool().Exec(ctx, `ANALYZE datasources`) // as autovacuum would have
	require.NoError(b, err)
	p := bundle.leadingPlanner(b, "r", 1)

	start := time.Now()
	require.NoError(b, p.reconcile(ctx, 1))
	_, err = p.planDue(ctx, 1, time.Now())
	require.NoError(b, err)
	first := time.Since(start)

	start = time.Now()
	require.NoError(b, p.reconcile(ctx, 1))
	steady := time.Since(start)
	b.ReportMetric(first.Seconds(), "first-start-s")
	b.ReportMetric(steady.Seconds(), "reconcile-s")
}

// benchWorkers is the River worker count of the lag benchmarks: enough to
// keep both cores busy, few enough not to thrash PostgreSQL.
const benchWorkers = 50

// River alone, for scale: a burst of 1,000 no-op jobs inserted in one
// transaction, from commit to each job's start. No runs rows, no events: the
// floor that River itself sets on this machine.
func BenchmarkRiverOnlyBurst1000(b *testing.B) { benchRiverOnlyBurst(b, 50) }

// With a worker per job, River starts the whole burst without queueing.
func BenchmarkRiverOnlyBurst1000Workers1000(b *testing.B) { benchRiverOnlyBurst(b, 1000) }

func benchRiverOnlyBurst(b *testing.B, maxWorkers int) {
	bundle := setup(b)
	workers := river.NewWorkers()
	w := &nopWorker{starts: make(chan time.Time, 1000)}
	river.AddWorker(workers, w)
	client, err := river.NewClient(riverpgxv5.New(bundle.store.Pool()), &river.Config{
		Queues:        map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}},
		Workers:       workers,
		FetchCooldown: 10 * time.Millisecond, FetchPollInterval: 500 * time.Millisecond,
		Logger: quietLogger(),
	})
	require.NoError(b, err)
	require.NoError(b, client.Start(b.Context()))
	defer func() { _ = client.Stop(context.Background()) }()

	var lags []time.Duration
	for round := range 5 {
		params := make([]river.InsertManyParams, 1000)
		for i := range params {
			params[i] = river.InsertManyParams{Args: nopArgs{N: round*1000 + i}}
		}
		tx, err := bundle.store.Pool().Begin(b.Context())
		require.NoError(b, err)
		_, err = client.InsertManyTx(b.Context(), tx, params)
		require.NoError(b, err)
		committed := time.Now()
		require.NoError(b, tx.Commit(b.Context()))
		for range params {
			lags = append(lags, (<-w.starts).Sub(committed))
		}
	}
	reportPercentiles(b, "start", lags)
}

type nopArgs struct{ N int }

func (nopArgs) Kind() string { return "bench.nop" }

type nopWorker struct {
	river.WorkerDefaults[nopArgs]
	starts chan time.Time
}

func (w *nopWorker) Work(ctx context.Context, job *river.Job[nopArgs]) error {
	w.starts <- time.Now()
	return nil
}
