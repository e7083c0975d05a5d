package devstack

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestEtcdRestartKeepsData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "etcd")
	ctx := testContext(t)

	e, err := StartEtcd(ctx, dir)
	require.NoError(t, err)
	endpoints := e.Endpoints()
	require.Len(t, endpoints, 1)
	etcdPut(t, endpoints, "greeting", "hello")
	e.Close()
	e.Close() // idempotent
	// Close releases the ports.
	var ports etcdPorts
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(dir, etcdPortsFile))), &ports))
	require.True(t, portFree(ports.Client), "client port released")
	require.True(t, portFree(ports.Peer), "peer port released")

	e, err = StartEtcd(ctx, dir)
	require.NoError(t, err)
	require.Equal(t, endpoints, e.Endpoints())
	require.Equal(t, "hello", etcdGet(t, e.Endpoints(), "greeting"))
	e.Close()

	// Someone took both ports meanwhile: etcd moves and fixes its stored
	// peer URL.
	for _, port := range []int{ports.Client, ports.Peer} {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		require.NoError(t, err)
		defer l.Close()
	}
	e, err = StartEtcd(ctx, dir)
	require.NoError(t, err)
	defer e.Close()
	require.NotEqual(t, endpoints, e.Endpoints())
	require.Equal(t, "hello", etcdGet(t, e.Endpoints(), "greeting"))
	var moved etcdPorts
	require.NoError(t, json.Unmarshal([]byte(readFile(t, filepath.Join(dir, etcdPortsFile))), &moved))
	c := etcdClient(t, e.Endpoints())
	members, err := c.MemberList(ctx)
	require.NoError(t, err)
	require.Len(t, members.Members, 1)
	require.Equal(t, etcdName, members.Members[0].Name)
	require.Equal(t, []string{"http://127.0.0.1:" + strconv.Itoa(moved.Peer)}, members.Members[0].PeerURLs)

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	require.FileExists(t, filepath.Join(dir, etcdLogFile))
}

func etcdClient(t *testing.T, endpoints []string) *clientv3.Client {
	t.Helper()
	for _, ep := range endpoints {
		u, err := url.Parse(ep)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.1", u.Hostname())
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func etcdPut(t *testing.T, endpoints []string, key, value string) {
	t.Helper()
	_, err := etcdClient(t, endpoints).Put(testContext(t), key, value)
	require.NoError(t, err)
}

func etcdGet(t *testing.T, endpoints []string, key string) string {
	t.Helper()
	resp, err := etcdClient(t, endpoints).Get(testContext(t), key)
	require.NoError(t, err)
	require.Len(t, resp.Kvs, 1)
	return string(resp.Kvs[0].Value)
}
