package devstack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

func TestStack(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(tempDir(t), ".ezplatform")
	var log syncbuf.Buffer
	s := startStack(t, dataDir, &log)
	require.Equal(t, dataDir, s.DataDir)
	require.Equal(t, 1, queryInt(t, s.DatabaseURL, "SELECT 1"))
	require.Equal(t, 1, queryInt(t, s.DatabaseURL, "SELECT count(*) FROM pg_database WHERE datname = current_database() AND datname = 'ezplatform'"))
	execSQL(t, s.DatabaseURL, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (1)")
	etcdPut(t, s.EtcdEndpoints, "k", "v")

	fi, err := os.Stat(s.InboxDir)
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.Equal(t, filepath.Join(dataDir, "inbox"), s.InboxDir)

	envPath := filepath.Join(dataDir, EnvFileName)
	fi, err = os.Stat(envPath)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	env := readFile(t, envPath)
	require.Equal(t, "EZ_DATABASE_URL="+s.DatabaseURL+"\nEZ_ETCD_ENDPOINTS="+strings.Join(s.EtcdEndpoints, ",")+"\n", env)
	require.NotContains(t, env, " ")
	require.NotContains(t, env, `"`)
	require.NotContains(t, env, "'")
	require.FileExists(t, filepath.Join(dataDir, "postgres.log"))

	require.NoError(t, s.Stop(testContext(t)))

	s2 := startStack(t, dataDir, &log)
	require.Equal(t, s.DatabaseURL, s2.DatabaseURL, "same port and password")
	require.Equal(t, s.EtcdEndpoints, s2.EtcdEndpoints)
	require.Equal(t, 1, queryInt(t, s2.DatabaseURL, "SELECT n FROM kept"))
	require.Equal(t, "v", etcdGet(t, s2.EtcdEndpoints, "k"))
	require.Equal(t, env, readFile(t, envPath))
	require.Equal(t, 1, strings.Count(log.String(), "initializing PostgreSQL cluster"))
	require.Equal(t, 1, strings.Count(log.String(), `created database "ezplatform"`))
}

func startStack(t *testing.T, dataDir string, log *syncbuf.Buffer) *Stack {
	t.Helper()
	s, err := Start(testContext(t), Options{DataDir: dataDir, Log: log})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Stop(ctx)
	})
	return s
}
