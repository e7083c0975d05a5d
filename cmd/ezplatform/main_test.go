package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/internal/gqltest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
	"github.com/ezplatform/ezplatform/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// started is a command running in the background, as main would run it.
type started struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when run returned; code is then set
	code   int
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
}

func start(t *testing.T, args []string, env map[string]string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{cancel: cancel, done: make(chan struct{}), stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}}
	go func() {
		defer close(s.done)
		s.code = run(ctx, args, func(k string) string { return env[k] }, s.stdout, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(time.Minute):
			t.Error("command did not stop")
		}
	})
	return s
}

// waitFor waits until stdout matches re, or the command exits.
func (s *started) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(3 * time.Minute)
	for {
		if m := re.FindStringSubmatch(s.stdout.String()); m != nil {
			return m
		}
		select {
		case <-s.done:
			t.Fatalf("command exited with %d before printing %s\nstdout:\n%s\nstderr:\n%s", s.code, re, s.stdout, s.stderr)
		case <-deadline:
			t.Fatalf("timed out waiting for %s\nstdout:\n%s\nstderr:\n%s", re, s.stdout, s.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *started) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case <-s.done:
		return s.code
	case <-time.After(time.Minute):
		t.Fatal("command did not stop within a minute")
		return -1
	}
}

var graphqlURL = regexp.MustCompile(`GraphQL\s+(http://\S+)/graphql`)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(body)
}

// `ezplatform dev` on a new directory builds the whole stack, serves, stops
// cleanly, and a second start reuses the data.
func TestDev(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "stack")

	dev := start(t, []string{"dev", "--data-dir", dir, "--http", "127.0.0.1:0"}, nil)
	base := dev.waitFor(t, graphqlURL)[1]
	dev.waitFor(t, regexp.MustCompile(`ezplatform dev is ready`))
	require.Contains(t, dev.stdout.String(), "Playground  "+base+"/playground")
	// The command to add a replica runs this very binary, which need not be
	// on PATH.
	self, err := filepath.Abs(os.Args[0])
	require.NoError(t, err)
	require.Contains(t, dev.stdout.String(), fmt.Sprintf("More replicas: env $(cat %s) EZ_DATA_ROOTS=%s %s serve --http 127.0.0.1:8081\n",
		filepath.Join(dir, "stack.env"), filepath.Join(dir, "inbox"), self))

	status, body := get(t, base+"/healthz")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "ok\n", body)
	status, body = get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, status, body)
	status, body = get(t, base+"/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "EZ Platform")
	status, body = get(t, base+"/metrics")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "ezplatform_http_requests_total")
	require.Contains(t, body, "ezplatform_scheduler_leader")
	require.Contains(t, body, "ezplatform_run_finish_group_size")
	status, _ = get(t, base+"/playground")
	require.Equal(t, http.StatusOK, status)

	inbox := filepath.Join(dir, "inbox")
	require.DirExists(t, inbox)
	require.NoError(t, os.Mkdir(filepath.Join(inbox, "sales"), 0o755))
	gqltest.Do(t, base, `mutation($p: String!) { createDataSource(input: {name: "sales", path: $p, filePattern: "*.csv", schedule: {cron: "0 */5 * * * ?"}}) { id } }`,
		map[string]any{"p": filepath.Join(inbox, "sales")})

	env := readEnvFile(t, filepath.Join(dir, "stack.env"))
	require.True(t, strings.HasPrefix(env["EZ_DATABASE_URL"], "postgres://"), env)
	require.True(t, strings.HasPrefix(env["EZ_ETCD_ENDPOINTS"], "http://127.0.0.1:"), env)

	require.Equal(t, 0, dev.stop(t))
	require.Contains(t, dev.stdout.String(), "data stays in")

	again := start(t, []string{"dev", "--data-dir", dir, "--http", "127.0.0.1:0"}, nil)
	base = again.waitFor(t, graphqlURL)[1]
	data := gqltest.Do(t, base, `{ dataSources { totalCount edges { node { name } } } }`, nil)
	require.EqualValues(t, 1, data["dataSources"].(map[string]any)["totalCount"])
	require.Equal(t, 0, again.stop(t))
}

// With EZ_DATABASE_URL set, `ezplatform dev` migrates and uses that database
// and starts no PostgreSQL of its own.
func TestDevWithExternalDatabase(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "stack")
	dbURL := pgtest.NewEmptyDatabase(t)
	dev := start(t, []string{"dev", "--data-dir", dir, "--http", "127.0.0.1:0"}, map[string]string{"EZ_DATABASE_URL": dbURL})
	base := dev.waitFor(t, graphqlURL)[1]
	gqltest.Do(t, base, `{ dataSources { totalCount } }`, nil)
	require.NoDirExists(t, filepath.Join(dir, "postgres"))
	require.Equal(t, dbURL, readEnvFile(t, filepath.Join(dir, "stack.env"))["EZ_DATABASE_URL"])
	require.Equal(t, 0, dev.stop(t))
}

// `ezplatform serve` refuses a schema that is behind, saying how to fix it,
// and migrates it with --migrate.
func TestServeSchemaBehind(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewEmptyDatabase(t)
	etcd, err := devstack.StartEtcd(t.Context(), filepath.Join(tempDir(t), "etcd"))
	require.NoError(t, err)
	t.Cleanup(etcd.Close)
	env := map[string]string{
		"EZ_DATABASE_URL":   dbURL,
		"EZ_ETCD_ENDPOINTS": strings.Join(etcd.Endpoints(), ","),
		"EZ_DATA_ROOTS":     tempDir(t),
		"EZ_REPLICA_ID":     "replica-a",
	}

	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"serve", "--http", "127.0.0.1:0"}, func(k string) string { return env[k] }, &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "schema is behind")
	require.Contains(t, stderr.String(), "--migrate")

	serve := start(t, []string{"serve", "--http", "127.0.0.1:0", "--migrate"}, env)
	base := serve.waitFor(t, regexp.MustCompile(`serving on (http://\S+) \(replica replica-a\)`))[1]
	serve.waitFor(t, regexp.MustCompile(`(?m)^ready$`))
	status, body := get(t, base+"/readyz")
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, 0, serve.stop(t))
}

// The printed command to add a replica names the binary as it was run:
// `make run` runs bin/ezplatform, which is not on PATH.
func TestCommandPath(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	require.NoError(t, err)
	for arg0, want := range map[string]string{
		"bin/ezplatform":            filepath.Join(wd, "bin", "ezplatform"),
		"./bin/ezplatform":          filepath.Join(wd, "bin", "ezplatform"),
		"../ez/bin/ezplatform":      filepath.Join(filepath.Dir(wd), "ez", "bin", "ezplatform"),
		"/usr/local/bin/ezplatform": "/usr/local/bin/ezplatform",
		"ezplatform":                "ezplatform", // found on PATH
		"":                          "ezplatform",
	} {
		require.Equal(t, want, commandPath(arg0), "os.Args[0] = %q", arg0)
	}
}

func TestServeConfigErrors(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"serve"}, func(string) string { return "" }, &stdout, &stderr)
	require.Equal(t, 2, code)
	for _, v := range []string{"EZ_DATABASE_URL", "EZ_ETCD_ENDPOINTS", "EZ_DATA_ROOTS"} {
		require.Contains(t, stderr.String(), v)
	}

	stderr.Reset()
	env := map[string]string{"EZ_DATABASE_URL": "postgres://x@127.0.0.1:1/x", "EZ_ETCD_ENDPOINTS": "http://127.0.0.1:1", "EZ_DATA_ROOTS": "/no/such/root"}
	code = run(t.Context(), []string{"serve"}, func(k string) string { return env[k] }, &stdout, &stderr)
	require.Equal(t, 2, code)
	require.Contains(t, stderr.String(), "EZ_DATA_ROOTS")

	stderr.Reset()
	require.Equal(t, 2, run(t.Context(), []string{"serve", "--bogus"}, func(string) string { return "" }, &stdout, &stderr))
	require.Equal(t, 2, run(t.Context(), []string{"frobnicate"}, func(string) string { return "" }, &stdout, &stderr))
	require.Contains(t, stderr.String(), `unknown command "frobnicate"`)
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewEmptyDatabase(t)
	env := func(k string) string {
		if k == "EZ_DATABASE_URL" {
			return dbURL
		}
		return ""
	}
	migrate := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), append([]string{"migrate"}, args...), env, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	code, out, _ := migrate("version")
	require.Equal(t, 0, code)
	require.Contains(t, out, "schema version 0 (clean)")
	code, out, _ = migrate("up")
	require.Equal(t, 0, code)
	require.Contains(t, out, fmt.Sprintf("schema version %d (clean); this binary knows up to %d", store.LatestVersion(), store.LatestVersion()))
	code, out, _ = migrate("down", "1")
	require.Equal(t, 0, code)
	code2, out2, _ := migrate("up")
	require.Equal(t, 0, code2)
	require.NotEqual(t, out, out2)
	code, _, _ = migrate("force", "3")
	require.Equal(t, 0, code)
	code, out, _ = migrate("version")
	require.Equal(t, 0, code)
	require.Contains(t, out, "schema version 3 (clean)")

	for _, bad := range [][]string{{}, {"sideways"}, {"down"}, {"down", "0"}, {"down", "x"}, {"force"}, {"up", "extra"}} {
		code, _, _ := migrate(bad...)
		require.Equal(t, 2, code, "args %v", bad)
	}
}

// tempDir is a t.TempDir that the unprivileged PostgreSQL user can enter.
func tempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
	return dir
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			out[k] = v
		}
	}
	require.NoError(t, sc.Err())
	return out
}
