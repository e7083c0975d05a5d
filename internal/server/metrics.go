package server

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/ezplatform/ezplatform/store"
)

// scrapeQueryTimeout bounds each query a scrape runs, so that a slow
// database makes a metric go missing rather than the scrape hang.
const scrapeQueryTimeout = 2 * time.Second

// metrics is a replica's own Prometheus registry, so that tests can run
// several replicas in one process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ezplatform_http_requests_total",
			Help: "HTTP requests served, by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ezplatform_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.duration, buildInfo(),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// buildInfo is ezplatform_build_info: always 1, with the binary's version,
// Go version and VCS revision as labels.
func buildInfo() prometheus.Collector {
	version, revision := "dev", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, setting := range info.Settings {
			if setting.Key == "vcs.revision" && setting.Value != "" {
				revision = setting.Value
			}
		}
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "ezplatform_build_info",
		Help:        "Always 1; the labels say which build this replica runs.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version(), "revision": revision},
	}, func() float64 { return 1 })
}

// observeDatabase exports the pool's usage, River's jobs by state and
// PostgreSQL's NOTIFY queue usage, read at scrape time.
func (m *metrics) observeDatabase(pool *pgxpool.Pool, logger *slog.Logger) {
	m.registry.MustRegister(poolCollector{pool: pool}, &databaseCollector{pool: pool, logger: logger})
}

var (
	poolAcquiredDesc = prometheus.NewDesc("ezplatform_db_pool_acquired_connections",
		"Connections of the replica's database pool in use now.", nil, nil)
	poolIdleDesc = prometheus.NewDesc("ezplatform_db_pool_idle_connections",
		"Connections of the replica's database pool open and idle now.", nil, nil)
	poolTotalDesc = prometheus.NewDesc("ezplatform_db_pool_total_connections",
		"Connections of the replica's database pool open now, in use, idle or being opened.", nil, nil)
	poolMaxDesc = prometheus.NewDesc("ezplatform_db_pool_max_connections",
		"The most connections the replica's database pool may open.", nil, nil)
	poolAcquiresDesc = prometheus.NewDesc("ezplatform_db_pool_acquires_total",
		"Connections acquired from the replica's database pool.", nil, nil)
	poolEmptyAcquiresDesc = prometheus.NewDesc("ezplatform_db_pool_empty_acquires_total",
		"Acquires that found no idle connection and had to wait for one, or open one.", nil, nil)
	poolAcquireSecondsDesc = prometheus.NewDesc("ezplatform_db_pool_acquire_duration_seconds_total",
		"Time spent acquiring connections from the replica's database pool.", nil, nil)
)

// poolCollector reads pgxpool.Stat at scrape time: it costs no query.
type poolCollector struct{ pool *pgxpool.Pool }

func (c poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolAcquiredDesc, poolIdleDesc, poolTotalDesc, poolMaxDesc,
		poolAcquiresDesc, poolEmptyAcquiresDesc, poolAcquireSecondsDesc} {
		ch <- d
	}
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolAcquiredDesc, prometheus.GaugeValue, float64(st.AcquiredConns()))
	ch <- prometheus.MustNewConstMetric(poolIdleDesc, prometheus.GaugeValue, float64(st.IdleConns()))
	ch <- prometheus.MustNewConstMetric(poolTotalDesc, prometheus.GaugeValue, float64(st.TotalConns()))
	ch <- prometheus.MustNewConstMetric(poolMaxDesc, prometheus.GaugeValue, float64(st.MaxConns()))
	ch <- prometheus.MustNewConstMetric(poolAcquiresDesc, prometheus.CounterValue, float64(st.AcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolEmptyAcquiresDesc, prometheus.CounterValue, float64(st.EmptyAcquireCount()))
	ch <- prometheus.MustNewConstMetric(poolAcquireSecondsDesc, prometheus.CounterValue, st.AcquireDuration().Seconds())
}

var (
	riverJobsDesc = prometheus.NewDesc("ezplatform_river_jobs",
		"River jobs waiting or running, by state (all queues, all replicas: every replica reports the same); finished jobs are not counted.", []string{"state"}, nil)
	notifyQueueDesc = prometheus.NewDesc("ezplatform_postgres_notification_queue_usage_ratio",
		"Fraction of PostgreSQL's NOTIFY queue in use (pg_notification_queue_usage()); at 1, every NOTIFY, and so every write, fails.", nil, nil)
)

// databaseCollector queries PostgreSQL at scrape time, each query under
// scrapeQueryTimeout. A failed query leaves its metric out of the scrape
// (and says why in the log) rather than fail the whole scrape.
type databaseCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

func (c *databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- riverJobsDesc
	ch <- notifyQueueDesc
}

func (c *databaseCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeQueryTimeout)
	defer cancel()
	if counts, err := countUnfinishedJobs(ctx, c.pool); err != nil {
		c.logger.Warn("metrics: counting River jobs", "error", err)
	} else {
		for _, state := range unfinishedJobStates {
			ch <- prometheus.MustNewConstMetric(riverJobsDesc, prometheus.GaugeValue, float64(counts[state]), string(state))
		}
	}
	if usage, err := store.New(c.pool).NotifyQueueUsage(ctx); err != nil {
		c.logger.Warn("metrics: reading pg_notification_queue_usage()", "error", err)
	} else {
		ch <- prometheus.MustNewConstMetric(notifyQueueDesc, prometheus.GaugeValue, usage)
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// instrument counts and times requests to one route. Routes are fixed
// labels, never the raw URL, so that label cardinality stays bounded.
func (m *metrics) instrument(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.requests.WithLabelValues(route, strconv.Itoa(rec.status)).Inc()
		if !isStream(r) { // a subscription lasts as long as the client wants
			m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer
// (flushing, hijacking for WebSockets).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush streams server-sent events: gqlgen's SSE transport asserts
// http.Flusher rather than use a ResponseController.
func (r *statusRecorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack hands a WebSocket its connection; a hijacked request reports 101.
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	r.status = http.StatusSwitchingProtocols
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// observeSubscribers exports the number of live subscriptions.
func (m *metrics) observeSubscribers(count func() int) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ezplatform_subscriptions",
		Help: "Live GraphQL subscriptions to schedule and datasource events on this replica.",
	}, func() float64 { return float64(count()) }))
}

// subscriberCounter counts the replica's subscriptions by transport, for
// graph.Live.Subscribed.
func (m *metrics) subscriberCounter() func(transport string) func() {
	gauge := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ezplatform_subscribers",
		Help: "Open GraphQL subscriptions on this replica, of every kind, by transport (websocket, sse).",
	}, []string{"transport"})
	m.registry.MustRegister(gauge)
	for _, t := range []string{"websocket", "sse"} {
		gauge.WithLabelValues(t) // present at zero from the start
	}
	return func(transport string) func() {
		g := gauge.WithLabelValues(transport)
		g.Inc()
		return g.Dec
	}
}

// isStream reports whether r opens a subscription stream (WebSocket or SSE).
func isStream(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// unfinishedJobStates are the states of the jobs still to work: the queue's
// depth. Finished jobs (completed, cancelled, discarded) are left out: kept
// for an hour, they can be millions of rows, too many to count per scrape.
var unfinishedJobStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// countUnfinishedJobs counts River's jobs in each unfinished state with
// River's own query, one state at a time: each is a range of River's
// (state, queue, …) index, as small as the backlog, where a GROUP BY
// state would read every finished job too.
func countUnfinishedJobs(ctx context.Context, pool *pgxpool.Pool) (map[rivertype.JobState]int, error) {
	exec := riverpgxv5.New(pool).GetExecutor()
	counts := map[rivertype.JobState]int{}
	for _, state := range unfinishedJobStates {
		n, err := exec.JobCountByState(ctx, &riverdriver.JobCountByStateParams{State: state})
		if err != nil {
			return nil, err
		}
		counts[state] = n
	}
	return counts, nil
}
