package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/scheduler"
)

// Config is everything a replica needs. Fields come from the environment
// (EZ_*) and flags; flags take precedence.
type Config struct {
	DatabaseURL   string
	EtcdEndpoints []string
	// EtcdPrefix is the etcd key prefix under which the replicas of one
	// cluster elect their leader and register (default "/ezplatform"). Two
	// clusters that share an etcd need prefixes of their own, or they elect
	// one leader between them.
	EtcdPrefix string
	HTTPAddr   string
	// AdvertiseURL is how other replicas and clients reach this one, shown
	// in the cluster view (EZ_ADVERTISE_URL, default http://<HTTPAddr>, which
	// is useless when listening on 0.0.0.0: set it to the pod's address).
	AdvertiseURL string
	ReplicaID    string
	DataRoots    discovery.Roots
	// SessionTTL is the etcd session TTL of the leader election (EZ_SESSION_TTL,
	// default 5s, minimum 2s).
	SessionTTL time.Duration
	// EventRetention is how long events stay replayable by subscription
	// cursors (EZ_EVENT_RETENTION, default 168h).
	EventRetention time.Duration
	// Workers is how many runs the replica works at once (EZ_WORKERS,
	// default 50, at most MaxWorkers).
	Workers int
	// RecordRunningAfter is how long an attempt works before its run is
	// marked RUNNING (EZ_RECORD_RUNNING_AFTER, default 1s, at most 1h);
	// quicker runs record their start with their result. 0s marks every
	// run RUNNING before it works, at the cost of a write and an event.
	RecordRunningAfter time.Duration
	// AllowedOrigins are the host patterns of pages on other origins that
	// may subscribe over WebSocket (EZ_ALLOWED_ORIGINS, comma-separated,
	// e.g. "app.example.com,*.example.org"). Same-origin always works.
	AllowedOrigins []string
	// InsecureNoAuth turns authentication off: every request acts as an
	// admin (--insecure-no-auth, EZ_INSECURE_NO_AUTH=true). The replica
	// says so in its log at start and every hour.
	InsecureNoAuth bool
	// BootstrapTokenFile holds the secret of an admin token to create at
	// start if no token has it (EZ_BOOTSTRAP_TOKEN_FILE).
	BootstrapTokenFile string
	// MetricsPublic serves /metrics without a token (EZ_METRICS_PUBLIC).
	MetricsPublic bool
	// NoIntrospection turns GraphQL introspection and field suggestions off
	// (EZ_INTROSPECTION=false).
	NoIntrospection bool
	// Migrate applies pending migrations at start instead of refusing to run
	// on a schema that is behind.
	Migrate bool
	// ShutdownTimeout bounds how long in-flight requests may finish on
	// stop; zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// Prepare, if set, runs once the listener is open and before the replica
	// connects; it may fill in the connection fields. `ezplatform dev`
	// starts its PostgreSQL and etcd there, so that /healthz and /readyz
	// answer from the very start.
	Prepare func(ctx context.Context, cfg *Config) error
}

const (
	// MaxWorkers bounds EZ_WORKERS: each worker may hold a run's file walk
	// and a database connection's worth of work.
	MaxWorkers = 10_000
	// DefaultHTTPAddr is where a replica listens unless told otherwise.
	DefaultHTTPAddr = "127.0.0.1:8080"
	// DefaultShutdownTimeout is how long in-flight requests get on stop.
	DefaultShutdownTimeout = 10 * time.Second
)

// ConfigFromEnv reads EZ_DATABASE_URL, EZ_ETCD_ENDPOINTS, EZ_HTTP_ADDR,
// EZ_REPLICA_ID and EZ_DATA_ROOTS, and the optional EZ_SESSION_TTL,
// EZ_EVENT_RETENTION, EZ_WORKERS, EZ_RECORD_RUNNING_AFTER, EZ_ALLOWED_ORIGINS, EZ_BOOTSTRAP_TOKEN_FILE,
// EZ_METRICS_PUBLIC, EZ_INTROSPECTION, EZ_INSECURE_NO_AUTH, EZ_ADVERTISE_URL
// and EZ_ETCD_PREFIX. Missing required values are reported
// together, so that one attempt shows everything to fix.
func ConfigFromEnv(getenv func(string) string) (*Config, error) {
	cfg := &Config{
		DatabaseURL:        strings.TrimSpace(getenv("EZ_DATABASE_URL")),
		EtcdEndpoints:      splitList(getenv("EZ_ETCD_ENDPOINTS"), ","),
		HTTPAddr:           strings.TrimSpace(getenv("EZ_HTTP_ADDR")),
		ReplicaID:          strings.TrimSpace(getenv("EZ_REPLICA_ID")),
		ShutdownTimeout:    DefaultShutdownTimeout,
		AllowedOrigins:     splitList(getenv("EZ_ALLOWED_ORIGINS"), ","),
		BootstrapTokenFile: strings.TrimSpace(getenv("EZ_BOOTSTRAP_TOKEN_FILE")),
		AdvertiseURL:       strings.TrimSpace(getenv("EZ_ADVERTISE_URL")),
		EtcdPrefix:         strings.TrimSpace(getenv("EZ_ETCD_PREFIX")),
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = DefaultHTTPAddr
	}
	if cfg.ReplicaID == "" {
		cfg.ReplicaID = DefaultReplicaID()
	}
	var errs []error
	if ttl := strings.TrimSpace(getenv("EZ_SESSION_TTL")); ttl != "" {
		d, err := time.ParseDuration(ttl)
		if err != nil || d < scheduler.MinSessionTTL {
			errs = append(errs, fmt.Errorf("EZ_SESSION_TTL: %q must be a duration of at least %s", ttl, scheduler.MinSessionTTL))
		}
		cfg.SessionTTL = d
	}
	if retention := strings.TrimSpace(getenv("EZ_EVENT_RETENTION")); retention != "" {
		d, err := time.ParseDuration(retention)
		if err != nil || d < time.Hour {
			errs = append(errs, fmt.Errorf("EZ_EVENT_RETENTION: %q must be a duration of at least 1h, such as 168h", retention))
		}
		cfg.EventRetention = d
	}
	if after := strings.TrimSpace(getenv("EZ_RECORD_RUNNING_AFTER")); after != "" {
		d, err := time.ParseDuration(after)
		if err != nil || d < 0 || d > time.Hour {
			errs = append(errs, fmt.Errorf("EZ_RECORD_RUNNING_AFTER: %q must be a duration from 0s to 1h, such as 1s", after))
		}
		// 0 means at once; the scheduler's own zero means its default.
		cfg.RecordRunningAfter = cmp.Or(d, -1)
	}
	if workers := strings.TrimSpace(getenv("EZ_WORKERS")); workers != "" {
		n, err := strconv.Atoi(workers)
		if err != nil || n < 1 || n > MaxWorkers {
			errs = append(errs, fmt.Errorf("EZ_WORKERS: %q must be a whole number from 1 to %d", workers, MaxWorkers))
		}
		cfg.Workers = n
	}
	for _, pattern := range cfg.AllowedOrigins {
		if _, err := path.Match(pattern, ""); err != nil {
			errs = append(errs, fmt.Errorf("EZ_ALLOWED_ORIGINS: %q is not a valid host pattern: %w", pattern, err))
		}
	}
	errs = append(errs, readSwitches(getenv, cfg)...)
	if u := cfg.AdvertiseURL; u != "" {
		if parsed, err := url.Parse(u); err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
			errs = append(errs, fmt.Errorf("EZ_ADVERTISE_URL: %q must be an http(s) URL such as http://10.0.0.7:8080", u))
		}
	}
	if p := cfg.EtcdPrefix; p != "" && (!strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/")) {
		errs = append(errs, fmt.Errorf("EZ_ETCD_PREFIX: %q must start with / and not end with one, such as /ezplatform-staging", p))
	}
	if cfg.DatabaseURL == "" {
		errs = append(errs, errors.New("EZ_DATABASE_URL is not set (for a local stack, run `ezplatform dev`)"))
	}
	if len(cfg.EtcdEndpoints) == 0 {
		errs = append(errs, errors.New("EZ_ETCD_ENDPOINTS is not set (comma-separated, e.g. http://127.0.0.1:2379)"))
	}
	if roots := strings.TrimSpace(getenv("EZ_DATA_ROOTS")); roots == "" {
		errs = append(errs, errors.New("EZ_DATA_ROOTS is not set (':'-separated directories that datasources may watch)"))
	} else if r, err := discovery.ParseRoots(roots); err != nil {
		errs = append(errs, fmt.Errorf("EZ_DATA_ROOTS: %w", err))
	} else {
		cfg.DataRoots = r
	}
	return cfg, errors.Join(errs...)
}

// readSwitches reads the true/false settings.
func readSwitches(getenv func(string) string, cfg *Config) []error {
	var errs []error
	for _, b := range []struct {
		name string
		to   *bool
		not  bool
	}{{"EZ_METRICS_PUBLIC", &cfg.MetricsPublic, false}, {"EZ_INSECURE_NO_AUTH", &cfg.InsecureNoAuth, false},
		{"EZ_INTROSPECTION", &cfg.NoIntrospection, true}} {
		raw := strings.TrimSpace(getenv(b.name))
		if raw == "" {
			continue
		}
		v, err := strconv.ParseBool(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q must be true or false", b.name, raw))
		}
		*b.to = v != b.not
	}
	return errs
}

func splitList(s, sep string) []string {
	var out []string
	for part := range strings.SplitSeq(s, sep) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// DefaultReplicaID names a replica after its host and process.
func DefaultReplicaID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "replica"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}
