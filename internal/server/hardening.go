package server

import (
	"context"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/graph"
)

// Request timeouts of queries and mutations. Streams (WebSocket, SSE) are
// long-lived by design and bounded by their keep-alives instead.
const (
	requestBodyTimeout = 30 * time.Second
	requestTimeout     = time.Minute
)

// limits are graph's defaults, with the replica's settings.
func (s *replica) limits() graph.Limits {
	l := graph.DefaultLimits
	l.NoIntrospection = s.cfg.NoIntrospection
	return l
}

// withRequestTimeouts bounds how long a query or mutation may take to send
// its body and to be answered, so that a slow client cannot hold a
// connection and a slow query cannot run on unseen.
func withRequestTimeouts(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(requestBodyTimeout))
		_ = rc.SetWriteDeadline(time.Now().Add(requestTimeout + 5*time.Second))
		ctx, cancel := context.WithTimeout(r.Context(), requestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// cors lets pages on the origins of EZ_ALLOWED_ORIGINS (host patterns, as
// for WebSockets) call the API from a browser; preflights are answered
// before authentication, as browsers send them without credentials.
func (s *replica) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || !s.originAllowed(origin) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// originAllowed matches an Origin's host against EZ_ALLOWED_ORIGINS.
func (s *replica) originAllowed(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, pattern := range s.cfg.AllowedOrigins {
		if ok, _ := path.Match(strings.ToLower(pattern), strings.ToLower(u.Host)); ok {
			return true
		}
	}
	return false
}
