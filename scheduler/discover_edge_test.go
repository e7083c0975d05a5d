package scheduler

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/discovery/discoverytest"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/store"
)

// Run-level tests of what a datasource directory can hold besides plain
// files: unreadable files and directories, symlinks and symlink loops. Each
// goes through a real replica (River worker, PostgreSQL, etcd) and checks
// the run's status and error and the files recorded.

// startDiscoverer starts a replica whose runs do file discovery within roots,
// and returns a function that stops it (also called when t ends).
func startDiscoverer(t testing.TB, st *store.Store, etcd *clientv3.Client, prefix string, roots discovery.Roots) func() {
	t.Helper()
	_, stop := runReplica(t, Config{
		Store: st, Etcd: etcd, ReplicaID: "discoverer", Address: "http://discoverer", Work: DiscoveryWork(roots, st),
		SessionTTL: testTTL, KeyPrefix: prefix, Workers: 4, Logger: quietLogger(),
	})
	return stop
}

// finalRuns waits until the datasource has a run that ran to an end, and
// returns its final runs in slot order.
func finalRuns(t testing.TB, st *store.Store, dsID uuid.UUID) []*store.Run {
	t.Helper()
	b := &testBundle{store: st}
	var final []*store.Run
	// Runs that ran: on a loaded machine a 1-second slot can come due while
	// the previous run still works and be SKIPPED (overlap policy), which
	// says nothing about discovery.
	ran := func(r *store.Run) bool { return r.Status == store.RunSucceeded || r.Status == store.RunFailed }
	eventually(t, "a finished run", func() bool {
		final = slices.DeleteFunc(b.runs(t, dsID), func(r *store.Run) bool { return !ran(r) })
		return len(final) > 0
	})
	return final
}

func discoveredPaths(t *testing.T, b *testBundle, dsID uuid.UUID) []string {
	t.Helper()
	var paths []string
	for _, f := range discoveredFiles(t, b, dsID) {
		paths = append(paths, f.Path)
	}
	slices.Sort(paths)
	return paths
}

// Environment of TestDiscoveryRunSkipsUnreadable's run as nobody.
const (
	unreadableBaseEnv   = "EZ_DISCOVER_TEST_UNREADABLE_BASE"
	unreadableDBEnv     = "EZ_DISCOVER_TEST_UNREADABLE_DB"
	unreadableEtcdEnv   = "EZ_DISCOVER_TEST_UNREADABLE_ETCD"
	unreadablePrefixEnv = "EZ_DISCOVER_TEST_UNREADABLE_PREFIX"
	unreadableDSEnv     = "EZ_DISCOVER_TEST_UNREADABLE_DATASOURCE"
)

// An unreadable file and unreadable directories do not fail the run: the
// run succeeds with the readable files, records nothing for the others, and
// a later run, once they are readable, discovers them.
//
// Root reads everything, so when the tests run as root (as in CI) the
// replica that does the first run is the test binary again, as nobody.
func TestDiscoveryRunSkipsUnreadable(t *testing.T) {
	if base := os.Getenv(unreadableBaseEnv); base != "" {
		discoverUnreadableAsNobody(t, base, os.Environ())
		return
	}
	t.Parallel()
	b := setup(t)
	base := t.TempDir()
	root := filepath.Join(base, "root")
	dir := filepath.Join(root, "ds")
	for _, p := range []string{"ok.csv", "sub/ok.csv", "secret.csv", "locked/x.csv", "nosearch/y.csv"} {
		writeTransactions(t, filepath.Join(dir, p), 3, time.Minute)
	}
	unreadable := map[string]os.FileMode{
		filepath.Join(dir, "secret.csv"): 0,     // no read
		filepath.Join(dir, "locked"):     0,     // cannot be listed
		filepath.Join(dir, "nosearch"):   0o644, // listed, but its entries cannot be reached
	}
	for path, mode := range unreadable {
		require.NoError(t, os.Chmod(path, mode))
		t.Cleanup(func() { _ = os.Chmod(path, 0o755) }) // so that it can be removed
	}
	ds := b.createInterval(t, "unreadable", time.Second, func(p *store.DataSourceCreateParams) {
		p.Path, p.FilePattern, p.MaxAttempts = dir, "**/*.csv", 1
	})
	prefix := etcdtest.Prefix()
	env := []string{
		unreadableBaseEnv + "=" + base, unreadableDBEnv + "=" + b.dbURL, unreadablePrefixEnv + "=" + prefix,
		unreadableEtcdEnv + "=" + strings.Join(etcdtest.Endpoints(t), ","), unreadableDSEnv + "=" + ds.ID.String(),
	}
	if os.Geteuid() == 0 {
		discoverytest.RunAsNobody(t, base, "TestDiscoveryRunSkipsUnreadable", env...)
	} else {
		discoverUnreadableAsNobody(t, base, env)
	}

	runs := finalRuns(t, b.store, ds.ID)
	found := 0
	for _, r := range runs {
		require.Equal(t, store.RunSucceeded, r.Status, "run %d: %s", r.ID, r.Error)
		require.Empty(t, r.Error)
		found += r.FilesFound
	}
	require.Equal(t, 2, runs[0].FilesFound)
	require.Equal(t, 2, found, "later runs find nothing new")
	require.Equal(t, []string{"ok.csv", "sub/ok.csv"}, discoveredPaths(t, b, ds.ID))
	// Each run says what it skipped, and why.
	var skipped []string
	for _, e := range runs[0].Skipped {
		skipped = append(skipped, e.Path+": "+e.Reason)
	}
	require.ElementsMatch(t, []string{"locked: permission denied", "nosearch: permission denied",
		"secret.csv: permission denied"}, skipped)
	require.Equal(t, 3, runs[0].SkippedCount)

	// Readable again: the next runs find what was skipped.
	for path := range unreadable {
		require.NoError(t, os.Chmod(path, 0o755))
	}
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	startDiscoverer(t, b.store, etcdtest.Client(t), prefix, roots)
	eventually(t, "the skipped files to be discovered", func() bool { return len(discoveredFiles(t, b, ds.ID)) == 5 })
	require.Equal(t, []string{"locked/x.csv", "nosearch/y.csv", "ok.csv", "secret.csv", "sub/ok.csv"}, discoveredPaths(t, b, ds.ID))
}

// discoverUnreadableAsNobody is the first part of
// TestDiscoveryRunSkipsUnreadable, run by an unprivileged user: a replica
// that works until the datasource has finished a run. env holds the
// settings, as "NAME=value".
func discoverUnreadableAsNobody(t *testing.T, base string, env []string) {
	getenv := func(name string) string {
		for _, kv := range env {
			if k, v, _ := strings.Cut(kv, "="); k == name {
				return v
			}
		}
		return ""
	}
	pool, err := pgxpool.New(t.Context(), getenv(unreadableDBEnv))
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool)
	etcd, err := clientv3.New(clientv3.Config{
		Endpoints: strings.Split(getenv(unreadableEtcdEnv), ","), DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = etcd.Close() })
	roots, err := discovery.NewRoots(filepath.Join(base, "root"))
	require.NoError(t, err)
	dsID, err := uuid.Parse(getenv(unreadableDSEnv))
	require.NoError(t, err)

	// The permissions must hold for this user, or the test proves nothing.
	_, err = os.ReadFile(filepath.Join(base, "root", "ds", "secret.csv"))
	require.ErrorIs(t, err, os.ErrPermission)

	stop := startDiscoverer(t, st, etcd, getenv(unreadablePrefixEnv), roots)
	finalRuns(t, st, dsID)
	stop()
}

// The datasource directory may be a symlink: one that resolves inside the
// data roots is followed at run time, one that leads out of them (or
// nowhere) fails the run with an error that says why.
func TestDiscoveryRunDataSourceSymlink(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root, outside := t.TempDir(), t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	writeTransactions(t, filepath.Join(root, "incoming", "2026", "a.csv"), 3, time.Minute)
	writeTransactions(t, filepath.Join(outside, "secret.csv"), 3, time.Minute)
	current := filepath.Join(root, "current")
	require.NoError(t, os.Symlink(filepath.Join("incoming", "2026"), current))
	escape := filepath.Join(root, "escape")
	require.NoError(t, os.Symlink(outside, escape))
	loop := filepath.Join(root, "loop")
	require.NoError(t, os.Symlink("loop", loop))

	create := func(name, path string) *store.DataSource {
		return b.createInterval(t, name, time.Second, func(p *store.DataSourceCreateParams) {
			p.Path, p.FilePattern, p.MaxAttempts = path, "**/*.csv", 1
		})
	}
	inside, out, looping := create("inside", current), create("escape", escape), create("loop", loop)
	startDiscoverer(t, b.store, etcdtest.Client(t), etcdtest.Prefix(), roots)

	runs := finalRuns(t, b.store, inside.ID)
	require.Equal(t, store.RunSucceeded, runs[0].Status, runs[0].Error)
	require.Equal(t, 1, runs[0].FilesFound)
	files := discoveredFiles(t, b, inside.ID)
	require.Len(t, files, 1)
	require.Equal(t, "a.csv", files[0].Path)
	require.EqualValues(t, 3, *files[0].RecordCount, "read through the resolved directory")

	resolvedOutside, err := filepath.EvalSymlinks(outside)
	require.NoError(t, err)
	runs = finalRuns(t, b.store, out.ID)
	require.Equal(t, store.RunFailed, runs[0].Status)
	require.Contains(t, runs[0].Error, "outside the data roots")
	require.Contains(t, runs[0].Error, `"`+escape+`" resolves to "`+resolvedOutside+`"`)
	require.Empty(t, discoveredFiles(t, b, out.ID))

	runs = finalRuns(t, b.store, looping.ID)
	require.Equal(t, store.RunFailed, runs[0].Status)
	require.Contains(t, runs[0].Error, `"`+loop+`"`)
	require.Contains(t, runs[0].Error, "symlink loop")
	require.Empty(t, discoveredFiles(t, b, looping.ID))
}

// Symlinks below the datasource directory are never followed, so loops
// (to an ancestor, to each other, to themselves) cannot trap the run: it
// succeeds with the real files only, each once.
func TestDiscoveryRunSymlinkLoop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root := t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	dir := filepath.Join(root, "ds")
	for _, p := range []string{"a.csv", "sub/b.csv", "sub/deeper/c.csv"} {
		writeTransactions(t, filepath.Join(dir, p), 2, time.Minute)
	}
	for link, target := range map[string]string{
		"sub/up":              "..",        // to the parent
		"sub/deeper/loop":     "../../sub", // to an ancestor, relative
		"top":                 dir,         // to the datasource directory, absolute
		"self.csv":            "self.csv",  // to itself
		"ping.csv":            "pong.csv",  // to each other
		"pong.csv":            "ping.csv",
		"sub/deeper/link.csv": "../../a.csv", // to a real file: not discovered twice
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(dir, link)))
	}
	ds := b.createInterval(t, "loops", time.Second, func(p *store.DataSourceCreateParams) {
		p.Path, p.FilePattern, p.MaxAttempts = dir, "**/*.csv", 1
	})
	startDiscoverer(t, b.store, etcdtest.Client(t), etcdtest.Prefix(), roots)

	runs := finalRuns(t, b.store, ds.ID)
	require.Equal(t, store.RunSucceeded, runs[0].Status, runs[0].Error)
	require.Equal(t, 3, runs[0].FilesFound)
	require.EqualValues(t, 6, runs[0].RecordsFound)
	require.Equal(t, []string{"a.csv", "sub/b.csv", "sub/deeper/c.csv"}, discoveredPaths(t, b, ds.ID))

	// The run says what it skipped: the links that match the pattern.
	require.Equal(t, 4, runs[0].SkippedCount)
	require.ElementsMatch(t, []store.SkippedEntry{
		{Path: "ping.csv", Reason: "symbolic link (never followed)"},
		{Path: "pong.csv", Reason: "symbolic link (never followed)"},
		{Path: "self.csv", Reason: "symbolic link (never followed)"},
		{Path: "sub/deeper/link.csv", Reason: "symbolic link (never followed)"},
	}, runs[0].Skipped)
}
