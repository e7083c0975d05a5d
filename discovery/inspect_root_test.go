package discovery

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestInspectFileInStaysInRoot: a directory swapped for a symlink to the
// outside after the scan cannot lead the read out of the data root.
func TestInspectFileInStaysInRoot(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dataRoot, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	require.NoError(t, os.MkdirAll(filepath.Join(dataRoot, "ds", "sub"), 0o755))
	require.NoError(t, os.MkdirAll(outside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dataRoot, "ds", "sub", "a.csv"), []byte("h\n1\n2\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "a.csv"), []byte("h\nsecret\n"), 0o644))

	root, err := os.OpenRoot(dataRoot)
	require.NoError(t, err)
	defer root.Close()
	md, err := InspectFileIn(t.Context(), root, "ds/sub/a.csv", false)
	require.NoError(t, err)
	require.Equal(t, int64(2), md.Records)

	// The scan saw ds/sub; now it is a symlink out of the root.
	require.NoError(t, os.RemoveAll(filepath.Join(dataRoot, "ds", "sub")))
	require.NoError(t, os.Symlink(outside, filepath.Join(dataRoot, "ds", "sub")))
	_, err = InspectFileIn(t.Context(), root, "ds/sub/a.csv", false)
	require.Error(t, err, "the read must not follow the swapped directory out of the root")
	_, err = InspectFile(t.Context(), filepath.Join(dataRoot, "ds", "sub", "a.csv"), false)
	require.NoError(t, err, "a plain path open would have followed it")

	// The file itself as a symlink is refused too.
	require.NoError(t, os.Symlink(filepath.Join(outside, "a.csv"), filepath.Join(dataRoot, "ds", "link.csv")))
	_, err = InspectFileIn(t.Context(), root, "ds/link.csv", false)
	require.Error(t, err)
}

func TestRootsWithin(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	data, database := filepath.Join(base, "data"), filepath.Join(base, "database")
	require.NoError(t, os.MkdirAll(filepath.Join(data, "a", "b"), 0o755))
	require.NoError(t, os.MkdirAll(database, 0o755))
	roots, err := NewRoots(data)
	require.NoError(t, err)
	resolvedData := roots.List()[0]

	for _, tc := range []struct {
		path, rel string
		ok        bool
	}{
		{resolvedData, ".", true},
		{filepath.Join(resolvedData, "a", "b"), "a/b", true},
		{filepath.Join(filepath.Dir(resolvedData), "database"), "", false},
		{filepath.Dir(resolvedData), "", false},
	} {
		root, rel, ok := roots.Within(tc.path)
		require.Equal(t, tc.ok, ok, tc.path)
		if ok {
			require.Equal(t, resolvedData, root)
			require.Equal(t, tc.rel, rel)
		}
	}
}
