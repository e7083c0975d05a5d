// Package etcdtest gives tests a real etcd: one embedded single-member
// server per test binary (internal/devstack), shared by the tests, each of
// which takes a key prefix of its own.
package etcdtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ezplatform/ezplatform/internal/devstack"
)

var (
	once      sync.Once
	server    *devstack.Etcd
	dir       string
	serverErr error
)

// Endpoints starts the shared etcd if needed and returns its endpoints.
func Endpoints(t testing.TB) []string {
	t.Helper()
	once.Do(func() {
		dir, serverErr = os.MkdirTemp("", "ezplatform-etcdtest-")
		if serverErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		server, serverErr = devstack.StartEtcd(ctx, filepath.Join(dir, "etcd"))
		if serverErr != nil {
			_ = os.RemoveAll(dir)
		}
	})
	if serverErr != nil {
		t.Fatalf("etcdtest: %v", serverErr)
	}
	return server.Endpoints()
}

// Client returns a client of the shared etcd, closed when t ends.
func Client(t testing.TB) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: Endpoints(t), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("etcdtest: client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test uses.
func Prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "/test-" + hex.EncodeToString(b)
}

// Stop stops the shared etcd, if it was started, and removes its data (its
// WAL alone preallocates 64 MB). Every TestMain of a package whose tests call
// Endpoints or Client calls it after m.Run:
//
//	func TestMain(m *testing.M) {
//		code := pgtest.Run(m)
//		etcdtest.Stop()
//		os.Exit(code)
//	}
func Stop() {
	if server != nil {
		server.Close()
	}
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			fmt.Fprintf(os.Stderr, "etcdtest: removing %s: %v\n", dir, err)
		}
	}
}
