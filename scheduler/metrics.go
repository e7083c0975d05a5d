package scheduler

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are a replica's scheduler metrics, served on /metrics.
type metrics struct {
	leader      prometheus.Gauge
	epoch       prometheus.Gauge
	planned     *prometheus.CounterVec
	finished    *prometheus.CounterVec
	runDuration *prometheus.HistogramVec
	startLag    prometheus.Histogram
	planSeconds prometheus.Histogram
	finishGroup prometheus.Histogram

	discoveredFiles   prometheus.Counter
	discoveredBytes   prometheus.Counter
	discoveredRecords prometheus.Counter

	// nextSlot feeds the planner lag, read at scrape time.
	nextSlot nextSlot
	// attempts feeds the running-attempt gauges, read at scrape time.
	attempts *runningAttempts
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ezplatform_scheduler_leader",
			Help: "1 while this replica is the scheduler leader, else 0.",
		}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ezplatform_scheduler_epoch",
			Help: "The fencing epoch of this replica's leadership; 0 when not leading.",
		}),
		planned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ezplatform_runs_planned_total",
			Help: "Rows the planner wrote, by status (SCHEDULED, SKIPPED, MISSED); a MISSED row may cover many slots.",
		}, []string{"status"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ezplatform_run_attempts_finished_total",
			Help: "Attempts this replica finished, by resulting run status.",
		}, []string{"status"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ezplatform_run_duration_seconds",
			Help:    "Time one attempt of a run took on this replica, from its start to its recorded finish, by outcome (the run status it left: SUCCEEDED, RETRYING, FAILED).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 18),
		}, []string{"outcome"}),
		startLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ezplatform_run_start_lag_seconds",
			Help:    "Time from a run's slot to the start of its attempt on this replica.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		planSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ezplatform_planner_batch_seconds",
			Help:    "Duration of one planner transaction's work, without its wait for the slot it plans ahead.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		finishGroup: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ezplatform_run_finish_group_size",
			Help:    "Runs finished together in one transaction on this replica.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 8),
		}),
		discoveredFiles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ezplatform_discovery_files_total",
			Help: "New file versions that this replica's runs discovered and recorded.",
		}),
		discoveredBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ezplatform_discovery_bytes_total",
			Help: "Size of the file versions that this replica's runs discovered and recorded.",
		}),
		discoveredRecords: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ezplatform_discovery_records_total",
			Help: "Records counted in the file versions that this replica's runs discovered and recorded.",
		}),
		attempts: newRunningAttempts(),
	}
	if reg != nil {
		reg.MustRegister(m.leader, m.epoch, m.planned, m.finished, m.runDuration, m.startLag, m.planSeconds, m.finishGroup,
			m.discoveredFiles, m.discoveredBytes, m.discoveredRecords,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "ezplatform_planner_lag_seconds",
				Help: "While leading: how far the earliest slot not yet planned is in the past (0 when the planner is on time, or this replica does not lead).",
			}, func() float64 { return m.nextSlot.lag(time.Now()).Seconds() }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "ezplatform_runs_running",
				Help: "Attempts running on this replica now.",
			}, func() float64 { return float64(m.attempts.count()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "ezplatform_run_oldest_running_seconds",
				Help: "How long the oldest attempt running on this replica has been running (0 when none is).",
			}, func() float64 { return m.attempts.oldest(time.Now()).Seconds() }),
		)
	}
	return m
}

// nextSlot is the earliest slot that the leader's planner had still to
// plan after its last pass. The lag grows while that slot is in the past:
// the planner is stuck, or slower than the schedules.
type nextSlot struct {
	mu sync.Mutex
	at time.Time // zero when not leading or nothing is due
}

func (n *nextSlot) set(at *time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.at = time.Time{}
	if at != nil {
		n.at = *at
	}
}

func (n *nextSlot) lag(now time.Time) time.Duration {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.at.IsZero() || !n.at.Before(now) {
		return 0
	}
	return now.Sub(n.at)
}

// runningAttempts are the attempts this replica works now, by run, with
// when they started: a stuck run shows as an old one.
type runningAttempts struct {
	mu      sync.Mutex
	started map[int64]time.Time
}

func newRunningAttempts() *runningAttempts {
	return &runningAttempts{started: map[int64]time.Time{}}
}

// begin records that runID's attempt started; the returned func ends it.
func (a *runningAttempts) begin(runID int64, at time.Time) (end func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.started[runID] = at
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.started, runID)
	}
}

func (a *runningAttempts) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.started)
}

func (a *runningAttempts) oldest(now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	var longest time.Duration
	for _, at := range a.started {
		longest = max(longest, now.Sub(at))
	}
	return longest
}
