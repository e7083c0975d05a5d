package scheduler

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/store"
)

// writeTransactions writes the seed file: a header and n records of about
// 210 bytes, with an mtime of age ago.
func writeTransactions(t *testing.T, path string, n int, age time.Duration) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,customer,amount,currency,booked_at,description\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d,customer-%04d,%d.%02d,EUR,2026-11-%02dT10:00:00Z,\"%s\"\n", i, i, i*7, i%100, 1+i%28, strings.Repeat("x", 158))
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	mtime := time.Now().Add(-age)
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

func discoveredFiles(t *testing.T, b *testBundle, dsID fmt.Stringer) []store.DiscoveredFile {
	t.Helper()
	rows, err := b.store.Pool().Query(t.Context(), `
		SELECT path_bytes, size, format, record_count, coalesce(parse_error, '') FROM discovered_files
		WHERE datasource_id = $1 ORDER BY id`, dsID.String())
	require.NoError(t, err)
	var out []store.DiscoveredFile
	for rows.Next() {
		var (
			f    store.DiscoveredFile
			path []byte
		)
		require.NoError(t, rows.Scan(&path, &f.Size, &f.Format, &f.RecordCount, &f.ParseError))
		f.Path = string(path)
		out = append(out, f)
	}
	require.NoError(t, rows.Err())
	return out
}

// The seed scenario: a 100-record CSV copied into a watched directory is
// discovered within a slot, once, with 100 records, and never again.
func TestDiscoverySeedScenario(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root := t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	incoming := filepath.Join(root, "transactions")
	require.NoError(t, os.MkdirAll(incoming, 0o755))
	ds := b.createInterval(t, "transactions", time.Second, func(p *store.DataSourceCreateParams) {
		p.Path, p.FilePattern = incoming, "**/*.csv"
	})
	startReplica(t, b, etcdtest.Prefix(), "discoverer", DiscoveryWork(roots, b.store))

	writeTransactions(t, filepath.Join(incoming, "customer-transactions-100.csv"), 100, time.Minute)
	require.NoError(t, os.WriteFile(filepath.Join(incoming, "notes.txt"), []byte("not matched"), 0o644))
	eventually(t, "the file to be discovered", func() bool { return len(discoveredFiles(t, b, ds.ID)) == 1 })
	files := discoveredFiles(t, b, ds.ID)
	require.Equal(t, "customer-transactions-100.csv", files[0].Path)
	require.Equal(t, "CSV", files[0].Format)
	require.EqualValues(t, 100, *files[0].RecordCount)
	require.Greater(t, files[0].Size, int64(20_000))

	// Three more runs find nothing new and record nothing.
	var discoveredIn int64
	require.NoError(t, b.store.Pool().QueryRow(t.Context(), `SELECT run_id FROM discovered_files WHERE datasource_id = $1`, ds.ID).Scan(&discoveredIn))
	eventually(t, "three more successful runs", func() bool {
		n := 0
		for _, r := range b.runs(t, ds.ID) {
			if r.ID > discoveredIn && r.Status == store.RunSucceeded {
				n++
			}
		}
		return n >= 3
	})
	require.Len(t, discoveredFiles(t, b, ds.ID), 1, "never discovered twice")
	run, err := b.store.RunGetByID(t.Context(), discoveredIn)
	require.NoError(t, err)
	require.Equal(t, 1, run.FilesFound)
	require.EqualValues(t, 100, run.RecordsFound)
	require.Equal(t, files[0].Size, run.BytesFound)
}

// Runs driven by hand, so that each step is deterministic: a file written
// slowly is discovered once, only when complete; a rewrite is a new version;
// a rescan writes nothing.
func TestDiscoveryStepByStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root := t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	dir := filepath.Join(root, "drop")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "2026", "11"), 0o755))
	age := time.Second
	ds := b.createInterval(t, "steps", time.Hour, func(p *store.DataSourceCreateParams) {
		p.Path, p.FilePattern, p.MinFileAge = dir, "**/*.{csv,jsonl}", &age
	})
	work := DiscoveryWork(roots, b.store)

	runOnce := func() *store.FileDiscoveryTotals {
		t.Helper()
		ds, err := b.store.DataSourceGetByID(t.Context(), ds.ID)
		require.NoError(t, err)
		res, err := work.Run(t.Context(), ds, &store.Run{})
		require.NoError(t, err)
		var totals *store.FileDiscoveryTotals
		require.NoError(t, b.store.InTx(t.Context(), func(tx *store.Tx) error {
			totals, err = tx.FilesRecord(t.Context(), ds.ID, 1, res.Discovery)
			return err
		}))
		return totals
	}
	slow := filepath.Join(dir, "2026", "11", "slow file.csv")
	old := time.Now().Add(-time.Minute)

	// Being written: young, then old but changed since the last look.
	require.NoError(t, os.WriteFile(slow, []byte("a,b\n1,2\n"), 0o644))
	require.Zero(t, runOnce().Files, "too young")
	require.NoError(t, os.WriteFile(slow, []byte("a,b\n1,2\n3,4\n"), 0o644))
	require.NoError(t, os.Chtimes(slow, old, old))
	require.Zero(t, runOnce().Files, "changed since the previous look")
	totals := runOnce()
	require.Equal(t, 1, totals.Files, "unchanged and old enough: complete")
	require.EqualValues(t, 2, totals.Records)
	require.Zero(t, runOnce().Files, "a rescan finds nothing new")

	var looks int
	require.NoError(t, b.store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM file_looks`).Scan(&looks))
	require.Zero(t, looks, "no look is kept for a settled file")

	// A rewrite with a new size is a new version, once stable.
	require.NoError(t, os.WriteFile(slow, []byte("a,b\n1,2\n3,4\n5,6\n"), 0o644))
	require.NoError(t, os.Chtimes(slow, old.Add(time.Second), old.Add(time.Second)))
	require.Zero(t, runOnce().Files)
	require.Equal(t, 1, runOnce().Files)

	// A rename is a new path, so a new version; a deleted file is simply
	// not seen again.
	renamed := filepath.Join(dir, "2026", "11", "renamed.csv")
	require.NoError(t, os.Rename(slow, renamed))
	require.Equal(t, 1, runOnce().Files)
	require.NoError(t, os.Remove(renamed))
	require.Zero(t, runOnce().Files)

	// Non-UTF-8 names, JSON Lines, and a malformed file that is recorded
	// with its parse error.
	odd := filepath.Join(dir, "caf\xe9.jsonl")
	require.NoError(t, os.WriteFile(odd, []byte("{\"a\":1}\n{\"a\":2}\n"), 0o644))
	broken := filepath.Join(dir, "broken.csv")
	require.NoError(t, os.WriteFile(broken, []byte("a,b\n1,\"unterminated\n"), 0o644))
	for _, p := range []string{odd, broken} {
		require.NoError(t, os.Chtimes(p, old, old))
	}
	require.Equal(t, 2, runOnce().Files)

	files := discoveredFiles(t, b, ds.ID)
	require.Len(t, files, 5)
	byPath := map[string]store.DiscoveredFile{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	require.Equal(t, "JSONL", byPath["caf\xe9.jsonl"].Format)
	require.EqualValues(t, 2, *byPath["caf\xe9.jsonl"].RecordCount)
	require.NotEmpty(t, byPath["broken.csv"].ParseError)

	// A directory that is gone fails the run with a clear error.
	require.NoError(t, os.RemoveAll(dir))
	got, err := b.store.DataSourceGetByID(t.Context(), ds.ID)
	require.NoError(t, err)
	_, err = work.Run(t.Context(), got, &store.Run{})
	require.ErrorIs(t, err, discovery.ErrPathNotFound)
}

// A directory with more files than a run may handle is covered over
// several runs: each resumes where the previous stopped.
func TestDiscoveryResumesAfterMaxFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root := t.TempDir()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	old := time.Now().Add(-time.Minute)
	for i := range 7 {
		p := filepath.Join(root, fmt.Sprintf("f%d.csv", i))
		require.NoError(t, os.WriteFile(p, []byte("h\n1\n"), 0o644))
		require.NoError(t, os.Chtimes(p, old, old))
	}
	ds := b.createInterval(t, "many", time.Hour, func(p *store.DataSourceCreateParams) {
		p.Path, p.FilePattern, p.MaxFilesPerRun = root, "*.csv", 3
	})
	work := DiscoveryWork(roots, b.store)
	var counts []int
	for range 4 {
		res, err := work.Run(t.Context(), ds, &store.Run{})
		require.NoError(t, err)
		require.NoError(t, b.store.InTx(t.Context(), func(tx *store.Tx) error {
			totals, err := tx.FilesRecord(t.Context(), ds.ID, 1, res.Discovery)
			counts = append(counts, totals.Files)
			return err
		}))
	}
	require.Equal(t, []int{3, 3, 1, 0}, counts)
	require.Len(t, discoveredFiles(t, b, ds.ID), 7)
}

// The path is checked again at run time: a directory replaced by a symlink
// out of the roots (absolute or relative) fails the run, discovering nothing.
func TestDiscoveryRefusesEscapeAtRunTime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root, outside := t.TempDir(), t.TempDir()
	writeTransactions(t, filepath.Join(outside, "secret.csv"), 3, time.Minute)
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	work := DiscoveryWork(roots, b.store)
	for name, target := range map[string]string{
		"absolute": outside,
		"relative": func() string { rel, err := filepath.Rel(root, outside); require.NoError(t, err); return rel }(),
	} {
		dir := filepath.Join(root, name)
		require.NoError(t, os.Mkdir(dir, 0o755))
		ds := b.createInterval(t, "escape-"+name, time.Hour, func(p *store.DataSourceCreateParams) {
			p.Path, p.FilePattern = dir, "*.csv"
		})
		require.NoError(t, os.Remove(dir))
		require.NoError(t, os.Symlink(target, dir))
		_, err := work.Run(t.Context(), ds, &store.Run{})
		require.ErrorIs(t, err, discovery.ErrOutsideRoots, name)
		require.Empty(t, discoveredFiles(t, b, ds.ID))
	}
}
