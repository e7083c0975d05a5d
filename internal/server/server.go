package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/graph"
	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
	"github.com/ezplatform/ezplatform/web"
	"github.com/ezplatform/ezplatform/web/playground"
)

// Ready describes a replica that has started serving.
type Ready struct {
	// BaseURL is http://host:port of the listener.
	BaseURL   string
	ReplicaID string
}

// Run serves one replica until ctx ends, then shuts down gracefully. It
// returns an error when the replica cannot start: the address is taken, the
// database is unreachable, or its schema is not this binary's (unless
// cfg.Migrate). onReady, if not nil, is called once everything is up.
func Run(ctx context.Context, cfg *Config, onReady func(Ready)) error {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger = logger.With("replica", cfg.ReplicaID) // on every line of this replica, its scheduler's included
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another replica already using it? pick one with --http)", cfg.HTTPAddr, err)
	}

	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	address := cfg.AdvertiseURL
	if address == "" {
		address = "http://" + ln.Addr().String()
	}
	s := &replica{cfg: cfg, logger: logger, metrics: newMetrics(), address: address}
	s.draining, s.drain = context.WithCancel(context.WithoutCancel(ctx))
	httpServer := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10, // a token is 47 bytes; nothing needs Go's default of 1 MiB
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()
	defer func() {
		// Subscribers first: each stream ends with the cursor to resume
		// from, and WebSockets close with 1001 so that clients reconnect
		// to another replica. Then the scheduler: a leader resigns at once,
		// so that another replica takes over while this one drains its
		// requests and jobs.
		if s.hub != nil {
			s.hub.Drain()
		}
		s.drain()
		if s.stopScheduler != nil {
			s.stopScheduler()
		}
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := httpServer.Shutdown(shutdownCtx); err != nil {
			logger.Warn("http shutdown did not finish cleanly", "error", err)
		}
		if s.stopHub != nil {
			s.stopHub()
		}
		if s.stopAuth != nil {
			s.stopAuth()
		}
		s.close()
	}()

	if cfg.Prepare != nil {
		if err := cfg.Prepare(ctx, cfg); err != nil {
			return err
		}
	}
	if err := s.start(ctx); err != nil {
		return err
	}
	if onReady != nil {
		onReady(Ready{BaseURL: "http://" + ln.Addr().String(), ReplicaID: cfg.ReplicaID})
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		return nil
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
}

// replica is one running server. Its HTTP handlers run while it starts, so
// the connected dependencies are published at once, when complete.
type replica struct {
	cfg     *Config
	logger  *slog.Logger
	metrics *metrics
	address string
	deps    atomic.Pointer[dependencies]

	// Set by start, before deps is published; read by close.
	pool          *pgxpool.Pool
	etcd          *clientv3.Client
	hub           *hub.Hub
	auth          *auth.Authenticator // handlers read it from deps
	stopAuth      func()
	stopHub       func()
	stopScheduler func()

	// draining ends when the replica starts to shut down.
	draining context.Context
	drain    context.CancelFunc
}

// dependencies are what the handlers need once the replica is up.
type dependencies struct {
	store   *store.Store
	etcd    *clientv3.Client
	graphql http.Handler
	riverUI http.Handler
	auth    *auth.Authenticator // nil without authentication
}

// start checks the schema, connects, and publishes the dependencies.
func (s *replica) start(ctx context.Context) error {
	if err := checkSchema(s.cfg.DatabaseURL, s.cfg.Migrate, s.logger); err != nil {
		return err
	}
	var err error
	s.pool, err = store.Open(ctx, s.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	st := store.New(s.pool)
	if err := s.startAuth(ctx, st); err != nil {
		return err
	}
	s.etcd, err = clientv3.New(clientv3.Config{
		Endpoints:   s.cfg.EtcdEndpoints,
		DialTimeout: 5 * time.Second,
		Logger:      nopZap(),
	})
	if err != nil {
		return fmt.Errorf("etcd client for %v: %w", s.cfg.EtcdEndpoints, err)
	}
	if err := pingEtcd(ctx, s.etcd); err != nil {
		// Not fatal: /readyz reports it, and the client reconnects by itself.
		s.logger.Warn("etcd is not reachable yet", "endpoints", s.cfg.EtcdEndpoints, "error", err)
	}
	sched, err := s.startStreamsAndScheduler(ctx, st)
	if err != nil {
		return err
	}
	s.metrics.observeDatabase(s.pool, s.logger)
	riverUI, err := s.riverUI(s.draining)
	if err != nil {
		return err
	}

	s.deps.Store(&dependencies{
		store:   st,
		etcd:    s.etcd,
		riverUI: riverUI,
		auth:    s.auth,
		graphql: graph.NewHandler(&graph.Resolver{
			Store:     st,
			Scheduler: sched,
			Hub:       s.hub,
			Roots:     s.cfg.DataRoots,
			Logger:    s.logger,
			ReplicaID: s.cfg.ReplicaID,
			Now:       time.Now,
		}, s.limits(), graph.Live{
			AllowedOrigins: s.cfg.AllowedOrigins, Drain: s.draining, ConnectionInit: s.connectionInit,
			Subscribed: s.metrics.subscriberCounter(),
		}),
	})
	return nil
}

// startStreamsAndScheduler starts the replica's LISTEN connection, its hub
// and its scheduler, each stopped by Run in turn.
func (s *replica) startStreamsAndScheduler(ctx context.Context, st *store.Store) (*scheduler.Scheduler, error) {
	// One LISTEN connection per replica, shared by the hub and the planner.
	listener := st.NewListener(store.ScheduleEventsChannel, store.DataSourceEventsChannel)
	planner := scheduler.DefaultPlannerOptions
	if s.cfg.EventRetention > 0 {
		planner.Retention.EventsMaxAge = s.cfg.EventRetention
	}
	sched, err := scheduler.New(scheduler.Config{
		Store:      st,
		Etcd:       s.etcd,
		KeyPrefix:  s.cfg.EtcdPrefix,
		ReplicaID:  s.cfg.ReplicaID,
		Address:    s.address,
		Work:       scheduler.DiscoveryWork(s.cfg.DataRoots, st),
		SessionTTL: s.cfg.SessionTTL,
		Workers:    s.cfg.Workers,
		// Zero (unset) is the scheduler's default; ConfigFromEnv turns 0s
		// into a negative value, "at once".
		RecordRunningAfter: s.cfg.RecordRunningAfter,
		Logger:             s.logger,
		Registerer:         s.metrics.registry,
		Planner:            planner,
		Listener:           listener,
	})
	if err != nil {
		return nil, err
	}
	s.hub = hub.New(st, hub.Options{Logger: s.logger, Registerer: s.metrics.registry, Listener: listener})
	// The listener outlives both of its users: it stops with the hub,
	// after the scheduler.
	hubCtx, stopHub := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	background.Go(func() {
		listener.Run(hubCtx, func(err error) { s.logger.Warn("LISTEN connection lost; reconnecting", "error", err) })
	})
	background.Go(func() { s.hub.Run(hubCtx) })
	s.stopHub = func() { stopHub(); background.Wait() }
	s.metrics.observeSubscribers(s.hub.Subscribers)
	schedCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sched.Run(schedCtx, s.cfg.ShutdownTimeout); err != nil {
			s.logger.Error("scheduler stopped", "error", err)
		}
	}()
	s.stopScheduler = func() { cancel(); <-done }
	return sched, nil
}

func (s *replica) close() {
	if s.etcd != nil {
		_ = s.etcd.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
}

func (s *replica) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", s.metrics.instrument("/graphql", s.cors(s.graphQLAuth(withRequestTimeouts(http.HandlerFunc(s.serveGraphQL))))))
	play := s.metrics.instrument("/playground", playgroundHandler("EZ Platform", "/playground", "/graphql", playground.Assets))
	mux.Handle("/playground", play)
	mux.Handle("/playground/", play)
	mux.Handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	}))
	mux.Handle("GET /readyz", http.HandlerFunc(s.serveReady))
	metrics := s.metrics.handler()
	if !s.cfg.MetricsPublic {
		metrics = s.requireRole(auth.Viewer, "EZ Platform metrics", metrics)
	}
	mux.Handle("GET /metrics", metrics)
	mux.Handle(riverUIPrefix, s.metrics.instrument(riverUIPrefix, s.requireRole(auth.Admin, "EZ Platform River UI", http.HandlerFunc(s.serveRiverUI))))
	mux.Handle("/", s.metrics.instrument("/", web.Handler()))
	return mux
}

func (s *replica) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	deps := s.deps.Load()
	if deps == nil {
		w.Header().Set("Retry-After", "1")
		writeJSONError(w, http.StatusServiceUnavailable, "UNAVAILABLE", "the replica is starting; retry shortly")
		return
	}
	deps.graphql.ServeHTTP(w, r)
}

// serveReady answers 200 when the database and etcd answer, and 503 with the
// failing checks otherwise.
func (s *replica) serveReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{"database": "ok", "etcd": "ok", "graphql": "ok"}
	ready := true
	fail := func(name string, err error) {
		checks[name], ready = err.Error(), false
	}
	if deps := s.deps.Load(); deps == nil {
		for name := range checks {
			fail(name, errors.New("starting"))
		}
	} else {
		if err := deps.store.Ping(ctx); err != nil {
			fail("database", err)
		}
		if err := pingEtcd(ctx, deps.etcd); err != nil {
			fail("etcd", err)
		}
	}
	status := http.StatusOK
	body := map[string]any{"status": "ready", "replica": s.cfg.ReplicaID, "checks": checks}
	if !ready {
		status = http.StatusServiceUnavailable
		body["status"] = "unavailable"
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func pingEtcd(ctx context.Context, client *clientv3.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	// A linearizable read proves that a quorum answers, not just a socket.
	_, err := client.Get(ctx, "ezplatform/health")
	return err
}

// checkSchema refuses a schema that is not this binary's, unless migrate
// is set, in which case it applies what is pending first.
func checkSchema(databaseURL string, migrate bool, logger *slog.Logger) error {
	m, err := store.NewMigrator(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	if migrate {
		before, _, err := m.Version()
		if err != nil {
			return err
		}
		if err := m.Up(); err != nil {
			return err
		}
		if after, _, err := m.Version(); err == nil && after != before {
			logger.Info("migrated the database schema", "from", before, "to", after)
		}
	}
	return m.Check()
}
