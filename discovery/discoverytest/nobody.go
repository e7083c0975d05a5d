//go:build unix

package discoverytest

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// NobodyUID is the user (and group) RunAsNobody runs tests as.
const NobodyUID = 65534

// RunAsNobody runs the test binary again, as user nobody, for the test named
// test only, with env ("NAME=value" pairs) added to its environment, and
// fails t if that run fails. The test tells the two runs apart by env.
//
// Root reads every file whatever its mode, so a test of unreadable files and
// directories must run unprivileged; CI runs tests as root. RunAsNobody makes
// base, a directory of t's, and its parent searchable by everyone, and copies
// the test binary into base, so that nobody can reach both.
//
// It skips t only if the run cannot be done: without CAP_SETUID, with a
// noexec temporary directory, or when the run itself skipped.
func RunAsNobody(t testing.TB, base, test string, env ...string) {
	t.Helper()
	// t.TempDir makes its directories private.
	for _, d := range []string{base, filepath.Dir(base)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary: %v", err)
	}
	bin := filepath.Join(base, filepath.Base(exe))
	copyExecutable(t, exe, bin)

	cmd := exec.Command(bin, "-test.run=^"+test+"$", "-test.v", "-test.count=1")
	cmd.Dir = base
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: NobodyUID, Gid: NobodyUID}}
	output, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Fatalf("the run as nobody failed:\n%s", output)
	case err != nil:
		t.Skipf("cannot run the test binary as nobody: %v", err)
	case strings.Contains(string(output), "--- SKIP"):
		t.Skipf("the run as nobody skipped:\n%s", output)
	case !strings.Contains(string(output), "--- PASS: "+test):
		t.Fatalf("the run as nobody did not run the test:\n%s", output)
	}
	t.Logf("run as nobody:\n%s", output)
}

func copyExecutable(t testing.TB, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		_ = dst.Close()
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
