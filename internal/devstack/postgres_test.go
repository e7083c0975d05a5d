package devstack

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/syncbuf"
)

func TestPostgresRestartKeepsPortPasswordAndData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	var log syncbuf.Buffer
	p := startPostgres(t, dir, &log)
	require.Contains(t, log.String(), "initializing PostgreSQL cluster in "+dir)

	u, err := url.Parse(p.URL("postgres"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(p.Port()), u.Host)
	require.Equal(t, postgresSuperuser, u.User.Username())
	require.Equal(t, 1, queryInt(t, p.URL("postgres"), "SELECT 1"))
	require.Equal(t, 200, queryInt(t, p.URL("postgres"), "SELECT current_setting('max_connections')::int"))
	execSQL(t, p.URL("postgres"), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")

	// The password is on disk for us only.
	fi, err := os.Stat(filepath.Join(dir, stateFileName))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	uid, _ := ownerOf(fi)
	runAs, err := postgresOSUser()
	require.NoError(t, err)
	require.Equal(t, runAs.uid, uid)

	require.NoError(t, p.Stop(testContext(t)))
	require.NoError(t, p.Stop(testContext(t)), "second Stop")
	require.NoFileExists(t, filepath.Join(dir, "postmaster.pid"))

	log = syncbuf.Buffer{}
	p2 := startPostgres(t, dir, &log)
	require.NotContains(t, log.String(), "initializing")
	require.Equal(t, p.Port(), p2.Port())
	require.Equal(t, p.URL("postgres"), p2.URL("postgres"))
	require.Equal(t, 42, queryInt(t, p2.URL("postgres"), "SELECT n FROM kept"))
	require.Contains(t, readFile(t, dir+".log"), "database system is ready to accept connections")
}

func TestPostgresStalePidFile(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	var log syncbuf.Buffer
	p := startPostgres(t, dir, &log)
	// CHECKPOINT: an Ephemeral cluster (synchronous_commit=off) may lose
	// the latest commits in a crash.
	execSQL(t, p.URL("postgres"), "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)")
	execSQL(t, p.URL("postgres"), "CHECKPOINT")

	// A crash of our process: the postmaster dies by SIGKILL and leaves
	// postmaster.pid (and, briefly, its backends) behind.
	pid := p.cmd.Process.Pid
	require.NoError(t, p.cmd.Process.Kill())
	<-p.done
	require.FileExists(t, filepath.Join(dir, "postmaster.pid"))

	log = syncbuf.Buffer{}
	p = startPostgres(t, dir, &log)
	require.Contains(t, log.String(), "recovered from a stale postmaster.pid (pid "+strconv.Itoa(pid)+" is not running)")
	require.Equal(t, 7, queryInt(t, p.URL("postgres"), "SELECT n FROM kept"))
	require.NoError(t, p.Stop(testContext(t)))

	// A PID that no longer exists.
	done := exec.Command("true")
	require.NoError(t, done.Run())
	writePid(t, dir, done.Process.Pid)
	log = syncbuf.Buffer{}
	p = startPostgres(t, dir, &log)
	require.Contains(t, log.String(), "recovered from a stale postmaster.pid (pid "+strconv.Itoa(done.Process.Pid)+" is not running)")
	require.NoError(t, p.Stop(testContext(t)))

	// A PID reused by a process that is not PostgreSQL; postgres itself
	// would refuse to start here.
	writePid(t, dir, os.Getpid())
	log = syncbuf.Buffer{}
	p = startPostgres(t, dir, &log)
	require.Contains(t, log.String(), "recovered from a stale postmaster.pid (pid "+strconv.Itoa(os.Getpid())+" is ")
	require.Contains(t, log.String(), "not PostgreSQL")
	require.Equal(t, 7, queryInt(t, p.URL("postgres"), "SELECT n FROM kept"))
	require.NoError(t, p.Stop(testContext(t)))

	// A server that cannot start: the error shows its log.
	f, err := os.OpenFile(filepath.Join(dir, "postgresql.auto.conf"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("no_such_setting_for_the_test = 1\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	_, err = StartPostgres(testContext(t), PostgresOptions{DataDir: dir, Ephemeral: true})
	require.ErrorContains(t, err, "PostgreSQL exited during startup")
	require.ErrorContains(t, err, "no_such_setting_for_the_test")
}

func TestPostgresKilledWithBusyBackend(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	p := startPostgres(t, dir, &syncbuf.Buffer{})

	// A backend busy with a long query notices the death of its postmaster
	// only when the query ends; until then a new server cannot start.
	ctx := testContext(t)
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	require.NoError(t, err)
	queryDone := make(chan error, 1)
	go func() {
		_, err := conn.Exec(ctx, "SELECT count(*) FROM generate_series(1, 1e9::bigint) a, generate_series(1, 100) b")
		queryDone <- err
	}()
	admin, err := pgx.Connect(ctx, p.URL("postgres"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		var n int
		err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM generate_series%' AND state = 'active'").Scan(&n)
		return err == nil && n == 1
	}, time.Minute, 20*time.Millisecond)
	require.NoError(t, admin.Close(ctx))
	require.NoError(t, p.cmd.Process.Kill())
	<-p.done

	var log syncbuf.Buffer
	p = startPostgres(t, dir, &log)
	require.Contains(t, log.String(), "recovered from a stale postmaster.pid")
	require.Contains(t, log.String(), "leftover PostgreSQL processes")
	require.Equal(t, 1, queryInt(t, p.URL("postgres"), "SELECT 1"))
	require.Error(t, <-queryDone, "the busy backend was killed")
	_ = conn.Close(ctx)
}

func TestPostgresStopsOrphanedServer(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	first := startPostgres(t, dir, &syncbuf.Buffer{})

	// The first server is never stopped, as if its owner had died without
	// Pdeathsig taking effect; a new start must take over.
	var log syncbuf.Buffer
	second := startPostgres(t, dir, &log)
	require.Contains(t, log.String(), "PostgreSQL (pid "+strconv.Itoa(first.cmd.Process.Pid)+") left running by an earlier run is still serving "+dir+"; stopping it")
	select {
	case <-first.done:
	default:
		t.Fatal("the first server still runs")
	}
	require.NoError(t, first.Stop(testContext(t)), "it shut down cleanly")
	require.Equal(t, first.Port(), second.Port())
	require.Equal(t, 1, queryInt(t, second.URL("postgres"), "SELECT 1"))
}

func TestPostgresParentNotSearchable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root switches users")
	}
	t.Parallel()
	parent := t.TempDir()
	require.NoError(t, os.Chmod(parent, 0o700))
	_, err := StartPostgres(context.Background(), PostgresOptions{DataDir: filepath.Join(parent, "pg")})
	require.ErrorContains(t, err, "cannot enter "+parent)
	require.NoDirExists(t, filepath.Join(parent, "pg"))
}

func TestPostgresRejectsForeignDirectory(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(tempDir(t), "pg")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "important.txt"), []byte("x"), 0o644))
	_, err := StartPostgres(context.Background(), PostgresOptions{DataDir: dir})
	require.ErrorContains(t, err, "is not empty")
	require.FileExists(t, filepath.Join(dir, "important.txt"))
}

// writePid writes a postmaster.pid claiming pid for dir.
func writePid(t *testing.T, dir string, pid int) {
	t.Helper()
	content := strconv.Itoa(pid) + "\n" + dir + "\n1700000000\n5432\n\n127.0.0.1\n  1234567   0\nready   \n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte(content), 0o600))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
