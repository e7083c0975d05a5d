package graph

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/hub"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

//go:generate go tool gqlgen generate

// Resolver holds the dependencies of the resolvers. It holds no state of its own.
type Resolver struct {
	Store     *store.Store
	Scheduler Scheduler
	Hub       *hub.Hub
	Roots     discovery.Roots
	Logger    *slog.Logger
	// ReplicaID names this replica in the audit log.
	ReplicaID string
	// Now is the clock, replaceable in tests.
	Now func() time.Time
}

// specOf returns the parsed schedule of ds, from the cache the replica's
// planner keeps: parsed once per datasource version.
func (r *Resolver) specOf(ds *store.DataSource) (*scheduler.Spec, error) {
	return r.Scheduler.Specs().Spec(ds)
}

// keepSpec records the Spec that validation parsed from schedule as the
// parsed schedule of ds, the datasource just written with it.
func (r *Resolver) keepSpec(ds *store.DataSource, schedule *store.Schedule, spec *scheduler.Spec) {
	if spec != nil {
		r.Scheduler.Specs().Put(ds, schedule, spec)
	}
}

// Scheduler is the part of *scheduler.Scheduler the API uses.
type Scheduler interface {
	TriggerRun(ctx context.Context, dataSourceID uuid.UUID) (*store.Run, error)
	Cluster(ctx context.Context) (*scheduler.ClusterInfo, error)
	ClusterEvents(ctx context.Context, after *scheduler.ClusterCursor) (*scheduler.ClusterStream, error)
	// Specs is the replica's cache of parsed schedules.
	Specs() *scheduler.SpecCache
}
