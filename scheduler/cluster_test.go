package scheduler

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/store"
)

// Replicas in these tests use the minimum TTL, so that failovers are quick.
const testTTL = MinSessionTTL

// childEnv makes the test binary run one replica (runChild) instead of the
// tests, so that tests can SIGKILL a real process.
const childEnv = "EZ_SCHEDULER_TEST_CHILD"

func runChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pool, err := pgxpool.New(ctx, os.Getenv("EZ_TEST_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	client, err := clientv3.New(clientv3.Config{Endpoints: strings.Split(os.Getenv("EZ_TEST_ETCD"), ","), Logger: zap.NewNop()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer client.Close()
	sched, err := New(Config{
		Store: store.New(pool), Etcd: client, ReplicaID: os.Getenv("EZ_TEST_REPLICA"), Address: "child",
		Work: noWork, SessionTTL: testTTL, KeyPrefix: os.Getenv("EZ_TEST_PREFIX"), Logger: quietLogger(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("READY")
	if err := sched.Run(ctx, 5*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// cluster is a set of replicas, each a child process, sharing a database
// and an etcd key prefix.
type cluster struct {
	t        testing.TB
	b        *testBundle
	prefix   string
	etcd     *clientv3.Client
	mu       sync.Mutex
	children map[string]*exec.Cmd
}

func newCluster(t testing.TB, b *testBundle) *cluster {
	c := &cluster{t: t, b: b, prefix: etcdtest.Prefix(), etcd: etcdtest.Client(t), children: map[string]*exec.Cmd{}}
	t.Cleanup(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, cmd := range c.children {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c
}

func (c *cluster) start(id string) {
	c.t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", "EZ_TEST_DB="+c.b.dbURL,
		"EZ_TEST_ETCD="+strings.Join(etcdtest.Endpoints(c.t), ","), "EZ_TEST_PREFIX="+c.prefix, "EZ_TEST_REPLICA="+id)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(c.t, err)
	require.NoError(c.t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(c.t, err)
	require.Equal(c.t, "READY\n", line)
	c.mu.Lock()
	c.children[id] = cmd
	c.mu.Unlock()
}

func (c *cluster) kill(id string) {
	c.t.Helper()
	c.mu.Lock()
	cmd := c.children[id]
	delete(c.children, id)
	c.mu.Unlock()
	require.NoError(c.t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
}

func (c *cluster) stopAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, cmd := range c.children {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		delete(c.children, id)
	}
}

// leader returns the replica that etcd has elected and that has recorded
// its epoch in PostgreSQL, or "".
func (c *cluster) leader() (string, int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	m, epoch, ok, err := leaderMember(ctx, c.etcd, c.prefix+"/leader")
	if err != nil || !ok {
		return "", 0
	}
	recorded, err := c.b.store.LeaderGet(ctx)
	if err != nil || recorded.Epoch != epoch {
		return "", 0
	}
	return m.ReplicaID, epoch
}

func (c *cluster) waitLeader(notID string, notEpoch int64) (string, int64) {
	c.t.Helper()
	var id string
	var epoch int64
	eventually(c.t, "a new leader", func() bool {
		id, epoch = c.leader()
		return id != "" && id != notID && epoch > notEpoch
	})
	return id, epoch
}

// Killing the leader's process (SIGKILL: no resignation) hands over within
// the session TTL plus one second.
func TestLeaderKillHandsOver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCluster(t, b)
	c.start("a")
	leader, epoch := c.waitLeader("", 0)
	require.Equal(t, "a", leader)
	c.start("b")

	c.kill("a")
	killed := time.Now()
	next, nextEpoch := c.waitLeader("a", epoch)
	handover := time.Since(killed)
	require.Equal(t, "b", next)
	require.Greater(t, nextEpoch, epoch)
	t.Logf("SIGKILL handover took %s (TTL %s)", handover, testTTL)
	require.LessOrEqual(t, handover, testTTL+time.Second, "handover within TTL + 1 s")
}

// I1 and I3 across at least 20 leader kills: 1-second schedules under each
// misfire policy keep exactly one row per slot, and the rows tile time.
func TestLeaderKillLoopAccountsForEverySlot(t *testing.T) {
	if testing.Short() {
		t.Skip("about a minute of failovers")
	}
	t.Parallel()
	b := setup(t)
	var dss []*store.DataSource
	for _, policy := range []string{MisfireFireOnce, MisfireSkip, MisfireFireAll} {
		dss = append(dss, b.createInterval(t, "kill-loop-"+policy, time.Second, func(p *store.DataSourceCreateParams) {
			p.Schedule.MisfirePolicy = policy
			p.Schedule.OverlapPolicy = OverlapAllow
		}))
	}
	c := newCluster(t, b)
	for _, id := range []string{"r1", "r2", "r3"} {
		c.start(id)
	}
	leader, epoch := c.waitLeader("", 0)
	const kills = 20
	for i := range kills {
		// Kill each leader once it has planned, at whatever point of its
		// next plan it then is; killed sooner, no leader would plan at all.
		eventually(t, "the leader plans", func() bool {
			var planned bool
			err := b.store.Pool().QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM runs WHERE epoch = $1)`, epoch).Scan(&planned)
			return err == nil && planned
		})
		c.kill(leader)
		c.start(leader) // back as a follower
		next, nextEpoch := c.waitLeader(leader, epoch)
		t.Logf("kill %d: %s (epoch %d) -> %s (epoch %d)", i+1, leader, epoch, next, nextEpoch)
		leader, epoch = next, nextEpoch
	}
	c.stopAll()

	var dup int
	require.NoError(t, b.store.Pool().QueryRow(t.Context(),
		`SELECT count(*) FROM (SELECT 1 FROM runs GROUP BY datasource_id, scheduled_for HAVING count(*) > 1) d`).Scan(&dup))
	require.Zero(t, dup, "duplicate (datasource, slot) runs")
	for _, ds := range dss {
		runs := b.runs(t, ds.ID)
		slots := requireTiled(t, runs, time.Second)
		t.Logf("%s: %d rows account for %d slots", ds.Name, len(runs), slots)
		require.Greater(t, slots, kills, "the schedule kept running")
	}
}
