package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/syncbuf"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

// clusterTTL is the replica's session TTL in TestEtcdClusterQuorum: short,
// so that the test is quick, with room for a loaded machine.
const clusterTTL = 3 * time.Second

// Three `ezplatform etcd` processes form a cluster that a replica (`ezplatform
// serve`, another process) leads through. Killing two members loses the
// quorum: within the session TTL the leader stops planning, so no run of a
// 1-second datasource is planned from one TTL past that (a margin for a
// loaded machine) until a member comes back; then planning resumes.
func TestEtcdClusterQuorum(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := tempDir(t)
	dbURL := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := pgxpool.New(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(db.Close)

	members := newEtcdCluster(t, bin, filepath.Join(dir, "etcd"), "m1", "m2", "m3")
	for _, m := range members {
		m.start(t)
	}
	for _, m := range members {
		m.proc.waitOutput(t, regexp.MustCompile(`etcd member `+m.name+` ready`))
	}

	inbox := filepath.Join(dir, "inbox")
	require.NoError(t, os.MkdirAll(filepath.Join(inbox, "quorum"), 0o755))
	replica := startProcess(t, bin, []string{
		"EZ_DATABASE_URL=" + dbURL,
		"EZ_ETCD_ENDPOINTS=" + etcdEndpoints(members),
		"EZ_DATA_ROOTS=" + inbox,
		"EZ_REPLICA_ID=replica-1",
		"EZ_SESSION_TTL=" + clusterTTL.String(),
	}, "serve", "--http", "127.0.0.1:0")
	replica.waitOutput(t, regexp.MustCompile(`(?m)^ready$`))
	// Straight into the store: the planner learns of it as of any write.
	_, err = store.New(db).DataSourceCreate(ctx, &store.DataSourceCreateParams{
		Name: "quorum", Path: filepath.Join(inbox, "quorum"), FilePattern: "*.csv", Enabled: true,
		Schedule: store.Schedule{Interval: time.Second, Anchor: scheduler.DefaultAnchor, Timezone: "UTC",
			MisfirePolicy: scheduler.MisfireFireOnce, OverlapPolicy: scheduler.OverlapSkip},
	})
	require.NoError(t, err)

	// runsSince counts the runs planned after at (a PostgreSQL time).
	runsSince := func(at time.Time) int {
		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM runs WHERE created_at > $1`, at).Scan(&n))
		return n
	}
	dbNow := func() time.Time {
		var now time.Time
		require.NoError(t, db.QueryRow(ctx, `SELECT now()`).Scan(&now))
		return now
	}
	start := dbNow()
	require.Eventually(t, func() bool { return runsSince(start) >= 3 }, 45*time.Second, 200*time.Millisecond,
		"the leader plans the 1-second datasource\n%s", replica.out)

	// Two of three members down: no quorum. Within a TTL the leader's
	// session ends; a second TTL is the margin for a loaded machine.
	members[0].kill(t)
	members[1].kill(t)
	lost := dbNow()
	quietFrom := lost.Add(2 * clusterTTL)
	// Watch three slots' worth past the margin.
	require.Eventually(t, func() bool { return dbNow().After(quietFrom.Add(3 * time.Second)) }, time.Minute, 200*time.Millisecond)
	require.Zero(t, runsSince(quietFrom), "runs planned while etcd had no quorum\n%s", replica.out)
	var last time.Time
	require.NoError(t, db.QueryRow(ctx, `SELECT max(created_at) FROM runs`).Scan(&last))
	t.Logf("the last run before the quorum came back was planned %v after it was lost (TTL %v)", last.Sub(lost).Round(100*time.Millisecond), clusterTTL)
	require.Eventually(t, func() bool { return strings.Contains(replica.out.String(), "leadership lost") }, 30*time.Second, 100*time.Millisecond,
		"the replica says why it stopped\n%s", replica.out)

	// One member back: a quorum again, and planning resumes.
	members[1].start(t)
	members[1].proc.waitOutput(t, regexp.MustCompile(`etcd member m2 ready`))
	back := dbNow()
	require.Eventually(t, func() bool { return runsSince(back) >= 2 }, 45*time.Second, 200*time.Millisecond,
		"planning resumes once a quorum is back\n%s", replica.out)
	t.Logf("planning resumed %v after the member came back", dbNow().Sub(back).Round(100*time.Millisecond))
}

// Bad flags are refused before anything starts, each problem named.
func TestEtcdRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"nothing", nil, []string{"needs a name", "needs a data directory", "needs a client URL", "needs a peer URL", "initial cluster is empty"}},
		{"not a URL", []string{"--name", "m1", "--data-dir", "d", "--client-url", "127.0.0.1:2381", "--peer-url", "http://127.0.0.1:2382", "--initial-cluster", "m1=http://127.0.0.1:2382"},
			[]string{`client URL "127.0.0.1:2381" must look like http://127.0.0.1:2381`}},
		{"a host name", []string{"--name", "m1", "--data-dir", "d", "--client-url", "http://localhost:2381", "--peer-url", "http://127.0.0.1:2382", "--initial-cluster", "m1=http://127.0.0.1:2382"},
			[]string{"must name an IP address"}},
		{"not in the cluster", []string{"--name", "m4", "--data-dir", "d", "--client-url", "http://127.0.0.1:2381", "--peer-url", "http://127.0.0.1:2382", "--initial-cluster", "m1=http://127.0.0.1:2382"},
			[]string{`has no member named "m4"`}},
		{"another peer URL", []string{"--name", "m1", "--data-dir", "d", "--client-url", "http://127.0.0.1:2381", "--peer-url", "http://127.0.0.1:2382", "--initial-cluster", "m1=http://127.0.0.1:2384"},
			[]string{`gives member "m1" the peer URL http://127.0.0.1:2384`}},
		{"same ports", []string{"--name", "m1", "--data-dir", "d", "--client-url", "http://127.0.0.1:2382", "--peer-url", "http://127.0.0.1:2382", "--initial-cluster", "m1=http://127.0.0.1:2382"},
			[]string{"need ports of their own"}},
		{"extra argument", []string{"--name", "m1", "extra"}, []string{`unexpected argument "extra"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr syncbuf.Buffer
			code := run(context.Background(), append([]string{"etcd"}, tc.args...), func(string) string { return "" }, &stdout, &stderr)
			require.Equal(t, 2, code)
			for _, want := range tc.want {
				require.Contains(t, stderr.String(), want)
			}
			require.Empty(t, stdout.String())
		})
	}
}

// --no-etcd is for a stack without a replica only.
func TestDevNoEtcdNeedsStackOnly(t *testing.T) {
	t.Parallel()
	var stdout, stderr syncbuf.Buffer
	code := run(context.Background(), []string{"dev", "--no-etcd", "--data-dir", t.TempDir()}, func(string) string { return "" }, &stdout, &stderr)
	require.Equal(t, 2, code)
	require.Contains(t, stderr.String(), "--no-etcd needs --stack-only")
}

// buildBinary builds ezplatform into a directory of t's.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ezplatform")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)
	return bin
}

// process is a child process of the test, SIGKILLed when the test ends if
// it still runs.
type process struct {
	cmd  *exec.Cmd
	out  *syncbuf.Buffer // stdout and stderr
	done chan struct{}   // closed once it exited
}

func startProcess(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), out: &syncbuf.Buffer{}, done: make(chan struct{})}
	// Only what the process is given: no EZ_* of the test's environment.
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(t)
		if t.Failed() {
			t.Logf("output of %v:\n%s", p.cmd.Args, p.out)
		}
	})
	return p
}

// kill SIGKILLs the process (no clean shutdown) and waits for it.
func (p *process) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		t.Errorf("%v did not exit on SIGKILL", p.cmd.Args)
	}
}

// waitOutput waits until the output matches re and returns the match; it
// fails as soon as the process exits without printing it.
func (p *process) waitOutput(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		if m := re.FindStringSubmatch(p.out.String()); m != nil {
			return m
		}
		select {
		case <-p.done:
			t.Fatalf("%v exited before printing %s:\n%s", p.cmd.Args, re, p.out)
		case <-deadline:
			t.Fatalf("%v did not print %s within 2 minutes:\n%s", p.cmd.Args, re, p.out)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// etcdMember is one `ezplatform etcd` of a test cluster, restartable on
// the same ports and data.
type etcdMember struct {
	name   string
	bin    string
	args   []string
	client string
	proc   *process // the latest start
}

// newEtcdCluster describes a cluster of the named members on free ports
// of 127.0.0.1, their data under dir; nothing starts yet.
func newEtcdCluster(t *testing.T, bin, dir string, names ...string) []*etcdMember {
	t.Helper()
	members := make([]*etcdMember, len(names))
	peers := make([]string, len(names))
	for i, name := range names {
		client, peer := "http://"+freeAddr(t), "http://"+freeAddr(t)
		peers[i] = name + "=" + peer
		members[i] = &etcdMember{name: name, bin: bin, client: client,
			args: []string{"etcd", "--name", name, "--data-dir", filepath.Join(dir, name), "--client-url", client, "--peer-url", peer}}
	}
	for _, m := range members {
		m.args = append(m.args, "--initial-cluster", strings.Join(peers, ","))
	}
	return members
}

func (m *etcdMember) start(t *testing.T) {
	t.Helper()
	m.proc = startProcess(t, m.bin, nil, m.args...)
}

func (m *etcdMember) kill(t *testing.T) {
	t.Helper()
	m.proc.kill(t)
}

func etcdEndpoints(members []*etcdMember) string {
	urls := make([]string, len(members))
	for i, m := range members {
		urls[i] = m.client
	}
	return strings.Join(urls, ",")
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}
