package store

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	"github.com/ezplatform/ezplatform/migrations"
)

// Migrator applies the embedded schema history (migrations.FS) with
// golang-migrate. golang-migrate holds a PostgreSQL advisory lock while it
// works, so replicas started together with --migrate do not race.
type Migrator struct {
	db *sql.DB
	m  *migrate.Migrate
}

// NewMigrator connects to databaseURL. Close it when done.
func NewMigrator(databaseURL string) (*Migrator, error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("store: read embedded migrations: %w", err)
	}
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", redactURL(databaseURL), err)
	}
	driver, err := migratepgx.WithInstance(db, &migratepgx.Config{})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", redactURL(databaseURL), err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", driver)
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: prepare migrations: %w", err)
	}
	return &Migrator{db: db, m: m}, nil
}

// Up applies every pending migration. It is a no-op on an up-to-date schema.
func (m *Migrator) Up() error {
	if err := m.m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("store: migrate up: %w", err)
	}
	return nil
}

// Down reverts the last n applied migrations.
func (m *Migrator) Down(n int) error {
	if n <= 0 {
		return fmt.Errorf("store: migrate down: step count must be positive, got %d", n)
	}
	if err := m.m.Steps(-n); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("store: migrate down %d: %w", n, err)
	}
	return nil
}

// Force records version v as applied and clean, without running anything.
// It is the repair step after a migration failed half way (a dirty schema).
func (m *Migrator) Force(v int) error {
	if err := m.m.Force(v); err != nil {
		return fmt.Errorf("store: migrate force %d: %w", v, err)
	}
	return nil
}

// Version returns the applied version and whether it is dirty. An empty
// database is version 0.
func (m *Migrator) Version() (version uint, dirty bool, err error) {
	version, dirty, err = m.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: read schema version: %w", err)
	}
	return version, dirty, nil
}

// Check returns nil when the schema is exactly at LatestVersion, and otherwise
// an error wrapping ErrSchemaBehind, ErrSchemaAhead or ErrSchemaDirty that
// says what to run.
func (m *Migrator) Check() error {
	version, dirty, err := m.Version()
	if err != nil {
		return err
	}
	latest := LatestVersion()
	switch {
	case dirty:
		return fmt.Errorf("%w: migration %d failed half way; repair it by hand, then run `ezplatform migrate force N` with the last good version", ErrSchemaDirty, version)
	case version < latest:
		return fmt.Errorf("%w: it is at version %d, this binary needs %d; run `ezplatform migrate up` or start with `ezplatform serve --migrate`", ErrSchemaBehind, version, latest)
	case version > latest:
		return fmt.Errorf("%w: it is at version %d, this binary knows up to %d; run the newer binary", ErrSchemaAhead, version, latest)
	}
	return nil
}

// Close releases the connection.
func (m *Migrator) Close() error {
	srcErr, dbErr := m.m.Close()
	return errors.Join(srcErr, dbErr)
}

// LatestVersion is the highest migration version embedded in this binary.
func LatestVersion() uint {
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		panic(fmt.Sprintf("store: embedded migrations unreadable: %v", err)) // impossible: embed.FS
	}
	var latest uint
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			continue
		}
		if v, err := strconv.ParseUint(prefix, 10, 32); err == nil && uint(v) > latest {
			latest = uint(v)
		}
	}
	return latest
}

// redactURL hides the password of a database URL for error messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return "the database"
	}
	return u.Redacted()
}
