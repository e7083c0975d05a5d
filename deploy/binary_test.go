package deploy_test

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// repoRoot is the repository, relative to this package.
const repoRoot = ".."

const modulePath = "github.com/ezplatform/ezplatform"

// goCommand is the go command of the toolchain running the tests.
func goCommand() string {
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// goPackage is what `go list -json` says of a package.
type goPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	EmbedFiles []string
	Module     *struct{ Path string }
}

var listBinaryPackages = sync.OnceValues(func() ([]goPackage, error) {
	cmd := exec.Command(goCommand(), "list", "-deps", "-json", "./cmd/ezplatform")
	cmd.Dir = repoRoot
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, err
		}
		if p.Module != nil && p.Module.Path == modulePath {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
})

// binaryPackages are this module's packages that cmd/ezplatform is built from.
func binaryPackages(t *testing.T) []goPackage {
	t.Helper()
	pkgs, err := listBinaryPackages()
	require.NoError(t, err)
	require.NotEmpty(t, pkgs)
	return pkgs
}

// buildDir holds the binary the tests built; TestMain removes it.
var buildDir string

// buildOnce builds the binary as the Dockerfile does: `make build`, with
// the build stage's environment, into a directory of its own.
var buildOnce = sync.OnceValues(func() (string, error) {
	df, err := parseDockerfile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		return "", err
	}
	buildDir, err = os.MkdirTemp("", "ezplatform-deploy-test-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(buildDir, "ezplatform")
	cmd := exec.Command("make", "--no-print-directory", "build", "GO="+goCommand(), "BIN="+bin)
	cmd.Dir = repoRoot
	cmd.Env = os.Environ()
	for k, v := range df.stages[0].env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("make build: %w\n%s", err, out)
	}
	return bin, nil
})

// builtBinary returns the binary, building it on first use.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin, err := buildOnce()
	require.NoError(t, err)
	return bin
}

// The Dockerfile's build is static: the runtime image has no libc, so a
// binary that asks for a dynamic loader would not start there.
func TestBuildIsStatic(t *testing.T) {
	t.Parallel()
	bin := builtBinary(t)

	f, err := elf.Open(bin)
	require.NoError(t, err)
	defer f.Close()
	for _, prog := range f.Progs {
		require.NotEqual(t, elf.PT_INTERP, prog.Type, "the binary names a dynamic loader (PT_INTERP)")
		require.NotEqual(t, elf.PT_DYNAMIC, prog.Type, "the binary has a dynamic section (PT_DYNAMIC)")
	}
	require.Nil(t, f.Section(".interp"))
	require.Nil(t, f.Section(".dynamic"))
	libs, err := f.ImportedLibraries()
	require.NoError(t, err)
	require.Empty(t, libs)

	// And it runs with nothing of the environment, as on distroless.
	cmd := exec.Command(bin, "version")
	cmd.Env = []string{}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "ezplatform ")
}
