package discovery

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery/discoverytest"
)

const scanPermHelperEnv = "DISCOVERY_TEST_SCAN_PERMISSION_DIR"

// TestScanPermissionDenied checks unreadable directories and files. Root
// reads everything, so when run as root the test runs its own binary again
// as nobody, as TestResolvePermissionDenied does.
func TestScanPermissionDenied(t *testing.T) {
	if dir := os.Getenv(scanPermHelperEnv); dir != "" {
		checkScanPermissionDenied(t, dir)
		return
	}
	base := tempDir(t)
	ds := filepath.Join(base, "root", "ds")
	old := scanNow.Add(-time.Hour)
	writeAged(t, filepath.Join(ds, "ok.csv"), "a\n1\n", old)
	writeAged(t, filepath.Join(ds, "secret.csv"), "a\n1\n", old)
	writeAged(t, filepath.Join(ds, "locked", "x.csv"), "a\n1\n", old)
	writeAged(t, filepath.Join(ds, "nosearch", "y.csv"), "a\n1\n", old)
	writeAged(t, filepath.Join(base, "root", "listless", "z.csv"), "a\n1\n", old)
	for path, mode := range map[string]os.FileMode{
		filepath.Join(ds, "secret.csv"):         0,
		filepath.Join(ds, "locked"):             0,
		filepath.Join(ds, "nosearch"):           0o644,
		filepath.Join(base, "root", "listless"): 0o311, // search but not read
	} {
		require.NoError(t, os.Chmod(path, mode))
		t.Cleanup(func() { _ = os.Chmod(path, 0o755) }) // so that it can be removed
	}
	if os.Geteuid() != 0 {
		checkScanPermissionDenied(t, base)
		return
	}
	discoverytest.RunAsNobody(t, base, "TestScanPermissionDenied", scanPermHelperEnv+"="+base)
}

func checkScanPermissionDenied(t *testing.T, base string) {
	root := filepath.Join(base, "root")
	roots, err := NewRoots(root)
	if err != nil {
		t.Skipf("the data root is not reachable: %v", err)
	}
	opts := ScanOptions{
		Roots:   roots,
		Dir:     filepath.Join(root, "ds"),
		Pattern: mustCompile(t, "**/*.csv"),
		Now:     func() time.Time { return scanNow },
	}
	res, err := Scan(context.Background(), opts)
	require.NoError(t, err)
	// An unreadable file is listed: reading it is the caller's business.
	require.Equal(t, []string{"ok.csv", "secret.csv"}, paths(res.Stable))
	require.Equal(t, []string{"locked", "nosearch"}, errPaths(res.Errors))
	for _, e := range res.Errors {
		require.ErrorIs(t, e.Err, fs.ErrPermission, e.RelPath)
	}
	_, err = InspectFile(context.Background(), filepath.Join(root, "ds", "secret.csv"), false)
	require.ErrorIs(t, err, fs.ErrPermission)

	opts.Dir = filepath.Join(root, "listless")
	res, err = Scan(context.Background(), opts)
	require.Nil(t, res)
	require.ErrorIs(t, err, ErrDirUnreadable)
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), "permission denied")
	require.Contains(t, err.Error(), quote(opts.Dir))
}
