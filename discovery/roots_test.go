package discovery

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ezplatform/ezplatform/discovery/discoverytest"
)

// tempDir returns a fresh directory with every symlink in its path resolved,
// so that expected results can be compared with what Resolve returns even
// where the temporary directory lives behind a symlink.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, name string) {
	t.Helper()
	if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRoots(t *testing.T, dirs ...string) Roots {
	t.Helper()
	r, err := NewRoots(dirs...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkErr fails unless err wraps want and its message contains every one of
// texts.
func checkErr(t *testing.T, what string, err, want error, texts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want %v", what, want)
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: error %q does not wrap %q", what, err, want)
	}
	for _, s := range texts {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("%s: error %q does not mention %s", what, err, s)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	base := tempDir(t)
	root := filepath.Join(base, "root")
	out := filepath.Join(base, "outside")
	mkdirs(t,
		filepath.Join(root, "data", "sub"),
		filepath.Join(root, "deep", "er"),
		filepath.Join(root, "with space"),
		filepath.Join(root, "caf\xe9"), // Latin-1, not UTF-8
		filepath.Join(out, "secret"),
		filepath.Join(base, "rootX"),
	)
	writeFile(t, filepath.Join(root, "file.csv"))
	symlink(t, out, filepath.Join(root, "abs-out"))
	symlink(t, "../outside", filepath.Join(root, "rel-out"))
	symlink(t, "../../outside", filepath.Join(root, "deep", "rel-out"))
	symlink(t, "../../../outside/secret", filepath.Join(root, "deep", "er", "rel-out"))
	symlink(t, "../outside/secret", filepath.Join(root, "sneaky"))
	symlink(t, "../rootX", filepath.Join(root, "prefix-out"))
	symlink(t, "../outside", filepath.Join(root, "\xff out"))
	symlink(t, "data", filepath.Join(root, "in-link"))
	symlink(t, "../data/sub", filepath.Join(root, "deep", "in-link"))
	symlink(t, filepath.Join(root, "data"), filepath.Join(root, "abs-in"))
	symlink(t, "in-link", filepath.Join(root, "chain"))
	symlink(t, "loop2", filepath.Join(root, "loop1"))
	symlink(t, "loop1", filepath.Join(root, "loop2"))
	symlink(t, "self", filepath.Join(root, "self"))
	symlink(t, "nowhere", filepath.Join(root, "dangling"))
	symlink(t, "file.csv", filepath.Join(root, "file-link"))
	symlink(t, filepath.Join(root, "data"), filepath.Join(out, "link-in"))

	roots := mustRoots(t, root)
	// in joins without cleaning: the ".." must reach Resolve.
	in := func(elem ...string) string { return root + "/" + strings.Join(elem, "/") }

	ok := []struct {
		name, path, want string
	}{
		{"the root itself", root, root},
		{"a directory", in("data"), in("data")},
		{"trailing slash", in("data") + "/", in("data")},
		{"dot-dot that stays inside", in("data", "..", "data", "sub"), in("data", "sub")},
		{"redundant parts", root + "//data/./sub", in("data", "sub")},
		{"relative symlink inside", in("in-link"), in("data")},
		{"relative symlink going up, inside", in("deep", "in-link"), in("data", "sub")},
		{"absolute symlink inside", in("abs-in", "sub"), in("data", "sub")},
		{"chain of symlinks", in("chain", "sub"), in("data", "sub")},
		{"dot-dot after a symlink applies to its target", in("in-link", "sub", ".."), in("data")},
		{"out through a symlink and back", in("abs-out", "..", "root", "data"), in("data")},
		{"outside path that resolves inside", filepath.Join(out, "link-in"), in("data")},
		{"space in the name", in("with space"), in("with space")},
		{"name that is not UTF-8", in("caf\xe9"), in("caf\xe9")},
	}
	for _, tt := range ok {
		got, err := roots.Resolve(tt.path)
		if err != nil || got != tt.want {
			t.Errorf("%s: Resolve(%q) = %q, %v; want %q", tt.name, tt.path, got, err, tt.want)
		}
	}

	bad := []struct {
		name string
		path string
		want error
		text string // besides the path and the root, which every message names
	}{
		{"relative path", "data", ErrPathNotAbsolute, ""},
		{"dot-relative path", "./root/data", ErrPathNotAbsolute, ""},
		{"empty path", "", ErrPathNotAbsolute, ""},
		{"NUL byte", in("da\x00ta"), ErrInvalidPath, "NUL"},
		{"longer than 4096 bytes", root + "/" + strings.Repeat("a", 4096), ErrInvalidPath, "4096"},
		{"file name longer than 255 bytes", in(strings.Repeat("a", 300)), ErrInvalidPath, "too long"},
		{"dot-dot out of the root", in("data", "..", "..", "outside"), ErrOutsideRoots, `resolves to "` + out + `"`},
		{"dot-dot out through a missing directory", in("a", "..", "..", "outside"), ErrPathNotFound, ""},
		{"dot-dot above /", in(strings.Repeat("../", 40) + "etc"), ErrOutsideRoots, `"/etc"`},
		{"absolute symlink out", in("abs-out"), ErrOutsideRoots, out},
		{"below an absolute symlink out", in("abs-out", "secret"), ErrOutsideRoots, out},
		{"relative symlink out", in("rel-out"), ErrOutsideRoots, out},
		{"relative symlink out from deeper", in("deep", "rel-out"), ErrOutsideRoots, out},
		{"relative symlink out from deeper still", in("deep", "er", "rel-out"), ErrOutsideRoots, out},
		{"dot-dot after a symlink out, lexically inside", in("sneaky", ".."), ErrOutsideRoots, out},
		{"symlink to a sibling with the root as prefix", in("prefix-out"), ErrOutsideRoots, "rootX"},
		{"sibling with the root as prefix", filepath.Join(base, "rootX"), ErrOutsideRoots, ""},
		{"parent of the root", base, ErrOutsideRoots, ""},
		{"symlink out with a name that is not UTF-8", in("\xff out"), ErrOutsideRoots, `\xff out`},
		{"outside the roots and missing", filepath.Join(out, "missing"), ErrPathNotFound, ""},
		{"missing", in("missing"), ErrPathNotFound, ""},
		{"missing below a directory", in("data", "x", "y"), ErrPathNotFound, in("data", "x")},
		{"dangling symlink", in("dangling"), ErrPathNotFound, in("nowhere")},
		{"regular file", in("file.csv"), ErrNotDirectory, "regular file"},
		{"symlink to a regular file", in("file-link"), ErrNotDirectory, `resolves to "` + in("file.csv") + `"`},
		{"below a regular file", in("file.csv", "sub"), ErrPathNotFound, "is a file"},
		{"dot-dot after a regular file", in("file.csv", ".."), ErrPathNotFound, "is a file"},
		{"symlink loop", in("loop1"), ErrPathUnresolvable, "symlink loop"},
		{"symlink to itself", in("self", "x"), ErrPathUnresolvable, "symlink loop"},
	}
	for _, tt := range bad {
		got, err := roots.Resolve(tt.path)
		if got != "" {
			t.Errorf("%s: Resolve(%q) returned %q with an error", tt.name, tt.path, got)
		}
		texts := []string{quote(root)}
		if tt.want != ErrInvalidPath {
			texts = append(texts, quote(tt.path))
		}
		if tt.text != "" {
			texts = append(texts, tt.text)
		}
		checkErr(t, tt.name, err, tt.want, texts...)
	}
}

func TestResolveWrapsTheOSError(t *testing.T) {
	t.Parallel()
	root := tempDir(t)
	_, err := mustRoots(t, root).Resolve(filepath.Join(root, "missing"))
	if !errors.Is(err, ErrPathNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v; want it to wrap ErrPathNotFound and fs.ErrNotExist", err)
	}
	const want = `discovery: path does not exist: "`
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("message %q does not start with %q", err, want)
	}
}

func TestResolveRootSymlink(t *testing.T) {
	t.Parallel()
	base := tempDir(t)
	real := filepath.Join(base, "volume", "data")
	mkdirs(t, filepath.Join(real, "ds"))
	symlink(t, "volume/data", filepath.Join(base, "data"))

	roots := mustRoots(t, filepath.Join(base, "data"))
	if got := roots.List(); !slices.Equal(got, []string{real}) {
		t.Fatalf("List() = %q, want the resolved root %q", got, real)
	}
	for _, p := range []string{filepath.Join(base, "data", "ds"), filepath.Join(real, "ds")} {
		got, err := roots.Resolve(p)
		if err != nil || got != filepath.Join(real, "ds") {
			t.Errorf("Resolve(%q) = %q, %v", p, got, err)
		}
	}
}

func TestResolveSlashRoot(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	roots := mustRoots(t, "/")
	for _, p := range []string{"/", dir} {
		if got, err := roots.Resolve(p); err != nil || got != p {
			t.Errorf("Resolve(%q) = %q, %v", p, got, err)
		}
	}
}

func TestResolveNoRoots(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	_, err := Roots{}.Resolve(dir)
	checkErr(t, "zero Roots", err, ErrOutsideRoots, "none configured")
}

func TestParseRoots(t *testing.T) {
	t.Parallel()
	base := tempDir(t)
	a := filepath.Join(base, "a")
	b := filepath.Join(base, "b with space \xff")
	mkdirs(t, a, b)
	symlink(t, "a", filepath.Join(base, "a-link"))
	writeFile(t, filepath.Join(base, "file"))
	symlink(t, "missing", filepath.Join(base, "dangling"))

	good := []struct {
		list string
		want []string
	}{
		{a, []string{a}},
		{a + ":" + b, []string{a, b}},
		{b + ":" + a, []string{b, a}},
		{a + ":" + a + "/:" + filepath.Join(base, "a-link") + ":" + b + ":" + a, []string{a, b}},
		{a + ":" + base, []string{a, base}}, // nested roots are kept
	}
	for _, tt := range good {
		r, err := ParseRoots(tt.list)
		if err != nil || !slices.Equal(r.List(), tt.want) {
			t.Errorf("ParseRoots(%q) = %q, %v; want %q", tt.list, r.List(), err, tt.want)
		}
	}

	bad := []struct {
		list string
		want error // nil: only check there is an error
		text string
	}{
		{"", nil, "empty"},
		{a + ":", nil, "entry 2"},
		{":" + a, nil, "entry 1"},
		{a + "::" + b, nil, "entry 2"},
		{"data", ErrPathNotAbsolute, `data root "data"`},
		{a + ":relative", ErrPathNotAbsolute, `"relative"`},
		{filepath.Join(base, "missing"), ErrPathNotFound, "missing"},
		{filepath.Join(base, "dangling"), ErrPathNotFound, "dangling"},
		{filepath.Join(base, "file"), ErrNotDirectory, "regular file"},
		{a + "\x00", ErrInvalidPath, "NUL"},
	}
	for _, tt := range bad {
		r, err := ParseRoots(tt.list)
		if len(r.List()) != 0 {
			t.Errorf("ParseRoots(%q) returned roots with an error", tt.list)
		}
		if tt.want == nil {
			if err == nil || !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "discovery: ") {
				t.Errorf("ParseRoots(%q) = %v; want an error mentioning %q", tt.list, err, tt.text)
			}
			continue
		}
		checkErr(t, "ParseRoots("+quote(tt.list)+")", err, tt.want, tt.text)
	}
}

func TestNewRoots(t *testing.T) {
	t.Parallel()
	if _, err := NewRoots(); err == nil {
		t.Error("NewRoots() without directories: no error")
	}
	dir := tempDir(t)
	r := mustRoots(t, dir)
	list := r.List()
	list[0] = "/changed"
	if r.List()[0] != dir {
		t.Error("List() shares its slice with the Roots")
	}
}

// permHelperEnv, when set, tells TestResolvePermissionDenied that it runs
// unprivileged inside the directory tree the variable names.
const permHelperEnv = "DISCOVERY_TEST_PERMISSION_DIR"

// TestResolvePermissionDenied checks the error for a directory that cannot
// be searched. Root is exempt from permission checks, so when the tests run
// as root (as in CI) the test copies the test binary, starts it again as
// nobody (uid 65534) and checks that run passed. It is skipped only if that
// cannot be done, e.g. without CAP_SETUID or with a noexec temporary
// directory.
func TestResolvePermissionDenied(t *testing.T) {
	if dir := os.Getenv(permHelperEnv); dir != "" {
		checkPermissionDenied(t, dir)
		return
	}
	base := tempDir(t)
	locked := filepath.Join(base, "root", "locked")
	mkdirs(t, filepath.Join(locked, "sub"))
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(locked, 0o755) }) // so that it can be removed
	if os.Geteuid() != 0 {
		checkPermissionDenied(t, base)
		return
	}
	discoverytest.RunAsNobody(t, base, "TestResolvePermissionDenied", permHelperEnv+"="+base)
}

func checkPermissionDenied(t *testing.T, base string) {
	root := filepath.Join(base, "root")
	roots, err := NewRoots(root)
	if err != nil {
		t.Skipf("the data root is not reachable: %v", err)
	}
	path := filepath.Join(root, "locked", "sub")
	_, err = roots.Resolve(path)
	checkErr(t, "locked directory", err, ErrPathUnresolvable, "permission denied", quote(path), quote(root),
		"cannot search directory "+quote(filepath.Join(root, "locked")))
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("error %q does not wrap fs.ErrPermission", err)
	}
}
