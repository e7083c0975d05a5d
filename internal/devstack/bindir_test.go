package devstack

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFindPostgresBinDir(t *testing.T) {
	dir, err := FindPostgresBinDir()
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "initdb"))
	require.FileExists(t, filepath.Join(dir, "postgres"))
	major, _, err := postgresVersion(dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, major, MinPostgresMajor)

	// On this project's dev and CI machines the server is Debian's
	// postgresql-15 package; PATH may hold symlinks to it.
	const debian15 = "/usr/lib/postgresql/15/bin"
	if _, err := os.Stat(filepath.Join(debian15, "postgres")); err == nil {
		onPath, err := exec.LookPath("postgres")
		if err == nil {
			onPath, err = filepath.EvalSymlinks(onPath)
		}
		if err != nil || filepath.Dir(onPath) == debian15 {
			require.Equal(t, debian15, dir)
		}
	}
}

func TestNewestFirst(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "15", "10", "17"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, v, "bin"), 0o755))
	}
	got := newestFirst(filepath.Join(root, "*", "bin"))
	var want []string
	for _, v := range []string{"17", "15", "10", "9.6"} {
		want = append(want, filepath.Join(root, v, "bin"))
	}
	require.Equal(t, want, got)
}
