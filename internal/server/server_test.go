package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
)

// The tests share one PostgreSQL cluster and one etcd; both go when they end.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	etcdtest.Stop()
	os.Exit(code)
}

// With etcd unreachable the replica still serves, and /readyz says what is
// missing.
func TestReadyzReportsEtcdDown(t *testing.T) {
	t.Parallel()
	// A port that refuses connections: listen, note it, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadEtcd := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	roots, err := discovery.NewRoots(t.TempDir())
	require.NoError(t, err)
	cfg := &server.Config{
		InsecureNoAuth:  true, // these tests are about other things; auth_test.go covers tokens
		DatabaseURL:     pgtest.NewDatabase(t),
		EtcdEndpoints:   []string{deadEtcd},
		HTTPAddr:        "127.0.0.1:0",
		ReplicaID:       "replica-under-test",
		DataRoots:       roots,
		ShutdownTimeout: 5 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Ready, 1)
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, func(r server.Ready) { ready <- r }) }()
	var base string
	select {
	case r := <-ready:
		base = r.BaseURL
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("server did not start")
	}

	res, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	var body struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	_ = res.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	require.Equal(t, "unavailable", body.Status)
	require.Equal(t, "ok", body.Checks["database"])
	require.NotEqual(t, "ok", body.Checks["etcd"])

	res, err = http.Get(base + "/healthz")
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, "liveness does not depend on etcd")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("server did not stop")
	}
}

func TestRunRefusesBusyAddress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	err = server.Run(t.Context(), &server.Config{HTTPAddr: ln.Addr().String()}, nil)
	require.ErrorContains(t, err, "--http")
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	env := map[string]string{
		"EZ_DATABASE_URL":   "postgres://u@h/db",
		"EZ_ETCD_ENDPOINTS": " http://a:2379, http://b:2379 ,",
		"EZ_DATA_ROOTS":     root,
	}
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, []string{"http://a:2379", "http://b:2379"}, cfg.EtcdEndpoints)
	require.Equal(t, server.DefaultHTTPAddr, cfg.HTTPAddr)
	require.NotEmpty(t, cfg.ReplicaID)
	require.Len(t, cfg.DataRoots.List(), 1)
}

// Every optional setting is checked, and every mistake is reported at once
// with the variable's name and what it should be.
func TestConfigFromEnvRejectsBadValues(t *testing.T) {
	t.Parallel()
	valid := map[string]string{
		"EZ_DATABASE_URL":   "postgres://u@h/db",
		"EZ_ETCD_ENDPOINTS": "http://a:2379",
		"EZ_DATA_ROOTS":     t.TempDir(),
	}
	for _, tc := range []struct {
		name, key, value, want string
	}{
		{"TTL not a duration", "EZ_SESSION_TTL", "five", "EZ_SESSION_TTL: \"five\" must be a duration of at least 2s"},
		{"TTL too short", "EZ_SESSION_TTL", "1s", "EZ_SESSION_TTL"},
		{"retention too short", "EZ_EVENT_RETENTION", "59m", "EZ_EVENT_RETENTION: \"59m\" must be a duration of at least 1h"},
		{"workers not a number", "EZ_WORKERS", "many", "EZ_WORKERS: \"many\" must be a whole number from 1 to 10000"},
		{"workers zero", "EZ_WORKERS", "0", "EZ_WORKERS"},
		{"workers negative", "EZ_WORKERS", "-5", "EZ_WORKERS"},
		{"workers huge", "EZ_WORKERS", "99999999999999999999", "EZ_WORKERS"},
		{"record running not a duration", "EZ_RECORD_RUNNING_AFTER", "soon", `EZ_RECORD_RUNNING_AFTER: "soon" must be a duration from 0s to 1h`},
		{"record running negative", "EZ_RECORD_RUNNING_AFTER", "-1s", "EZ_RECORD_RUNNING_AFTER"},
		{"record running too late", "EZ_RECORD_RUNNING_AFTER", "2h", "EZ_RECORD_RUNNING_AFTER"},
		{"bad origin pattern", "EZ_ALLOWED_ORIGINS", "[app.example.com", "EZ_ALLOWED_ORIGINS"},
		{"data root missing", "EZ_DATA_ROOTS", "/no/such/directory", "EZ_DATA_ROOTS"},
		{"no database", "EZ_DATABASE_URL", "", "EZ_DATABASE_URL is not set"},
		{"metrics public not a boolean", "EZ_METRICS_PUBLIC", "yes please", `EZ_METRICS_PUBLIC: "yes please" must be true or false`},
		{"introspection not a boolean", "EZ_INTROSPECTION", "off", "EZ_INTROSPECTION"},
		{"no auth not a boolean", "EZ_INSECURE_NO_AUTH", "sure", "EZ_INSECURE_NO_AUTH"},
		{"advertise URL not a URL", "EZ_ADVERTISE_URL", "10.0.0.7:8080", "EZ_ADVERTISE_URL"},
		{"etcd prefix relative", "EZ_ETCD_PREFIX", "ezplatform", "EZ_ETCD_PREFIX"},
		{"etcd prefix trailing slash", "EZ_ETCD_PREFIX", "/ez/", "EZ_ETCD_PREFIX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(valid)
			env[tc.key] = tc.value
			_, err := server.ConfigFromEnv(func(k string) string { return env[k] })
			require.ErrorContains(t, err, tc.want)
		})
	}

	env := maps.Clone(valid)
	env["EZ_SESSION_TTL"], env["EZ_WORKERS"], env["EZ_ETCD_ENDPOINTS"] = "0s", "x", ""
	_, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	for _, key := range []string{"EZ_SESSION_TTL", "EZ_WORKERS", "EZ_ETCD_ENDPOINTS"} {
		require.ErrorContains(t, err, key, "all mistakes are reported together")
	}

	env = maps.Clone(valid)
	env["EZ_WORKERS"] = " 300 "
	cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, 300, cfg.Workers)
	require.False(t, cfg.InsecureNoAuth || cfg.MetricsPublic || cfg.NoIntrospection, "secure by default")
	require.Zero(t, cfg.RecordRunningAfter, "unset: the scheduler's default")
	for value, want := range map[string]time.Duration{"0s": -1, " 250ms ": 250 * time.Millisecond, "1h": time.Hour} {
		env := maps.Clone(env)
		env["EZ_RECORD_RUNNING_AFTER"] = value
		cfg, err := server.ConfigFromEnv(func(k string) string { return env[k] })
		require.NoError(t, err)
		require.Equal(t, want, cfg.RecordRunningAfter, "EZ_RECORD_RUNNING_AFTER=%q (negative: at once)", value)
	}

	env["EZ_METRICS_PUBLIC"], env["EZ_INTROSPECTION"], env["EZ_INSECURE_NO_AUTH"] = "true", "false", "1"
	env["EZ_BOOTSTRAP_TOKEN_FILE"] = " /run/secrets/token "
	cfg, err = server.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.True(t, cfg.MetricsPublic && cfg.NoIntrospection && cfg.InsecureNoAuth)
	require.Equal(t, "/run/secrets/token", cfg.BootstrapTokenFile)

	env["EZ_ADVERTISE_URL"], env["EZ_ETCD_PREFIX"] = "http://10.0.0.7:8080", "/ezplatform-staging"
	cfg, err = server.ConfigFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	require.Equal(t, "http://10.0.0.7:8080", cfg.AdvertiseURL)
	require.Equal(t, "/ezplatform-staging", cfg.EtcdPrefix)
}

// /healthz and /readyz answer while Prepare (the dev stack's start-up) is
// still running; /graphql says to retry.
func TestProbesAnswerDuringPrepare(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	inPrepare, release := make(chan struct{}), make(chan struct{})
	cfg := &server.Config{
		InsecureNoAuth: true, // these tests are about other things; auth_test.go covers tokens
		HTTPAddr:       addr,
		ReplicaID:      "preparing",
		Prepare: func(ctx context.Context, cfg *server.Config) error {
			close(inPrepare)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return errors.New("stack failed to start")
		},
	}
	done := make(chan error, 1)
	go func() { done <- server.Run(t.Context(), cfg, nil) }()
	<-inPrepare

	base := "http://" + addr
	for path, want := range map[string]int{
		"/healthz": http.StatusOK,
		"/readyz":  http.StatusServiceUnavailable,
		"/graphql": http.StatusServiceUnavailable,
		"/":        http.StatusOK,
		"/metrics": http.StatusOK,
	} {
		res, err := http.Get(base + path)
		require.NoError(t, err)
		_ = res.Body.Close()
		require.Equal(t, want, res.StatusCode, path)
	}

	close(release)
	require.ErrorContains(t, <-done, "stack failed to start")
}
