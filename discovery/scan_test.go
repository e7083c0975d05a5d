package discovery

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// scanNow is the instant every scan test runs at; file mtimes are set
// relative to it with os.Chtimes, so no test sleeps.
var scanNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// looks is the caller's memory of previous scans, as the job keeps it in the
// database.
type looks map[string]FileInfo

func (l looks) previous(rel string) (int64, time.Time, bool) {
	f, ok := l[rel]
	return f.Size, f.ModTime, ok
}

// remember records every file res reports, as the caller does after a scan.
func (l looks) remember(res *ScanResult) {
	for _, f := range slices.Concat(res.Stable, res.Unstable) {
		l[f.RelPath] = f
	}
}

func writeAged(t *testing.T, path string, content string, mtime time.Time) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

func appendAged(t *testing.T, path string, content string, mtime time.Time) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString(content)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Chtimes(path, mtime, mtime))
}

// scanEnv is a data root with a datasource directory in it.
type scanEnv struct {
	root, dir string
	roots     Roots
}

func newScanEnv(t *testing.T) scanEnv {
	t.Helper()
	root := filepath.Join(tempDir(t), "root")
	dir := filepath.Join(root, "ds")
	mkdirs(t, dir)
	return scanEnv{root: root, dir: dir, roots: mustRoots(t, root)}
}

func (e scanEnv) opts(t *testing.T, pattern string, prev looks) ScanOptions {
	t.Helper()
	return ScanOptions{
		Roots:    e.roots,
		Dir:      e.dir,
		Pattern:  mustCompile(t, pattern),
		Previous: prev.previous,
		Now:      func() time.Time { return scanNow },
	}
}

func mustScan(t *testing.T, opts ScanOptions) *ScanResult {
	t.Helper()
	res, err := Scan(context.Background(), opts)
	require.NoError(t, err)
	return res
}

func paths(files []FileInfo) []string {
	out := []string{}
	for _, f := range files {
		out = append(out, f.RelPath)
	}
	return out
}

// requireFiles compares file lists, times with time.Time.Equal: the time
// zone of a ModTime is the local one.
func requireFiles(t *testing.T, want, got []FileInfo) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i].RelPath, got[i].RelPath)
		require.Equal(t, want[i].Size, got[i].Size, want[i].RelPath)
		require.True(t, want[i].ModTime.Equal(got[i].ModTime), "%s: ModTime %v, want %v", want[i].RelPath, got[i].ModTime, want[i].ModTime)
	}
}

func errPaths(errs []FileError) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, e.RelPath)
	}
	return out
}

// seedCSV is a header and n records of about 210 bytes, with quoted fields.
func seedCSV(n int) string {
	var b strings.Builder
	b.WriteString("id,name,comment,amount\n")
	for i := range n {
		fmt.Fprintf(&b, "%d,\"customer %d\",\"%s\",%d.%02d\n", i, i, strings.Repeat("x", 180), i, i%100)
	}
	return b.String()
}

func TestScanSeedCSV(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	content := seedCSV(100)
	require.InDelta(t, 21_000, len(content), 1_000)
	path := filepath.Join(env.dir, "sales.csv")
	writeAged(t, path, content, scanNow.Add(-time.Minute))

	res := mustScan(t, env.opts(t, "*.csv", looks{}))
	requireFiles(t, []FileInfo{{RelPath: "sales.csv", Size: int64(len(content)), ModTime: scanNow.Add(-time.Minute)}}, res.Stable)
	require.Empty(t, res.Unstable)
	require.Empty(t, res.Errors)
	require.False(t, res.Truncated)

	md, err := InspectFile(context.Background(), path, true)
	require.NoError(t, err)
	require.Equal(t, FormatCSV, md.Format)
	require.EqualValues(t, 100, md.Records)
	require.Empty(t, md.ParseError)
	require.Len(t, md.SHA256, 64)
}

func TestScanStability(t *testing.T) {
	t.Parallel()
	old := scanNow.Add(-time.Hour)
	prev := looks{
		"same.csv":    {Size: 1, ModTime: old},
		"grown.csv":   {Size: 0, ModTime: old},
		"touched.csv": {Size: 1, ModTime: old.Add(-time.Second)},
		// Stored in PostgreSQL: nanoseconds truncated to microseconds.
		"stored.csv": {Size: 1, ModTime: old.Add(123456 * time.Nanosecond).Truncate(time.Microsecond)},
		"young.csv":  {Size: 1, ModTime: scanNow},
	}
	files := map[string]time.Time{
		"same.csv":    old,
		"grown.csv":   old,
		"touched.csv": old,
		"stored.csv":  old.Add(123456 * time.Nanosecond),
		"young.csv":   scanNow,
		"new-old.csv": old,
		"new-2s.csv":  scanNow.Add(-DefaultMinFileAge),
		"new-1s.csv":  scanNow.Add(-time.Second),
		"future.csv":  scanNow.Add(time.Hour),
	}
	env := newScanEnv(t)
	for name, mtime := range files {
		writeAged(t, filepath.Join(env.dir, name), "x", mtime)
	}

	res := mustScan(t, env.opts(t, "*.csv", prev))
	require.Equal(t, []string{"new-2s.csv", "new-old.csv", "same.csv", "stored.csv"}, paths(res.Stable))
	require.Equal(t, []string{"future.csv", "grown.csv", "new-1s.csv", "touched.csv", "young.csv"}, paths(res.Unstable))

	// Without an age condition only an identical previous look counts.
	opts := env.opts(t, "*.csv", prev)
	opts.MinFileAge = NoMinFileAge
	res = mustScan(t, opts)
	require.Equal(t, []string{"same.csv", "stored.csv", "young.csv"}, paths(res.Stable))

	// Without Previous, age alone decides.
	opts = env.opts(t, "*.csv", nil)
	opts.Previous = nil
	opts.MinFileAge = 30 * time.Minute
	res = mustScan(t, opts)
	require.Equal(t, []string{"grown.csv", "new-old.csv", "same.csv", "stored.csv", "touched.csv"}, paths(res.Stable))
}

// A file written in steps is unstable until a scan sees it unchanged, even
// once its mtime is old enough.
func TestScanSlowWriter(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	path := filepath.Join(env.dir, "slow.csv")
	prev := looks{}
	scanAt := func(now time.Time) *ScanResult {
		opts := env.opts(t, "*.csv", prev)
		opts.Now = func() time.Time { return now }
		res := mustScan(t, opts)
		prev.remember(res)
		return res
	}

	writeAged(t, path, "a,b\n", scanNow.Add(-500*time.Millisecond))
	res := scanAt(scanNow)
	require.Equal(t, []string{"slow.csv"}, paths(res.Unstable), "too young")

	appendAged(t, path, "1,2\n", scanNow.Add(time.Second))
	res = scanAt(scanNow.Add(5 * time.Second))
	require.Equal(t, []string{"slow.csv"}, paths(res.Unstable), "old enough but changed since the last look")

	appendAged(t, path, "3,4\n", scanNow.Add(6*time.Second))
	res = scanAt(scanNow.Add(20 * time.Second))
	require.Equal(t, []string{"slow.csv"}, paths(res.Unstable), "changed again")

	res = scanAt(scanNow.Add(30 * time.Second))
	require.Equal(t, []string{"slow.csv"}, paths(res.Stable), "unchanged")
	require.EqualValues(t, 12, res.Stable[0].Size)
	require.Empty(t, res.Unstable)
}

func TestScanRenameRewriteDelete(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	prev := looks{}
	scan := func() *ScanResult {
		res := mustScan(t, env.opts(t, "*.csv", prev))
		prev.remember(res)
		return res
	}
	a, b := filepath.Join(env.dir, "a.csv"), filepath.Join(env.dir, "b.csv")
	writeAged(t, a, "h\n1\n", scanNow.Add(-time.Hour))
	require.Equal(t, []string{"a.csv"}, paths(scan().Stable))

	// A rename keeps the mtime: the new name is old enough at first sight.
	require.NoError(t, os.Rename(a, b))
	res := scan()
	require.Equal(t, []string{"b.csv"}, paths(res.Stable))
	require.Empty(t, res.Unstable)

	// A rewrite is reported again, with the new size and mtime, once stable.
	writeAged(t, b, "h\n1\n2\n", scanNow.Add(-time.Minute))
	res = scan()
	require.Equal(t, []string{"b.csv"}, paths(res.Unstable))
	res = scan()
	requireFiles(t, []FileInfo{{RelPath: "b.csv", Size: 6, ModTime: scanNow.Add(-time.Minute)}}, res.Stable)

	require.NoError(t, os.Remove(b))
	res = scan()
	require.Empty(t, res.Stable)
	require.Empty(t, res.Unstable)
}

func TestScanNestedAndPruned(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	old := scanNow.Add(-time.Hour)
	for _, rel := range []string{
		"top.csv", "top.txt",
		"2026/01/a.csv", "2026/01/b.json", "2026/02/deep/c.csv",
		"archive/old.csv",
		"with space/a b.csv",
		"caf\xe9/\xff\xfe.csv", // not UTF-8
	} {
		writeAged(t, filepath.Join(env.dir, filepath.FromSlash(rel)), "x", old)
	}
	all := []string{"2026/01/a.csv", "2026/02/deep/c.csv", "archive/old.csv", "caf\xe9/\xff\xfe.csv", "top.csv", "with space/a b.csv"}
	require.Equal(t, all, paths(mustScan(t, env.opts(t, "**/*.csv", looks{})).Stable))
	require.Equal(t, []string{"2026/01/a.csv", "2026/01/b.json"}, paths(mustScan(t, env.opts(t, "2026/*/*", looks{})).Stable))
	require.Equal(t, []string{"with space/a b.csv"}, paths(mustScan(t, env.opts(t, "with space/*", looks{})).Stable))

	// "2026/**" must not enter "archive": make it unreadable to the scan by
	// replacing it with something that fails if opened as a directory.
	require.NoError(t, os.RemoveAll(filepath.Join(env.dir, "archive")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(env.dir, "archive"), 0o644))
	res := mustScan(t, env.opts(t, "2026/**", looks{}))
	require.Equal(t, []string{"2026/01/a.csv", "2026/01/b.json", "2026/02/deep/c.csv"}, paths(res.Stable))
	require.Empty(t, res.Errors)
}

func TestScanSymlinks(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	old := scanNow.Add(-time.Hour)
	outside := filepath.Join(filepath.Dir(env.root), "outside")
	writeAged(t, filepath.Join(outside, "secret.csv"), "x", old)
	writeAged(t, filepath.Join(env.dir, "sub", "real.csv"), "x", old)
	symlink(t, ".", filepath.Join(env.dir, "sub", "self"))
	symlink(t, "..", filepath.Join(env.dir, "sub", "up"))
	symlink(t, "loop2", filepath.Join(env.dir, "loop1"))
	symlink(t, "loop1", filepath.Join(env.dir, "loop2"))
	symlink(t, outside, filepath.Join(env.dir, "out"))
	symlink(t, "sub/real.csv", filepath.Join(env.dir, "link.csv"))
	symlink(t, "nowhere.csv", filepath.Join(env.dir, "dangling.csv"))

	res := mustScan(t, env.opts(t, "**", looks{}))
	require.Equal(t, []string{"sub/real.csv"}, paths(res.Stable))
	require.Empty(t, res.Unstable)
	require.Equal(t, []string{"dangling.csv", "link.csv", "loop1", "loop2", "out", "sub/self", "sub/up"}, errPaths(res.Errors))
	for _, e := range res.Errors {
		require.ErrorIs(t, e.Err, ErrSymlinkSkipped)
	}

	// Dir may itself be a symlink to a directory inside the roots; paths
	// stay relative to it.
	link := filepath.Join(env.root, "ds-link")
	symlink(t, "ds/sub", link)
	opts := env.opts(t, "*.csv", looks{})
	opts.Dir = link
	require.Equal(t, []string{"real.csv"}, paths(mustScan(t, opts).Stable))

	// ... but not to one outside.
	opts.Dir = filepath.Join(env.dir, "out")
	_, err := Scan(context.Background(), opts)
	require.ErrorIs(t, err, ErrOutsideRoots)
}

func TestScanSkipsNonRegularFiles(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	require.NoError(t, syscall.Mkfifo(filepath.Join(env.dir, "pipe.csv"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(env.dir, "pipe.txt"), 0o644))
	res := mustScan(t, env.opts(t, "*.csv", looks{}))
	require.Empty(t, res.Stable)
	require.Equal(t, []string{"pipe.csv"}, errPaths(res.Errors))
	require.ErrorIs(t, res.Errors[0].Err, ErrNotRegularFile)

	// Opening it must not block.
	_, err := InspectFile(context.Background(), filepath.Join(env.dir, "pipe.csv"), false)
	require.ErrorIs(t, err, ErrNotRegularFile)
}

func TestScanDirErrors(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	writeAged(t, filepath.Join(env.root, "file"), "x", scanNow)
	for _, tt := range []struct {
		dir  string
		want error
	}{
		{filepath.Join(env.root, "gone"), ErrPathNotFound},
		{filepath.Join(env.root, "file"), ErrNotDirectory},
		{filepath.Dir(env.root), ErrOutsideRoots},
		{"relative", ErrPathNotAbsolute},
	} {
		opts := env.opts(t, "*", looks{})
		opts.Dir = tt.dir
		res, err := Scan(context.Background(), opts)
		require.ErrorIs(t, err, tt.want, tt.dir)
		require.Contains(t, err.Error(), quote(tt.dir))
		require.Nil(t, res)
	}
	opts := env.opts(t, "*", looks{})
	opts.Pattern = nil
	_, err := Scan(context.Background(), opts)
	require.Error(t, err)

	// A removed directory is reported as such, not as an empty one.
	require.NoError(t, os.Remove(env.dir))
	_, err = Scan(context.Background(), env.opts(t, "*", looks{}))
	require.ErrorIs(t, err, ErrPathNotFound)
}

func TestScanMaxFilesAndResume(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	var want []string
	for _, rel := range []string{"a/1.csv", "a/2.csv", "a-b.csv", "b/c/3.csv", "b/c/4.csv", "b/d.csv", "c.csv"} {
		writeAged(t, filepath.Join(env.dir, filepath.FromSlash(rel)), "x", scanNow.Add(-time.Hour))
		want = append(want, rel)
	}
	require.True(t, slices.IsSortedFunc(want, func(a, b string) int {
		if pathLess(a, b) {
			return -1
		}
		return 1
	}))

	opts := env.opts(t, "**/*.csv", looks{})
	require.Equal(t, want, paths(mustScan(t, opts).Stable), "walk order")

	for _, max := range []int{1, 2, 3, 6} {
		opts.MaxFiles, opts.StartAfter = max, ""
		var got []string
		for range 10 {
			res := mustScan(t, opts)
			require.LessOrEqual(t, len(res.Stable), max)
			got = append(got, paths(res.Stable)...)
			if !res.Truncated {
				require.Empty(t, res.ResumeAfter)
				break
			}
			require.Equal(t, got[len(got)-1], res.ResumeAfter)
			opts.StartAfter = res.ResumeAfter
		}
		require.Equal(t, want, got, "MaxFiles %d", max)
	}

	// Exactly MaxFiles files: not truncated.
	opts.MaxFiles, opts.StartAfter = len(want), ""
	res := mustScan(t, opts)
	require.False(t, res.Truncated)
	require.Len(t, res.Stable, len(want))
}

func TestPathLess(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		less bool
	}{
		{"a", "b", true},
		{"a", "a", false},
		{"a", "a/b", true},
		{"a/b", "a-c", true},
		{"a-c", "a/b", false},
		{"a/z", "ab", true},
		{"a\xff", "b", true},
	} {
		require.Equal(t, tt.less, pathLess(tt.a, tt.b), "%q < %q", tt.a, tt.b)
	}
}

func TestScanCancel(t *testing.T) {
	t.Parallel()
	env := newScanEnv(t)
	for d := range 4 {
		for f := range 300 {
			writeAged(t, filepath.Join(env.dir, fmt.Sprint(d), fmt.Sprintf("%03d.csv", f)), "x", scanNow.Add(-time.Hour))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := env.opts(t, "**", looks{})
	var stats atomic.Int32
	onStat := func() { // cancel as the walk goes
		if stats.Add(1) == 100 {
			cancel()
		}
	}
	res, err := scanThroughCtx(ctx, opts, testDir{onStat: onStat})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	require.GreaterOrEqual(t, len(res.Stable), 100)
	require.Less(t, len(res.Stable), 1200)
	require.False(t, res.Truncated)

	res, err = Scan(ctx, opts) // already cancelled
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, len(res.Stable), 1200)
}

func TestFileErrorMessage(t *testing.T) {
	t.Parallel()
	e := FileError{RelPath: "a b/c", Err: fs.ErrPermission}
	require.Equal(t, `"a b/c": permission denied`, e.Error())
	require.True(t, errors.Is(e.Err, fs.ErrPermission))
}
