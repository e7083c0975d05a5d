package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/store"
)

// Every request but /healthz, /readyz, the web app's and the playground's
// static files (which hold no data) and, with EZ_METRICS_PUBLIC, /metrics
// carries an API token: `Authorization: Bearer <token>`, or on a WebSocket
// the connection_init payload {"authorization": "Bearer <token>"}. The
// River UI and /metrics, which browsers open directly, also take the token
// as the password of HTTP Basic authentication.

// insecureReminder is how often a replica without authentication says so.
const insecureReminder = time.Hour

// startAuth starts the replica's view of the valid tokens, after seeding
// the bootstrap token, or logs that authentication is off.
func (s *replica) startAuth(ctx context.Context, st *store.Store) error {
	if s.cfg.InsecureNoAuth {
		warn := func() {
			s.logger.Warn("authentication is OFF (--insecure-no-auth): anyone who reaches this replica is an admin")
		}
		warn()
		go func() {
			tick := time.NewTicker(insecureReminder)
			defer tick.Stop()
			for {
				select {
				case <-s.draining.Done():
					return
				case <-tick.C:
					warn()
				}
			}
		}()
		return nil
	}
	if file := s.cfg.BootstrapTokenFile; file != "" {
		created, err := auth.Bootstrap(ctx, st, file)
		if err != nil {
			return err
		}
		if created {
			s.logger.Info("created the bootstrap admin token from EZ_BOOTSTRAP_TOKEN_FILE", "token", auth.BootstrapName)
		}
	}
	s.auth = auth.New(st, s.logger)
	authCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); s.auth.Run(authCtx) }()
	s.stopAuth = func() { stop(); <-done }
	return nil
}

// authenticate returns the principal of a request's credentials: nil, nil
// when it has none.
func (s *replica) authenticate(ctx context.Context, r *http.Request, basic bool) (*auth.Principal, error) {
	if s.cfg.InsecureNoAuth {
		return auth.Open, nil
	}
	deps := s.deps.Load()
	if deps == nil {
		return nil, auth.ErrUnavailable
	}
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, nil
	}
	secret, ok := auth.BearerToken(header)
	if !ok && basic {
		secret, ok = basicPassword(header)
	}
	if !ok {
		return nil, errors.New("the Authorization header must be `Bearer <token>`")
	}
	return deps.auth.Authenticate(ctx, secret)
}

// basicPassword is the password of `Basic base64(user:password)`.
func basicPassword(header string) (string, bool) {
	scheme, encoded, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", false
	}
	_, password, ok := strings.Cut(string(raw), ":")
	return password, ok && password != ""
}

// graphQLAuth puts the request's principal in its context, or answers 401.
// A WebSocket may bring its token in connection_init instead (connectionInit
// decides then); an SSE stream is bound to its token, and ends when it is
// revoked.
func (s *replica) graphQLAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		p, err := s.authenticate(ctx, r, false)
		if r.Header.Get("Upgrade") != "" {
			if p != nil {
				ctx = auth.NewContext(ctx, p)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		if p == nil {
			writeAuthError(w, err)
			return
		}
		ctx = auth.NewContext(ctx, p)
		if strings.Contains(r.Header.Get("Accept"), "text/event-stream") && p.Authenticated() {
			ctx = s.deps.Load().auth.Bind(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// connectionInit is the WebSocket's Init hook: the token of the payload,
// else of the upgrade request's header, bound to the connection.
func (s *replica) connectionInit(ctx context.Context, payload map[string]any) (context.Context, error) {
	if s.cfg.InsecureNoAuth {
		return auth.NewContext(ctx, auth.Open), nil
	}
	p := auth.FromContext(ctx)
	raw, _ := payload["authorization"].(string)
	if raw == "" {
		raw, _ = payload["Authorization"].(string)
	}
	if raw != "" {
		secret, ok := auth.BearerToken(raw)
		if !ok {
			secret = strings.TrimSpace(raw)
		}
		var err error
		if p, err = s.auth.Authenticate(ctx, secret); err != nil { // the hook runs once the replica is up
			return nil, errors.New("unauthenticated: " + authMessage(err))
		}
	}
	if p == nil {
		return nil, errors.New(`unauthenticated: send {"authorization": "Bearer <token>"} in connection_init`)
	}
	return s.auth.Bind(auth.NewContext(ctx, p), p), nil
}

// requireRole serves next only to requests whose token has role; River UI
// and /metrics also take it as a Basic password, so that a browser asks.
func (s *replica) requireRole(role auth.Role, realm string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r.Context(), r, true)
		switch {
		case p == nil && errors.Is(err, auth.ErrUnavailable):
			w.Header().Set("Retry-After", "1")
			http.Error(w, authMessage(err), http.StatusServiceUnavailable)
		case p == nil:
			w.Header().Set("WWW-Authenticate", `Basic realm="`+realm+` (password: an API token)", charset="UTF-8"`)
			http.Error(w, authMessage(err), http.StatusUnauthorized)
		case !p.Role.Allows(role):
			http.Error(w, "the "+p.Role.String()+" role may not open this page: it needs "+role.String(), http.StatusForbidden)
		default:
			next.ServeHTTP(w, r.WithContext(auth.NewContext(r.Context(), p)))
		}
	})
}

// authMessage says why credentials were refused, without detail an
// attacker could use beyond "no".
func authMessage(err error) string {
	switch {
	case err == nil:
		return "this API needs a token: send Authorization: Bearer <token> (create one with `ezplatform token create`)"
	case errors.Is(err, auth.ErrUnavailable):
		return "the replica cannot check tokens yet: retry shortly"
	case errors.Is(err, auth.ErrUnauthenticated):
		return strings.TrimPrefix(strings.TrimPrefix(err.Error(), auth.ErrUnauthenticated.Error()+": "), "auth: ")
	}
	return err.Error()
}

func writeAuthError(w http.ResponseWriter, err error) {
	status, code := http.StatusUnauthorized, "UNAUTHENTICATED"
	if errors.Is(err, auth.ErrUnavailable) {
		status, code = http.StatusServiceUnavailable, "UNAVAILABLE"
		w.Header().Set("Retry-After", "1")
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="EZ Platform"`)
	}
	writeJSONError(w, status, code, authMessage(err))
}

// writeJSONError answers a request for /graphql that never reached GraphQL,
// in GraphQL's error shape.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // the messages quote `Bearer <token>`
	_ = enc.Encode(map[string]any{"errors": []any{map[string]any{"message": message, "extensions": map[string]any{"code": code}}}})
}
