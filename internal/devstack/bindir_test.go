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
	// postgresql-15 package, which is not on PATH.
	if _, err := exec.LookPath("postgres"); err != nil {
		if _, err := os.Stat("/usr/lib/postgresql/15/bin/postgres"); err == nil {
			require.Equal(t, "/usr/lib/postgresql/15/bin", dir)
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
