package scheduler

import "github.com/prometheus/client_golang/prometheus"

// metrics are a replica's scheduler metrics, served on /metrics.
type metrics struct {
	leader      prometheus.Gauge
	epoch       prometheus.Gauge
	planned     *prometheus.CounterVec
	finished    *prometheus.CounterVec
	startLag    prometheus.Histogram
	planSeconds prometheus.Histogram
	finishGroup prometheus.Histogram
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
	}
	if reg != nil {
		reg.MustRegister(m.leader, m.epoch, m.planned, m.finished, m.startLag, m.planSeconds, m.finishGroup)
	}
	return m
}
