package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"riverqueue.com/riverui"
)

// riverUIPrefix is where River UI is mounted: its page, its assets (embedded
// in the riverui module, so it loads nothing from another host) and its
// JSON API under riverUIPrefix + "api/".
const riverUIPrefix = "/riverui/"

// riverUI builds River UI on the replica's own pool and starts its
// background services, which stop when ctx ends. Its River client only
// reads and changes jobs (retry, cancel, delete); it works none: the
// scheduler's client does.
func (s *replica) riverUI(ctx context.Context) (http.Handler, error) {
	client, err := river.NewClient(riverpgxv5.New(s.pool), &river.Config{Logger: s.logger.With("component", "riverui")})
	if err != nil {
		return nil, fmt.Errorf("river UI: River client: %w", err)
	}
	handler, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints[pgx.Tx](client, nil),
		Logger:    s.logger.With("component", "riverui"),
		Prefix:    riverUIPrefix,
	})
	if err != nil {
		return nil, fmt.Errorf("river UI: %w", err)
	}
	if err := handler.Start(ctx); err != nil {
		return nil, fmt.Errorf("river UI: start: %w", err)
	}
	return handler, nil
}

// serveRiverUI serves River UI once the replica is up. It is one handler,
// so that an access check wraps it in one place (routes).
func (s *replica) serveRiverUI(w http.ResponseWriter, r *http.Request) {
	deps := s.deps.Load()
	if deps == nil {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "the replica is starting; retry shortly", http.StatusServiceUnavailable)
		return
	}
	deps.riverUI.ServeHTTP(w, r)
}
