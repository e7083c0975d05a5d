package discovery

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// maxPathLen is Linux's PATH_MAX; longer paths cannot be opened anyway.
const maxPathLen = 4096

// Errors returned by Roots.Resolve, and by NewRoots and ParseRoots about a
// root, wrap one of these sentinels; test for them with errors.Is. When an operating-system error is
// behind the failure, it is wrapped too, so errors.Is(err, fs.ErrPermission)
// also works.
var (
	ErrPathNotAbsolute = errors.New("discovery: path is not absolute")
	ErrPathNotFound    = errors.New("discovery: path does not exist")
	ErrNotDirectory    = errors.New("discovery: path is not a directory")
	ErrOutsideRoots    = errors.New("discovery: path is outside the data roots")
	// ErrInvalidPath is for paths no file system accepts: a NUL byte, more
	// than 4096 bytes, or a file name longer than the file system allows.
	ErrInvalidPath = errors.New("discovery: invalid path")
	// ErrPathUnresolvable is for paths that may exist but cannot be
	// followed: permission denied, symlink loops, I/O errors.
	ErrPathUnresolvable = errors.New("discovery: path cannot be resolved")
)

// Roots is the set of directories datasources may live in. Each root is
// stored as an absolute, symlink-resolved path.
//
// The zero Roots has no roots: Resolve refuses every path. A Roots is
// immutable and safe for concurrent use.
type Roots struct {
	dirs []string
}

// ParseRoots parses a ':'-separated list of root directories, as found in
// EZ_DATA_ROOTS, and calls NewRoots with them. Entries are used verbatim
// (no trimming); an empty list or an empty entry is an error.
func ParseRoots(list string) (Roots, error) {
	if list == "" {
		return Roots{}, errors.New("discovery: the list of data roots is empty")
	}
	dirs := strings.Split(list, ":")
	for i, d := range dirs {
		if d == "" {
			// An empty PATH entry traditionally means the working directory;
			// refusing it avoids granting that by accident.
			return Roots{}, fmt.Errorf("discovery: entry %d of the data roots list %q is empty", i+1, list)
		}
	}
	return NewRoots(dirs...)
}

// NewRoots returns the Roots made of dirs. Each must be an absolute path to
// an existing directory; it is stored resolved with filepath.EvalSymlinks.
// Duplicates, after resolution, are dropped; the order is kept.
func NewRoots(dirs ...string) (Roots, error) {
	if len(dirs) == 0 {
		return Roots{}, errors.New("discovery: no data roots given")
	}
	var r Roots
	for _, d := range dirs {
		e := errorf{subject: "data root " + quote(d)}
		resolved, err := resolve(d, e)
		if err != nil {
			return Roots{}, err
		}
		if err := checkDir(d, resolved, e); err != nil {
			return Roots{}, err
		}
		if !slices.Contains(r.dirs, resolved) {
			r.dirs = append(r.dirs, resolved)
		}
	}
	return r, nil
}

// List returns the resolved roots, in the order they were given.
func (r Roots) List() []string {
	return slices.Clone(r.dirs)
}

// Resolve checks that path is absolute, exists, is a directory and resolves
// (following every symlink) inside a root. It returns the resolved path.
// Errors wrap one of the Err* sentinels and name the path and the roots, in
// words an operator understands.
//
// "Inside" is decided on the resolved path, which has no symlinks and no ".."
// left, so neither "/root/a/../../etc" nor a symlink pointing out of a root
// passes, while a symlink from one place in the roots to another does. A root
// itself is inside. A path outside the roots that resolves inside them is
// accepted.
//
// The answer only holds when it is given: whoever can write below a root can
// later swap a directory for a symlink. The discovery job therefore calls
// Resolve again at run time and works on the returned path. Nothing below
// that directory is checked: a walker must not follow symlinks it meets, or
// must check where they lead.
func (r Roots) Resolve(path string) (string, error) {
	e := errorf{subject: quote(path), suffix: " (data roots: " + r.describe() + ")"}
	resolved, err := resolve(path, e)
	if err != nil {
		return "", err
	}
	// Containment is checked before the file type, so that an existing path
	// outside the roots gets that answer, whatever it is.
	if !r.contains(resolved) {
		if resolved == path {
			return "", e.err(ErrOutsideRoots, nil, "")
		}
		return "", e.err(ErrOutsideRoots, nil, " resolves to %s", quote(resolved))
	}
	if err := checkDir(path, resolved, e); err != nil {
		return "", err
	}
	return resolved, nil
}

// Within returns the root that contains resolved (a path Resolve returned)
// and the slash-separated path from it ("." for the root itself), so that
// files can be opened through an os.Root on the data root: then no
// component below it can lead out, even if swapped after the check.
func (r Roots) Within(resolved string) (root, rel string, ok bool) {
	for _, dir := range r.dirs {
		if rel, err := filepath.Rel(dir, resolved); err == nil && r.contains(resolved) &&
			rel != ".." && !strings.HasPrefix(rel, "../") {
			return dir, filepath.ToSlash(rel), true
		}
	}
	return "", "", false
}

func (r Roots) contains(resolved string) bool {
	for _, root := range r.dirs {
		if resolved == root {
			return true
		}
		// Compare up to a separator, or "/data" would contain "/database".
		prefix := root
		if !strings.HasSuffix(prefix, "/") { // only "/" ends with '/'
			prefix += "/"
		}
		if strings.HasPrefix(resolved, prefix) {
			return true
		}
	}
	return false
}

func (r Roots) describe() string {
	if len(r.dirs) == 0 {
		return "none configured"
	}
	q := make([]string, len(r.dirs))
	for i, d := range r.dirs {
		q[i] = quote(d)
	}
	return strings.Join(q, ", ")
}

// resolve checks that path is usable and returns it with every symlink and
// ".." resolved.
func resolve(path string, e errorf) (string, error) {
	switch {
	case strings.IndexByte(path, 0) >= 0:
		return "", e.err(ErrInvalidPath, nil, " contains a NUL byte")
	case len(path) > maxPathLen:
		return "", e.err(ErrInvalidPath, nil, " is %d bytes long; the limit is %d", len(path), maxPathLen)
	case !filepath.IsAbs(path):
		return "", e.err(ErrPathNotAbsolute, nil, "; give the full path, starting with '/'")
	}
	// EvalSymlinks walks the path one component at a time as the kernel
	// does: ".." applies to where the symlinks before it led, not to the
	// text of the path.
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", resolveError(path, err, e)
	}
	return resolved, nil
}

// checkDir checks that resolved, which path resolved to, is a directory.
func checkDir(path, resolved string, e errorf) error {
	fi, err := os.Stat(resolved)
	if err != nil {
		return resolveError(path, err, e) // changed since it was resolved
	}
	if fi.IsDir() {
		return nil
	}
	if resolved == path {
		return e.err(ErrNotDirectory, nil, " is a %s", fileKind(fi.Mode()))
	}
	return e.err(ErrNotDirectory, nil, " resolves to %s, which is a %s", quote(resolved), fileKind(fi.Mode()))
}

// resolveError turns an error from resolving path into words.
func resolveError(path string, err error, e errorf) error {
	at := "" // the file the lookup failed on, when it is not path itself
	var pe *fs.PathError
	if errors.As(err, &pe) && filepath.Clean(pe.Path) != filepath.Clean(path) {
		at = quote(pe.Path)
	}
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if at != "" {
			return e.err(ErrPathNotFound, err, ": %s does not exist", at)
		}
		return e.err(ErrPathNotFound, err, "")
	case errors.Is(err, syscall.ENOTDIR):
		return e.err(ErrPathNotFound, err, ": part of the path is a file, not a directory")
	case errors.Is(err, fs.ErrPermission):
		// Looking a name up needs search permission on the directory that
		// holds it; the directories before it were searched already.
		dir := filepath.Dir(path)
		if pe != nil {
			dir = filepath.Dir(pe.Path)
		}
		return e.err(ErrPathUnresolvable, err, ": permission denied: cannot search directory %s; the service needs search (x) permission on every directory along the path", quote(dir))
	case errors.Is(err, syscall.ENAMETOOLONG):
		return e.err(ErrInvalidPath, err, ": a file name in the path is too long")
	case errors.Is(err, syscall.ELOOP) || !errors.As(err, &errno):
		// EvalSymlinks gives up after 255 symlinks with a plain error; it is
		// the only error it returns that carries no errno.
		return e.err(ErrPathUnresolvable, err, ": too many levels of symbolic links, probably a symlink loop")
	default:
		return e.err(ErrPathUnresolvable, err, ": %v", err)
	}
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	default:
		return "file"
	}
}

// quote quotes a path for an error message, shortening absurdly long ones.
func quote(path string) string {
	const keep = 200
	if len(path) > keep {
		return fmt.Sprintf("%q...", path[:keep])
	}
	return fmt.Sprintf("%q", path)
}

// errorf builds the errors of one call: "<sentinel>: <subject><detail><suffix>".
type errorf struct {
	subject string // the path, quoted, and what it is
	suffix  string // context appended to every message
}

func (e errorf) err(sentinel, cause error, format string, args ...any) error {
	return &pathError{
		msg:      sentinel.Error() + ": " + e.subject + fmt.Sprintf(format, args...) + e.suffix,
		sentinel: sentinel,
		cause:    cause,
	}
}

// pathError carries a sentinel and, if any, the operating-system error
// behind it, without repeating the latter's text in the message.
type pathError struct {
	msg      string
	sentinel error
	cause    error
}

func (e *pathError) Error() string { return e.msg }

func (e *pathError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.sentinel}
	}
	return []error{e.sentinel, e.cause}
}
