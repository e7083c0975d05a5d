//go:build chaos

package chaos

import (
	"context"
	"fmt"
	"net"
	"net/url"
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

	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/store"
)

// cluster is everything the harness runs: a private PostgreSQL, three etcd
// members and three replicas, each a process of its own on 127.0.0.1, and
// the proxies between the replicas and the servers.
type cluster struct {
	dir      string // the work directory: logs, etcd data, inbox
	bin      string
	ttl      time.Duration
	token    string // the admin token (Authorization: Bearer)
	pg       *devstack.Postgres
	pgOpts   devstack.PostgresOptions
	dbURL    string
	db       *pgxpool.Pool
	members  []*proc
	replicas []*replica
	inbox    string
}

// replica is one `ezplatform serve`. It reaches PostgreSQL and each etcd
// member through proxies of its own, which scenario 5 breaks.
type replica struct {
	*proc
	id          string
	addr        string // host:port
	pgProxy     *proxy
	etcdProxies []*proxy
}

// proxies are all of r's proxies.
func (r *replica) proxies() []*proxy { return append([]*proxy{r.pgProxy}, r.etcdProxies...) }

func (r *replica) url() string { return "http://" + r.addr }

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

// binary builds bin/ezplatform, or returns BIN when set.
func binary(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("BIN"); bin != "" {
		abs, err := filepath.Abs(filepath.Join(repoRoot(t), bin))
		if filepath.IsAbs(bin) {
			abs, err = bin, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(abs); err != nil {
			t.Fatalf("BIN=%s: %v", bin, err)
		}
		return abs
	}
	root := repoRoot(t)
	bin := filepath.Join(root, "bin", "ezplatform")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./cmd/ezplatform")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startCluster starts everything, and registers its stop (replicas first,
// then etcd, then PostgreSQL) with t.Cleanup.
func startCluster(t *testing.T, ctx context.Context, dir string, ttl time.Duration) *cluster {
	t.Helper()
	c := &cluster{dir: dir, bin: binary(t), ttl: ttl, inbox: filepath.Join(dir, "inbox")}
	for _, d := range []string{"logs", "inbox"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}

	// PostgreSQL runs as an unprivileged user when we are root: its
	// parent directories must be searchable.
	// No fsync (the machine does not crash here), but synchronous commit:
	// scenario 3 kills the server, and a commit it acknowledged must
	// survive that, as on a production server. Commit times date the
	// planner's decisions (checkSlots).
	c.pgOpts = devstack.PostgresOptions{DataDir: filepath.Join(dir, "postgres"), Ephemeral: true,
		Settings: map[string]string{"synchronous_commit": "on", "track_commit_timestamp": "on"}}
	pg, err := devstack.StartPostgres(ctx, c.pgOpts)
	if err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	c.pg = pg
	t.Cleanup(func() { _ = c.pg.Stop(context.Background()) })
	c.dbURL = pg.URL("postgres")
	m, err := store.NewMigrator(c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	_ = m.Close()
	c.db, err = pgxpool.New(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.db.Close)

	// etcd: started together, ready once a quorum runs.
	names := []string{"m1", "m2", "m3"}
	clients, peers := make([]string, 3), make([]string, 3)
	for i, n := range names {
		clients[i], peers[i] = "http://"+freeAddr(t), "http://"+freeAddr(t)
		peers[i] = n + "=" + peers[i]
	}
	initial := strings.Join(peers, ",")
	for i, n := range names {
		p := newProc(t, n, c.bin, filepath.Join(dir, "logs", "etcd-"+n+".log"), nil,
			"etcd", "--name", n, "--data-dir", filepath.Join(dir, "etcd", n),
			"--client-url", clients[i], "--peer-url", strings.TrimPrefix(peers[i], n+"="),
			"--initial-cluster", initial)
		c.members = append(c.members, p)
	}
	for _, p := range c.members {
		p.start(t)
	}
	for _, p := range c.members {
		p.waitLog(t, 0, regexp.MustCompile(`etcd member `+p.name+` ready`), 2*time.Minute)
	}

	// The admin token, seeded through EZ_BOOTSTRAP_TOKEN_FILE.
	out, err := exec.Command(c.bin, "token", "generate").Output()
	if err != nil {
		t.Fatalf("ezplatform token generate: %v", err)
	}
	c.token = strings.TrimSpace(string(out))
	tokenFile := filepath.Join(dir, "admin-token")
	if err := os.WriteFile(tokenFile, []byte(c.token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("replica-%d", i)
		addr := freeAddr(t)
		pgURL, err := url.Parse(c.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		pgProxy := startProxy(t, id+" to PostgreSQL", pgURL.Host)
		pgURL.Host = pgProxy.addr()
		var etcdProxies []*proxy
		var endpoints []string
		for j, client := range clients {
			p := startProxy(t, id+" to etcd "+names[j], strings.TrimPrefix(client, "http://"))
			etcdProxies = append(etcdProxies, p)
			endpoints = append(endpoints, "http://"+p.addr())
		}
		env := []string{
			"EZ_DATABASE_URL=" + pgURL.String(),
			"EZ_ETCD_ENDPOINTS=" + strings.Join(endpoints, ","),
			"EZ_DATA_ROOTS=" + c.inbox,
			"EZ_REPLICA_ID=" + id,
			"EZ_SESSION_TTL=" + ttl.String(),
			"EZ_BOOTSTRAP_TOKEN_FILE=" + tokenFile,
		}
		r := &replica{proc: newProc(t, id, c.bin, filepath.Join(dir, "logs", id+".log"), env, "serve", "--http", addr), id: id, addr: addr,
			pgProxy: pgProxy, etcdProxies: etcdProxies}
		c.replicas = append(c.replicas, r)
	}
	// One at a time: the first creates the bootstrap token.
	for _, r := range c.replicas {
		c.startReplica(t, r)
	}
	// Replicas stop before etcd (cleanups run last in, first out), so that
	// a leader resigns while etcd runs.
	t.Cleanup(func() {
		for _, r := range c.replicas {
			_ = r.signal(syscall.SIGTERM)
		}
		for _, r := range c.replicas {
			r.stop()
		}
	})
	return c
}

// startReplica (re)starts r and waits until it is ready.
func (c *cluster) startReplica(t *testing.T, r *replica) {
	t.Helper()
	from := logSize(r.log)
	r.start(t)
	r.waitLog(t, from, regexp.MustCompile(`(?m)^ready$`), 2*time.Minute)
}

func (c *cluster) replicaByID(id string) *replica {
	for _, r := range c.replicas {
		if r.id == id {
			return r
		}
	}
	return nil
}

// liveReplicas are those running now.
func (c *cluster) liveReplicas() []*replica {
	var live []*replica
	for _, r := range c.replicas {
		if r.running() {
			live = append(live, r)
		}
	}
	return live
}

// startMember restarts an etcd member on its data and ports.
func (c *cluster) startMember(t *testing.T, m *proc) {
	t.Helper()
	from := logSize(m.log)
	m.start(t)
	m.waitLog(t, from, regexp.MustCompile(`etcd member `+m.name+` ready`), 2*time.Minute)
}
