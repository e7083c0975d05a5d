package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// DefaultDataDir is where Start keeps everything unless told otherwise.
	DefaultDataDir = ".ezplatform"
	// DatabaseName is the application database Start creates.
	DatabaseName = "ezplatform"
	// EnvFileName is the file in the data directory with the variables
	// `ezplatform serve` needs to find the stack.
	EnvFileName = "stack.env"
)

// Options configures Start.
type Options struct {
	// DataDir holds all data; "" means DefaultDataDir in the working
	// directory.
	DataDir string
	// Log receives progress lines for humans; nil discards them.
	Log io.Writer
	// DatabaseURL, when set, names an existing database to use instead of
	// a private PostgreSQL cluster.
	DatabaseURL string
	// NoEtcd starts no etcd: the caller runs etcd itself (scripts/cluster
	// runs a three-member cluster), and stack.env has no EZ_ETCD_ENDPOINTS.
	NoEtcd bool
}

// Stack is the running dev stack.
type Stack struct {
	// Postgres is the private cluster; nil when Options.DatabaseURL was set.
	Postgres *Postgres
	Etcd     *Etcd // nil with Options.NoEtcd
	// DataDir is the absolute data directory.
	DataDir string
	// InboxDir is DataDir/inbox, the default data root of ezplatform serve.
	InboxDir string
	// DatabaseURL is the URL of the application database.
	DatabaseURL   string
	EtcdEndpoints []string // empty with Options.NoEtcd
}

// Start starts the whole dev stack under opts.DataDir and blocks until it is
// ready, or fails: PostgreSQL in DataDir/postgres (creating the cluster on
// first use, which takes a few seconds) and the database "ezplatform" in it,
// unless opts.DatabaseURL names a database to use instead;
// etcd in DataDir/etcd (unless opts.NoEtcd), and the directory
// DataDir/inbox. It then writes DataDir/stack.env with EZ_DATABASE_URL and
// EZ_ETCD_ENDPOINTS, so that
//
//	env $(cat .ezplatform/stack.env) ezplatform serve
//
// finds the stack. Cancelling ctx aborts the startup; once Start has
// returned, ctx no longer matters and the stack runs until Stop. On error,
// whatever was started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	dataDir := opts.DataDir
	if dataDir == "" {
		dataDir = DefaultDataDir
	}
	if dataDir, err = filepath.Abs(dataDir); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	// 0755, not 0700: when we run as root, PostgreSQL runs as another user
	// and must reach DataDir/postgres. The entries that need protection
	// have their own modes.
	if err := mkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create the data directory: %w", err)
	}
	s := &Stack{DataDir: dataDir, InboxDir: filepath.Join(dataDir, "inbox")}
	defer func() {
		if err != nil {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = s.Stop(stopCtx)
		}
	}()

	if opts.DatabaseURL != "" {
		s.DatabaseURL = opts.DatabaseURL
		fmt.Fprintln(log, "using the existing database of EZ_DATABASE_URL instead of a private PostgreSQL")
	} else {
		s.Postgres, err = StartPostgres(ctx, PostgresOptions{DataDir: filepath.Join(dataDir, "postgres"), Log: log})
		if err != nil {
			return nil, err
		}
		if err := createDatabase(ctx, s.Postgres, DatabaseName, log); err != nil {
			return nil, err
		}
		s.DatabaseURL = s.Postgres.URL(DatabaseName)
	}

	if !opts.NoEtcd {
		s.Etcd, err = StartEtcd(ctx, filepath.Join(dataDir, "etcd"))
		if err != nil {
			return nil, err
		}
		s.EtcdEndpoints = s.Etcd.Endpoints()
		fmt.Fprintf(log, "etcd is serving on %s\n", strings.Join(s.EtcdEndpoints, ","))
	}

	if err := os.MkdirAll(s.InboxDir, 0o755); err != nil {
		return nil, fmt.Errorf("create the inbox directory: %w", err)
	}
	// Plain KEY=VALUE lines without quotes or spaces, for `env $(cat ...)`.
	// 0600: the URL contains the database password.
	env := "EZ_DATABASE_URL=" + s.DatabaseURL + "\n"
	if s.Etcd != nil {
		env += "EZ_ETCD_ENDPOINTS=" + strings.Join(s.EtcdEndpoints, ",") + "\n"
	}
	if err := writeFileAtomic(filepath.Join(dataDir, EnvFileName), []byte(env), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", EnvFileName, err)
	}
	return s, nil
}

// Stop stops etcd and PostgreSQL and keeps their data. It blocks until both
// are down; see Postgres.Stop for what happens when ctx ends first.
func (s *Stack) Stop(ctx context.Context) error {
	var errs []error
	if s.Etcd != nil {
		s.Etcd.Close()
	}
	if s.Postgres != nil {
		errs = append(errs, s.Postgres.Stop(ctx))
	}
	return errors.Join(errs...)
}

// createDatabase creates database name unless it exists.
func createDatabase(ctx context.Context, pg *Postgres, name string, log io.Writer) error {
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL to create database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: created meanwhile
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	fmt.Fprintf(log, "created database %q\n", name)
	return nil
}
