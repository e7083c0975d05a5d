package graph

import (
	"log/slog"
	"time"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/store"
)

//go:generate go tool gqlgen generate

// Resolver holds the dependencies of the resolvers. It holds no state of its own.
type Resolver struct {
	Store  *store.Store
	Roots  discovery.Roots
	Logger *slog.Logger
	// Now is the clock, replaceable in tests.
	Now func() time.Time
}
