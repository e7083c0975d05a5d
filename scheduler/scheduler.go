package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ezplatform/ezplatform/internal/backoff"
	"github.com/ezplatform/ezplatform/store"
)

// scheduleConns is how many connections a replica opens, besides its pool,
// for the planner and the starter.
const scheduleConns = startConcurrency + 1

// Config configures a replica's scheduler.
type Config struct {
	Store *store.Store
	Etcd  *clientv3.Client
	// ReplicaID and Address identify the replica in etcd.
	ReplicaID string
	Address   string
	// Work is what each run does.
	Work Work
	// SessionTTL is the etcd session TTL (default DefaultSessionTTL,
	// minimum MinSessionTTL).
	SessionTTL time.Duration
	// Workers is how many runs this replica works at once (default 50).
	Workers int
	// RecordRunningAfter is how long an attempt works before its run is
	// marked RUNNING (default DefaultRecordRunningAfter). A quicker attempt
	// records its start with its result, in one write and one event: its
	// run goes from SCHEDULED straight to its result. Negative: every
	// attempt is marked RUNNING before it works.
	RecordRunningAfter time.Duration
	// LateStartWarning is how long after its slot a run's first attempt may
	// start before the replica logs that it may have too few workers (at
	// most once a minute; default 10 s).
	LateStartWarning time.Duration
	// KeyPrefix is the etcd prefix of the election and registry keys
	// (default "/ezplatform"); tests give each cluster its own.
	KeyPrefix string
	Planner   PlannerOptions
	Logger    *slog.Logger
	// Registerer, if set, receives the scheduler's Prometheus metrics.
	Registerer prometheus.Registerer
	// Listener, if set, is the replica's LISTEN connection (including
	// store.DataSourceEventsChannel), which the planner shares and its owner
	// runs. If nil, each leadership term runs a listener of its own.
	Listener *store.Listener
}

// Scheduler is one replica's part of the scheduler: it works run jobs,
// registers the replica, and campaigns to be the leader that plans.
type Scheduler struct {
	cfg      Config
	river    *river.Client[pgx.Tx]
	starter  *starter
	finisher *finisher
	planner  *planner
	metrics  *metrics
	logger   *slog.Logger
	started  time.Time

	mu    sync.Mutex
	epoch int64 // while leading, else 0
}

// New builds a replica's scheduler. Run starts it.
func New(cfg Config) (*Scheduler, error) {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.SessionTTL < MinSessionTTL {
		return nil, ErrSessionTTL
	}
	cfg.SessionTTL = cfg.SessionTTL.Truncate(time.Second) // etcd leases are whole seconds
	if cfg.RecordRunningAfter == 0 {
		cfg.RecordRunningAfter = DefaultRecordRunningAfter
	}
	if cfg.Workers == 0 {
		cfg.Workers = 50
	}
	if cfg.LateStartWarning == 0 {
		cfg.LateStartWarning = 10 * time.Second
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = "/ezplatform"
	}
	if cfg.Planner.Batch == 0 {
		cfg.Planner = DefaultPlannerOptions
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Work == nil {
		return nil, errors.New("scheduler: Config.Work is required")
	}

	m := newMetrics(cfg.Registerer)
	starter, finisher := newStarter(), newFinisher(cfg.Store, m)
	workers := river.NewWorkers()
	river.AddWorker(workers, &runWorker{starter: starter, finisher: finisher, work: cfg.Work,
		replicaID: cfg.ReplicaID, logger: cfg.Logger, metrics: m,
		lateStart: lateStartWarning{after: cfg.LateStartWarning, workers: cfg.Workers}, recordRunningAfter: cfg.RecordRunningAfter})
	client, err := river.NewClient(riverpgxv5.New(cfg.Store.Pool()), &river.Config{
		ID:      cfg.ReplicaID,
		Queues:  map[string]river.QueueConfig{QueueRuns: {MaxWorkers: cfg.Workers}},
		Workers: workers,
		// Jobs are inserted available at slot time: fetch at once on the
		// insert notification, and poll as a fallback.
		FetchCooldown:               10 * time.Millisecond,
		FetchPollInterval:           500 * time.Millisecond,
		CompletedJobRetentionPeriod: time.Hour,
		RetryPolicy:                 retryPolicy{},
		Logger:                      slog.New(atLeast{cfg.Logger.Handler(), slog.LevelWarn}).With("component", "river"),
	})
	if err != nil {
		return nil, fmt.Errorf("scheduler: River client: %w", err)
	}
	s := &Scheduler{cfg: cfg, river: client, starter: starter, finisher: finisher, metrics: m, logger: cfg.Logger, started: time.Now()}
	s.planner = &planner{store: cfg.Store, river: client, logger: cfg.Logger, opts: cfg.Planner, now: time.Now, metrics: m,
		specs: NewSpecCache(cfg.Planner.SpecCacheSize), idleLimit: max(cfg.SessionTTL, cfg.Planner.PlanAhead+time.Second)}
	return s, nil
}

// Run works jobs, keeps the replica registered and campaigns for leadership
// until ctx ends. Then it resigns at once (so that another replica takes
// over in well under a second), and lets running jobs finish for up to
// stopTimeout.
func (s *Scheduler) Run(ctx context.Context, stopTimeout time.Duration) error {
	// Planning and starting runs have connections of their own: a burst of
	// finishing runs holds every connection of the replica's pool, and the
	// next slot's runs waited for one (docs/BENCHMARKS.md). They open as
	// needed: kept open from the start, they made every replica's start
	// and stop slower, and a failover with them.
	schedule, err := s.cfg.Store.Dedicated(scheduleConns)
	if err != nil {
		return fmt.Errorf("scheduler: %w", err)
	}
	defer schedule.Pool().Close()
	s.planner.store = schedule

	// The starter and the finisher outlive River's workers, which use them.
	batchersCtx, stopBatchers := context.WithCancel(context.WithoutCancel(ctx))
	var batchersDone sync.WaitGroup
	batchersDone.Go(func() { s.starter.run(batchersCtx, schedule) })
	batchersDone.Go(func() { s.finisher.run(batchersCtx) })
	defer func() { stopBatchers(); batchersDone.Wait() }()

	// River stops hard when its start context ends; it gets its own, and a
	// soft Stop below, so that running jobs can finish.
	if err := s.river.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("scheduler: start River: %w", err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.register(ctx) })
	wg.Go(func() {
		e := &elector{client: s.cfg.Etcd, prefix: s.electionPrefix(), ttl: s.cfg.SessionTTL, logger: s.logger,
			self: Member{ReplicaID: s.cfg.ReplicaID, Address: s.cfg.Address, StartedAt: s.started}}
		e.run(ctx, s.lead)
	})
	<-ctx.Done()
	wg.Wait()

	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := s.river.Stop(stopCtx); err != nil {
		s.logger.Warn("scheduler: running jobs did not finish in time; River will rescue them", "error", err)
	}
	return nil
}

// lead is one leadership term: record the epoch (fencing), then plan until
// the term ends.
func (s *Scheduler) lead(ctx context.Context, epoch int64) error {
	err := s.cfg.Store.LeaderRecord(ctx, &store.LeaderRecordParams{Epoch: epoch, ReplicaID: s.cfg.ReplicaID, Address: s.cfg.Address})
	if err != nil {
		return fmt.Errorf("record epoch %d: %w", epoch, err)
	}
	s.setLeading(epoch)
	defer s.setLeading(0)

	l := s.cfg.Listener
	listenCtx, stopListening := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if l == nil {
		l = s.cfg.Store.NewListener(store.DataSourceEventsChannel)
		wg.Go(func() {
			l.Run(listenCtx, func(err error) {
				s.logger.Warn("scheduler: LISTEN connection lost; reconnecting", "channel", store.DataSourceEventsChannel, "error", err)
			})
		})
	}
	watch, stopWatching := l.Watch(store.DataSourceEventsChannel)
	defer func() {
		stopWatching()
		stopListening()
		wg.Wait()
		// Record the end of the term even if ctx is over.
		endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := s.cfg.Store.LeaderResigned(endCtx, epoch, s.cfg.ReplicaID); err != nil {
			s.logger.Warn("scheduler: record resignation", "epoch", epoch, "error", err)
		}
	}()
	return s.planner.run(ctx, epoch, watch.Notified(), watch.Listening())
}

func (s *Scheduler) setLeading(epoch int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch = epoch
	s.metrics.epoch.Set(float64(epoch))
	if epoch > 0 {
		s.metrics.leader.Set(1)
	} else {
		s.metrics.leader.Set(0)
	}
}

// Epoch returns this replica's epoch while it leads, else 0.
func (s *Scheduler) Epoch() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// register keeps the replica's key in etcd under a lease of its own, and
// puts it back whenever the session ends.
func (s *Scheduler) register(ctx context.Context) {
	value, _ := json.Marshal(Member{ReplicaID: s.cfg.ReplicaID, Address: s.cfg.Address, StartedAt: s.started})
	retry := backoff.New(100*time.Millisecond, s.cfg.SessionTTL)
	for ctx.Err() == nil {
		err := func() error {
			session, err := newSession(ctx, s.cfg.Etcd, s.cfg.SessionTTL)
			if err != nil {
				return err
			}
			defer closeSession(ctx, s.cfg.Etcd, session)
			if _, err := s.cfg.Etcd.Put(ctx, s.replicaKey(), string(value), clientv3.WithLease(session.Lease())); err != nil {
				return err
			}
			retry.Reset()
			select {
			case <-ctx.Done():
			case <-session.Done():
			}
			return nil
		}()
		if err != nil && ctx.Err() == nil {
			s.logger.Warn("scheduler: register replica in etcd", "error", err)
		}
		if !backoff.Sleep(ctx, retry.Next()) {
			return
		}
	}
}

func (s *Scheduler) electionPrefix() string { return s.cfg.KeyPrefix + "/leader" }
func (s *Scheduler) replicaKey() string     { return s.cfg.KeyPrefix + "/replicas/" + s.cfg.ReplicaID }

// TriggerRun runs a datasource now, from any replica. The run's slot is the
// current second: two triggers in one second, or a trigger and a planned
// slot at the same second, share one run (I1). It returns the run, or
// store.ErrNotFound for a datasource that does not exist.
func (s *Scheduler) TriggerRun(ctx context.Context, dataSourceID uuid.UUID) (*store.Run, error) {
	ds, err := s.cfg.Store.DataSourceGetByID(ctx, dataSourceID)
	if err != nil {
		return nil, err
	}
	slot := time.Now().Truncate(time.Second)
	var run *store.Run
	err = s.cfg.Store.InTx(ctx, func(tx *store.Tx) error {
		runs, err := tx.RunsInsert(ctx, []store.RunInsert{{
			DataSourceID: ds.ID, ScheduledFor: slot, Trigger: store.TriggerManual, Status: store.RunScheduled,
			MaxAttempts: ds.MaxAttempts,
		}})
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			run, err = tx.RunGetBySlot(ctx, ds.ID, slot)
			return err
		}
		run = runs[0]
		return s.planner.enqueue(ctx, tx, runs)
	})
	return run, err
}

// Specs returns the cache of parsed schedules that the planner uses, so that
// the replica's API can share it.
func (s *Scheduler) Specs() *SpecCache { return s.planner.specs }

// ClusterInfo is the cluster as etcd sees it.
type ClusterInfo struct {
	Leader   *LeaderInfo
	Replicas []ReplicaInfo
}

// LeaderInfo describes the current leader.
type LeaderInfo struct {
	Member
	Epoch int64
	// Since is when the leader recorded its epoch (zero if not yet).
	Since time.Time
}

// ReplicaInfo is a registered replica.
type ReplicaInfo struct {
	Member
	IsLeader bool
}

// Cluster reads the leader and the registered replicas from etcd.
func (s *Scheduler) Cluster(ctx context.Context) (*ClusterInfo, error) {
	info := &ClusterInfo{}
	leader, epoch, ok, err := leaderMember(ctx, s.cfg.Etcd, s.electionPrefix())
	if err != nil {
		return nil, fmt.Errorf("scheduler: read leader: %w", err)
	}
	if ok {
		info.Leader = &LeaderInfo{Member: leader, Epoch: epoch}
		if recorded, err := s.cfg.Store.LeaderGet(ctx); err == nil && recorded.Epoch == epoch {
			info.Leader.Since = recorded.Since
		}
	}
	resp, err := s.cfg.Etcd.Get(ctx, s.cfg.KeyPrefix+"/replicas/", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("scheduler: read replicas: %w", err)
	}
	for _, kv := range resp.Kvs {
		var m Member
		if err := json.Unmarshal(kv.Value, &m); err != nil {
			continue
		}
		info.Replicas = append(info.Replicas, ReplicaInfo{Member: m, IsLeader: ok && m.ReplicaID == leader.ReplicaID})
	}
	slices.SortFunc(info.Replicas, func(a, b ReplicaInfo) int { return a.StartedAt.Compare(b.StartedAt) })
	return info, nil
}

// retryPolicy retries failed attempts after 1 s, 2 s, 4 s … capped at 5
// minutes: schedules are often seconds apart, so River's default
// (attempt⁴ seconds) would make a retry outlive many slots.
type retryPolicy struct{}

func (retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	backoff := time.Duration(math.Min(math.Pow(2, float64(max(job.Attempt-1, 0))), 300)) * time.Second
	return time.Now().Add(backoff)
}
