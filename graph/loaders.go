package graph

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/ezplatform/ezplatform/store"
)

// loaders batch the per-datasource reads of one request: a page of 100
// datasources asking for lastRun and fileTotals costs one query each, not
// 100. They live for one request, so they never serve stale data.
type loaders struct {
	lastRun    *dataloadgen.Loader[uuid.UUID, *store.Run]
	fileTotals *dataloadgen.Loader[uuid.UUID, *store.FileDiscoveryTotals]
}

type loadersKey struct{}

func newLoaders(st *store.Store) *loaders {
	return &loaders{
		lastRun: dataloadgen.NewLoader(byKey(st.RunsLastStarted), dataloadgen.WithWait(time.Millisecond)),
		fileTotals: dataloadgen.NewLoader(byKey(st.DiscoveredFileTotals),
			dataloadgen.WithWait(time.Millisecond)),
	}
}

// byKey adapts a store read that returns a map to a loader's fetch, which
// must answer in the order of its keys (nil for a key without a row).
func byKey[V any](read func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) func(context.Context, []uuid.UUID) ([]V, []error) {
	return func(ctx context.Context, keys []uuid.UUID) ([]V, []error) {
		found, err := read(ctx, keys)
		if err != nil {
			return nil, []error{err}
		}
		out := make([]V, len(keys))
		for i, k := range keys {
			out[i] = found[k]
		}
		return out, nil
	}
}

// withLoaders gives each request its own loaders.
func withLoaders(st *store.Store, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadersKey{}, newLoaders(st))))
	})
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
