// Package pgtest gives tests a real, migrated PostgreSQL database of their
// own, so that they can run in parallel.
//
// With EZ_TEST_DATABASE_URL set (a URL whose user may CREATE DATABASE), tests
// use that server. Otherwise the first test that asks starts a throwaway
// cluster with the dev stack's launcher (internal/devstack) in a temporary
// directory; Main stops it when the tests end.
//
// Each database is cloned from a template that is migrated once per schema:
// the template's name carries a hash of the embedded migrations, so a
// changed migration gets a new template, never a stale one.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/migrations"
	"github.com/ezplatform/ezplatform/store"
)

var (
	serverOnce sync.Once
	adminURL   string // URL of a maintenance database on the server
	serverErr  error
	cluster    *devstack.Postgres
	clusterDir string

	templateOnce sync.Once
	templateName string
	templateErr  error
)

// Main runs the tests of a package and stops the throwaway cluster, if one
// was started. Call it from TestMain: func TestMain(m *testing.M) { pgtest.Main(m) }.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main without the exit, for a TestMain with more to clean up.
func Run(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := cluster.Stop(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping PostgreSQL: %v\n", err)
		}
		cancel()
	}
	// Also when the cluster did not start: the directory was made first.
	if clusterDir != "" {
		if err := os.RemoveAll(clusterDir); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: removing %s: %v\n", clusterDir, err)
		}
	}
	return code
}

// AdminURL returns the URL of the server's maintenance database, starting
// the throwaway cluster if needed.
func AdminURL(t testing.TB) string {
	t.Helper()
	serverOnce.Do(startServer)
	if serverErr != nil {
		t.Fatalf("pgtest: no PostgreSQL: %v", serverErr)
	}
	return adminURL
}

func startServer() {
	if u := os.Getenv("EZ_TEST_DATABASE_URL"); u != "" {
		adminURL = u
		return
	}
	// The cluster runs as the postgres user when tests run as root, so the
	// directory must be searchable by it: MkdirTemp makes 0700.
	dir, err := os.MkdirTemp("", "ezplatform-pgtest-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		serverErr = err
		return
	}
	clusterDir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, serverErr = devstack.StartPostgres(ctx, devstack.PostgresOptions{
		DataDir:   filepath.Join(dir, "postgres"),
		Ephemeral: true,
		// Loaded, tracking nothing: a benchmark turns it on for its own
		// database to count the statements a workload sends.
		Settings: map[string]string{"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "none"},
	})
	if serverErr != nil {
		return
	}
	adminURL = cluster.URL("postgres")
}

// NewDatabase creates a migrated database for t, dropped when t ends, and
// returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(admin) })
	if templateErr != nil {
		t.Fatalf("pgtest: template database: %v", templateErr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)

	name := "ezt_" + randomHex(8)
	if err := createFromTemplate(ctx, conn, name, templateName); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dropOnCleanup(t, admin, name)
	return withDatabase(admin, name)
}

// NewStore returns a Store on a fresh database, with its pool closed when t ends.
func NewStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	dbURL := NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, dbURL) // as a replica opens it
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return store.New(pool), dbURL
}

// NewEmptyDatabase creates an unmigrated database for t (for migration tests).
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	admin := AdminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	name := "ezt_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dropOnCleanup(t, admin, name)
	return withDatabase(admin, name)
}

// dropOnCleanup drops the database when t ends, closing its connections.
func dropOnCleanup(t testing.TB, admin, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("pgtest: drop %s: %v", name, err)
		}
	})
}

// ensureTemplate creates and migrates the template of the current schema
// unless it exists. An advisory lock serializes test binaries that share a
// server.
func ensureTemplate(admin string) (string, error) {
	name := "ezt_template_" + migrationsHash()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7243001)"); err != nil {
		return "", err
	}
	defer func() { _, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock(7243001)") }()

	var ready bool
	err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)`, name).Scan(&ready)
	if err != nil || ready {
		return name, err
	}
	// A template left half-made by a killed run is not marked; start over.
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", err
	}
	m, err := store.NewMigrator(withDatabase(admin, name))
	if err != nil {
		return "", err
	}
	err = m.Up()
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH is_template true"); err != nil {
		return "", err
	}
	return name, nil
}

// createFromTemplate clones the template, retrying while another session
// briefly holds it (PostgreSQL refuses to copy a database in use).
func createFromTemplate(ctx context.Context, conn *pgx.Conn, name, template string) error {
	for attempt := 0; ; attempt++ {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "55006" || attempt >= 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func migrationsHash() string {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		panic(err) // impossible: embed.FS
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func withDatabase(rawURL, database string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(fmt.Sprintf("pgtest: bad URL: %v", err))
	}
	u.Path = "/" + database
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Querier is what RequireVisibleNotBefore reads through: a pool, a
// connection or a transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RequireVisibleNotBefore polls exists, a boolean SQL expression, until it
// holds, and fails t if it held before at: for work that must become
// visible at an instant. A poll's snapshot is taken before its
// clock_timestamp(), so what it sees was committed before that time.
func RequireVisibleNotBefore(t testing.TB, db Querier, at time.Time, exists string, args ...any) {
	t.Helper()
	for {
		var seen bool
		var seenAt time.Time
		if err := db.QueryRow(t.Context(), `SELECT `+exists+`, clock_timestamp()`, args...).Scan(&seen, &seenAt); err != nil {
			t.Fatalf("pgtest: %s: %v", exists, err)
		}
		if seen {
			if seenAt.Before(at) {
				t.Fatalf("pgtest: visible at %s, before %s", seenAt, at)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
