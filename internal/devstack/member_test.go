package devstack

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

// Three members in one process form a cluster: a write through one is read
// through another, and a member that stops and starts again keeps its data
// and catches up on what it missed.
func TestMemberCluster(t *testing.T) {
	t.Parallel()
	members, opts := startCluster(t, "a", "b", "c")
	etcdPut(t, members[0].Endpoints(), "k", "v1")
	require.Equal(t, "v1", etcdGet(t, members[1].Endpoints(), "k"))

	members[2].Close()
	etcdPut(t, members[0].Endpoints(), "k", "v2") // two of three: still a quorum
	var err error
	members[2], err = StartMember(testContext(t), opts[2])
	require.NoError(t, err)
	require.Eventually(t, func() bool { return etcdGet(t, members[2].Endpoints(), "k") == "v2" }, 30*time.Second, 100*time.Millisecond)
}

// A lone member of a three-member cluster never becomes ready: StartMember
// waits for a quorum until its context ends.
func TestMemberWaitsForQuorum(t *testing.T) {
	t.Parallel()
	opts := clusterOptions(t, t.TempDir(), "a", "b", "c")
	ctx, cancel := context.WithTimeout(testContext(t), 3*time.Second)
	defer cancel()
	_, err := StartMember(ctx, opts[0])
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.ErrorContains(t, err, "starting etcd member a")
}

func TestMemberOptionsCheck(t *testing.T) {
	t.Parallel()
	good := MemberOptions{Name: "a", Dir: "d", ClientURL: "http://127.0.0.1:2381", PeerURL: "http://127.0.0.1:2382",
		InitialCluster: "a=http://127.0.0.1:2382,b=http://127.0.0.1:2384"}
	require.NoError(t, good.Check())
	for _, tc := range []struct {
		name string
		edit func(*MemberOptions)
		want string
	}{
		{"https", func(o *MemberOptions) { o.ClientURL = "https://127.0.0.1:2381" }, `client URL "https://127.0.0.1:2381" must look like`},
		{"no port", func(o *MemberOptions) { o.PeerURL = "http://127.0.0.1" }, `peer URL "http://127.0.0.1" must look like`},
		{"a path", func(o *MemberOptions) { o.ClientURL = "http://127.0.0.1:2381/etcd" }, "must look like"},
		{"entry without =", func(o *MemberOptions) { o.InitialCluster = "a=http://127.0.0.1:2382,b" }, `entry "b" must be name=`},
		{"member twice", func(o *MemberOptions) { o.InitialCluster = "a=http://127.0.0.1:2382,a=http://127.0.0.1:2384" }, `names member "a" twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := good
			tc.edit(&o)
			require.ErrorContains(t, o.Check(), tc.want)
		})
	}
}

// With NoEtcd the stack is PostgreSQL alone, and stack.env says nothing
// about etcd: the caller runs its own.
func TestStackNoEtcd(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(tempDir(t), ".ezplatform")
	var log syncbuf.Buffer
	s, err := Start(testContext(t), Options{DataDir: dataDir, Log: &log, NoEtcd: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Stop(ctx)
	})
	require.Nil(t, s.Etcd)
	require.Empty(t, s.EtcdEndpoints)
	require.Equal(t, 1, queryInt(t, s.DatabaseURL, "SELECT 1"))
	require.Equal(t, "EZ_DATABASE_URL="+s.DatabaseURL+"\n", readFile(t, filepath.Join(dataDir, EnvFileName)))
	require.NoDirExists(t, filepath.Join(dataDir, "etcd"))
	require.NotContains(t, log.String(), "etcd")
	require.NoError(t, s.Stop(testContext(t)))
}

// startCluster starts a cluster of the named members, each in its own
// goroutine (each blocks until a quorum runs), and closes them when the test
// ends. The free ports it picks may be taken by another process before the
// members bind them: then it tries again with others, in a new directory.
func startCluster(t *testing.T, names ...string) ([]*Etcd, []MemberOptions) {
	t.Helper()
	for try := 1; ; try++ {
		opts := clusterOptions(t, t.TempDir(), names...)
		members := make([]*Etcd, len(opts))
		errs := make(chan error, len(opts))
		for i := range opts {
			go func() {
				var err error
				members[i], err = StartMember(testContext(t), opts[i])
				errs <- err
			}()
		}
		var failed error
		for range opts {
			if err := <-errs; err != nil && failed == nil {
				failed = err
			}
		}
		// Every StartMember has returned: close what started, before the
		// directory goes.
		t.Cleanup(func() {
			for _, m := range members {
				if m != nil {
					m.Close()
				}
			}
		})
		if failed == nil {
			return members, opts
		}
		if !strings.Contains(failed.Error(), "address already in use") || try == 3 {
			require.NoError(t, failed)
		}
		for _, m := range members {
			if m != nil {
				m.Close()
			}
		}
	}
}

// clusterOptions describes a cluster of the named members on free ports,
// their data under dir.
func clusterOptions(t *testing.T, dir string, names ...string) []MemberOptions {
	t.Helper()
	opts := make([]MemberOptions, len(names))
	peers := make([]string, len(names))
	for i, name := range names {
		client, err := freePort()
		require.NoError(t, err)
		peer, err := freePort()
		require.NoError(t, err)
		opts[i] = MemberOptions{Name: name, Dir: filepath.Join(dir, name),
			ClientURL: "http://127.0.0.1:" + strconv.Itoa(client), PeerURL: "http://127.0.0.1:" + strconv.Itoa(peer),
			ClusterToken: "test-" + filepath.Base(dir)}
		peers[i] = name + "=" + opts[i].PeerURL
	}
	for i := range opts {
		opts[i].InitialCluster = strings.Join(peers, ",")
	}
	return opts
}
