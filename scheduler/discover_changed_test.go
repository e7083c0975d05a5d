package scheduler

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/store"
)

// TestInspectNewFilesWaitsForAFileThatChanged: a file written to between
// the scan and its inspection is not recorded (its size and mtime would be
// the scan's, its hash and records the new bytes'): it becomes a look with
// the version the read saw, and is recorded once it stays so.
func TestInspectNewFilesWaitsForAFileThatChanged(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "inbox")
	require.NoError(t, os.Mkdir(dir, 0o755))
	file := filepath.Join(dir, "a.csv")
	require.NoError(t, os.WriteFile(file, []byte("h\n1\n"), 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(file, old, old))
	roots, err := discovery.NewRoots(base)
	require.NoError(t, err)
	pattern, err := discovery.CompilePattern("*.csv")
	require.NoError(t, err)
	ds := &store.DataSource{HashFiles: true}
	known := &store.FileHistory{Looks: map[string]store.FileVersion{}, Discovered: map[string]store.FileVersion{}}
	scan := func() *discovery.ScanResult {
		res, err := discovery.Scan(t.Context(), discovery.ScanOptions{Roots: roots, Dir: dir, Pattern: pattern, MinFileAge: time.Second,
			Previous: func(rel string) (int64, time.Time, bool) {
				v, ok := known.Looks[rel]
				return v.Size, v.ModTime, ok
			}})
		require.NoError(t, err)
		return res
	}

	res := scan()
	require.Len(t, res.Stable, 1)
	require.NoError(t, os.WriteFile(file, []byte("h\n1\n2\n"), 0o644)) // after the scan
	d := discoveryOf(res, known)
	require.NoError(t, inspectNewFiles(t.Context(), roots, ds, res, known, d))
	require.Empty(t, d.Files, "not recorded: it changed since the scan")
	require.Equal(t, int64(6), d.Looks["a.csv"].Size, "looked at as the read saw it")

	// The next runs: once it is old enough and unchanged, recorded as it is.
	known.Looks = d.Looks
	newer := time.Now().Add(-time.Minute)
	require.NoError(t, os.Chtimes(file, newer, newer))
	known.Looks["a.csv"] = store.FileVersion{Size: 6, ModTime: newer.Truncate(time.Microsecond)}
	res = scan()
	require.Len(t, res.Stable, 1)
	d = discoveryOf(res, known)
	require.NoError(t, inspectNewFiles(t.Context(), roots, ds, res, known, d))
	require.Len(t, d.Files, 1)
	require.Equal(t, int64(6), d.Files[0].Size)
	require.Equal(t, int64(2), *d.Files[0].RecordCount)
	require.Equal(t, []string{"a.csv"}, d.Settled)
}
