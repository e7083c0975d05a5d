package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store reads and writes EZ Platform's state in PostgreSQL.
// It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store that uses pool. The caller keeps ownership of pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// DefaultMaxConns is a replica's pool size unless the database URL sets
// pool_max_conns. pgx's own default is the number of CPUs, at least 4:
// the API, the hub's replays, the planner, River's fetcher and completer
// and every worker's start and finish queued for those 4, and runs waited
// for a connection rather than for PostgreSQL (docs/BENCHMARKS.md).
const DefaultMaxConns = 20

// Open connects a pool to databaseURL and checks that the server answers.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: parse database URL: %w", err)
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "ezplatform"
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		registerUUID(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", redactURL(databaseURL), err)
	}
	return pool, nil
}

// Dedicated returns a Store on a pool of its own, configured like s's, of at
// most maxConns connections opened as needed, for work that must not queue
// behind s's other users. The caller closes it (Pool().Close()).
func (s *Store) Dedicated(maxConns int32) (*Store, error) {
	cfg := s.pool.Config()
	cfg.MaxConns, cfg.MinConns, cfg.MinIdleConns = maxConns, 0, 0
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("store: dedicated pool: %w", err)
	}
	return New(pool), nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Pool returns the underlying pool, for River, whose driver needs it
// directly.
func (s *Store) Pool() *pgxpool.Pool {
	return s.pool
}
