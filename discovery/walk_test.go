package discovery

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testDir wraps a directory of the walk to make it behave as some file
// systems and races do: with hideTypes its listings give no entry types (as
// getdents does on file systems that do not keep them), and the entries
// named in gone vanish between the listing and the stat. onStat, if set, is
// called before every stat, from any goroutine.
type testDir struct {
	directory
	hideTypes bool
	gone      map[string]bool
	onStat    func()
}

func (d testDir) list(ctx context.Context) ([]dirEntry, error) {
	entries, err := d.directory.list(ctx)
	if d.hideTypes {
		for i := range entries {
			entries[i].typ, entries[i].typeKnown = 0, false
		}
	}
	return entries, err
}

func (d testDir) stat(e *dirEntry, buf *statBuf) error {
	if d.onStat != nil {
		d.onStat()
	}
	if d.gone[e.name] {
		return &fs.PathError{Op: "lstat", Path: e.name, Err: syscall.ENOENT}
	}
	return d.directory.stat(e, buf)
}

func (d testDir) openDir(name string) (directory, error) {
	sub, err := d.directory.openDir(name)
	if err != nil {
		return nil, err
	}
	return testDir{sub, d.hideTypes, d.gone, d.onStat}, nil
}

func scanThrough(t *testing.T, opts ScanOptions, wrap testDir) *ScanResult {
	t.Helper()
	res, err := scanThroughCtx(context.Background(), opts, wrap)
	require.NoError(t, err)
	return res
}

func scanThroughCtx(ctx context.Context, opts ScanOptions, wrap testDir) (*ScanResult, error) {
	return scan(ctx, opts, func(path string) (directory, error) {
		d, err := openTopDir(path)
		if err != nil {
			return nil, err
		}
		wrap.directory = d
		return wrap, nil
	})
}

// Without entry types in the listings, a scan stats every entry and finds
// the same as with them: files, unstable files, skipped symlinks and pipes,
// in a directory large enough for parallel stats, truncated or not.
func TestScanWithoutListedTypes(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	old, young := scanNow.Add(-time.Hour), scanNow.Add(-time.Millisecond)
	for i := range 3 * parallelMin {
		writeAged(t, filepath.Join(env.dir, "big", fmt.Sprintf("f%04d.csv", i)), "a\n1\n", old)
	}
	writeAged(t, filepath.Join(env.dir, "a.csv"), "a\n1\n", old)
	writeAged(t, filepath.Join(env.dir, "young.csv"), "a\n1\n", young)
	writeAged(t, filepath.Join(env.dir, "notes.txt"), "x", old)
	writeAged(t, filepath.Join(env.dir, "sub", "deep", "b.csv"), "a\n1\n", old)
	symlink(t, "..", filepath.Join(env.dir, "sub", "up"))
	symlink(t, "a.csv", filepath.Join(env.dir, "link.csv"))
	symlink(t, "self.csv", filepath.Join(env.dir, "self.csv"))
	require.NoError(t, syscall.Mkfifo(filepath.Join(env.dir, "pipe.csv"), 0o644))

	for _, max := range []int{0, 1, 2, parallelMin, 3*parallelMin + 2, 3*parallelMin + 3} {
		opts := env.opts(t, "**/*.csv", looks{})
		opts.MaxFiles = max
		want := mustScan(t, opts)
		got := scanThrough(t, opts, testDir{hideTypes: true})
		require.Equal(t, paths(want.Stable), paths(got.Stable), "MaxFiles %d", max)
		require.Equal(t, paths(want.Unstable), paths(got.Unstable), "MaxFiles %d", max)
		require.Equal(t, errPaths(want.Errors), errPaths(got.Errors), "MaxFiles %d", max)
		for i := range want.Errors {
			require.ErrorIs(t, got.Errors[i].Err, want.Errors[i].Err, "MaxFiles %d", max)
		}
		require.Equal(t, want.Truncated, got.Truncated, "MaxFiles %d", max)
		require.Equal(t, want.ResumeAfter, got.ResumeAfter, "MaxFiles %d", max)
		if max == 0 {
			require.Len(t, want.Stable, 3*parallelMin+2)
			require.Equal(t, []string{"young.csv"}, paths(want.Unstable))
			require.Equal(t, []string{"link.csv", "pipe.csv", "self.csv"}, errPaths(want.Errors))
		}
	}
}

// Files that vanish between the listing and the stat are passed over and
// do not count against MaxFiles: the scan still reports MaxFiles files,
// statting past the ones it expected to need.
func TestScanFilesGoneBeforeStat(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	const n = 2 * parallelMin
	for i := range n {
		writeAged(t, filepath.Join(env.dir, fmt.Sprintf("f%04d.csv", i)), "x", scanNow.Add(-time.Hour))
	}
	gone := map[string]bool{}
	for i := range 10 {
		gone[fmt.Sprintf("f%04d.csv", 3*i)] = true
	}
	opts := env.opts(t, "*.csv", looks{})
	opts.MaxFiles = parallelMin
	res := scanThrough(t, opts, testDir{gone: gone})
	require.Len(t, res.Stable, parallelMin)
	require.Empty(t, res.Errors, "a vanished file is not an error")
	require.True(t, res.Truncated)
	last := fmt.Sprintf("f%04d.csv", parallelMin+len(gone)-1)
	require.Equal(t, last, res.ResumeAfter)
	for _, f := range res.Stable {
		require.False(t, gone[f.RelPath], f.RelPath)
	}

	// With every file but the last gone, the one left is found.
	for i := range n - 1 {
		gone[fmt.Sprintf("f%04d.csv", i)] = true
	}
	res = scanThrough(t, opts, testDir{gone: gone})
	require.Equal(t, []string{fmt.Sprintf("f%04d.csv", n-1)}, paths(res.Stable))
	require.False(t, res.Truncated)
}

// Previous is called only once the walk is done, so that a caller can fetch
// the previous looks while the walk runs.
func TestScanAsksPreviousAfterTheWalk(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	for _, rel := range []string{"a.csv", "b/c.csv", "d/e/f.csv"} {
		writeAged(t, filepath.Join(env.dir, filepath.FromSlash(rel)), "x", scanNow.Add(-time.Hour))
	}
	var asked, statsAfter atomic.Int32
	opts := env.opts(t, "**/*.csv", looks{})
	opts.Previous = func(string) (int64, time.Time, bool) {
		asked.Add(1)
		return 0, time.Time{}, false
	}
	res := scanThrough(t, opts, testDir{onStat: func() {
		if asked.Load() > 0 {
			statsAfter.Add(1)
		}
	}})
	require.Len(t, res.Stable, 3)
	require.EqualValues(t, 3, asked.Load())
	require.Zero(t, statsAfter.Load(), "Previous was called before the walk was done")
}
