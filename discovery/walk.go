package discovery

import (
	"cmp"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// errStop ends a walk once MaxFiles candidates have been reported.
var errStop = errors.New("discovery: MaxFiles reached")

const (
	readDirBatch  = 1024 // entries per ReadDir call: bounds the time between ctx checks
	ctxCheckEvery = 256  // entries between ctx checks
)

// walker holds the state of one Scan.
type walker struct {
	ctx        context.Context
	pattern    *Pattern
	startAfter string
	maxFiles   int
	judge      stability
	res        *ScanResult

	found      int    // candidates reported
	last       string // path of the last candidate reported
	sinceCheck int    // entries since ctx was last checked
}

// walkTop walks the datasource directory: given is Dir as the caller wrote
// it, dir what it resolved to.
func (w *walker) walkTop(given, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return topDirError(given, dir, err)
	}
	defer root.Close()
	entries, err := readDirSorted(w.ctx, root)
	if err != nil {
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		return topDirError(given, dir, err)
	}
	return w.walkEntries(root, "", entries)
}

// walkDir walks the subdirectory name of parent, whose relative path is rel.
// Failures to read it are recorded, not returned.
func (w *walker) walkDir(parent *os.Root, name, rel string) error {
	// OpenRoot on the parent's Root opens name relative to the parent's
	// descriptor: no path is looked up again from the top, and nothing can
	// take the walk outside the datasource directory.
	dir, err := parent.OpenRoot(name)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) { // removed since it was listed: nothing to report
			w.fail(rel, err)
		}
		return nil
	}
	defer dir.Close()
	entries, err := readDirSorted(w.ctx, dir)
	if err != nil {
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		// Keep what was listed: one bad entry should not hide the others.
		w.fail(rel, err)
	}
	return w.walkEntries(dir, rel, entries)
}

func (w *walker) walkEntries(dir *os.Root, rel string, entries []fs.DirEntry) error {
	for _, e := range entries {
		if err := w.tick(); err != nil {
			return err
		}
		p := joinRel(rel, e.Name())
		switch t := e.Type(); {
		case t.IsDir():
			if w.mayHoldAfterCursor(p) && w.pattern.CanMatchUnder(p) {
				if err := w.walkDir(dir, e.Name(), p); err != nil {
					return err
				}
			}
		case t&fs.ModeSymlink != 0:
			if w.afterCursor(p) && w.pattern.Match(p) {
				w.fail(p, ErrSymlinkSkipped)
			}
		case !t.IsRegular():
			if w.afterCursor(p) && w.pattern.Match(p) {
				w.fail(p, ErrNotRegularFile)
			}
		default:
			if w.afterCursor(p) && w.pattern.Match(p) {
				if err := w.report(p, e); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// report sorts the matching regular file e, at p, into Stable or Unstable.
func (w *walker) report(p string, e fs.DirEntry) error {
	// Entries listed through an os.Root carry their lstat already.
	info, err := e.Info()
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			w.fail(p, err)
		}
		return nil
	}
	if w.found == w.maxFiles {
		w.res.Truncated = true
		w.res.ResumeAfter = w.last
		return errStop
	}
	w.found++
	w.last = p
	f := FileInfo{RelPath: p, Size: info.Size(), ModTime: info.ModTime()}
	if w.judge.isStable(f) {
		w.res.Stable = append(w.res.Stable, f)
	} else {
		w.res.Unstable = append(w.res.Unstable, f)
	}
	return nil
}

func (w *walker) fail(rel string, err error) {
	w.res.Errors = append(w.res.Errors, FileError{RelPath: rel, Err: err})
}

func (w *walker) tick() error {
	if w.sinceCheck++; w.sinceCheck < ctxCheckEvery {
		return nil
	}
	w.sinceCheck = 0
	return w.ctx.Err()
}

// afterCursor reports whether the file at p comes after StartAfter.
func (w *walker) afterCursor(p string) bool {
	return w.startAfter == "" || pathLess(w.startAfter, p)
}

// mayHoldAfterCursor reports whether some path below the directory p comes
// after StartAfter. Paths below p sort right after p and before p's next
// sibling, so only a directory before the cursor that does not contain it
// can be skipped.
func (w *walker) mayHoldAfterCursor(p string) bool {
	return w.startAfter == "" || !pathLess(p, w.startAfter) || strings.HasPrefix(w.startAfter, p+"/")
}

// pathLess orders relative paths as the walk visits them: segment by
// segment, each in byte order. That is byte order with '/' below every other
// byte, so that "a/b" (inside directory "a") comes before "a-c".
func pathLess(a, b string) bool {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return sortKey(a[i]) < sortKey(b[i])
		}
	}
	return len(a) < len(b)
}

func sortKey(c byte) int {
	if c == '/' {
		return -1
	}
	return int(c)
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// readDirSorted lists the directory dir, sorted by name. On an error it
// returns the entries read so far with the error.
func readDirSorted(ctx context.Context, dir *os.Root) ([]fs.DirEntry, error) {
	f, err := dir.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []fs.DirEntry
	for {
		batch, err := f.ReadDir(readDirBatch)
		entries = append(entries, batch...)
		if err == io.EOF {
			break
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			sortEntries(entries)
			return entries, err
		}
	}
	sortEntries(entries)
	return entries, nil
}

func sortEntries(entries []fs.DirEntry) {
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return cmp.Compare(a.Name(), b.Name()) })
}

// topDirError explains why the datasource directory given, resolved to dir,
// could not be listed.
func topDirError(given, dir string, err error) error {
	e := errorf{subject: "datasource directory " + quote(given)}
	if dir != given {
		e.subject += " (resolved to " + quote(dir) + ")"
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return e.err(ErrPathNotFound, err, " was removed as the scan started")
	case errors.Is(err, syscall.ENOTDIR):
		return e.err(ErrNotDirectory, err, " was replaced by a file as the scan started")
	case errors.Is(err, fs.ErrPermission):
		return e.err(ErrDirUnreadable, err, ": permission denied; the service needs read (r) and search (x) permission on it")
	default:
		return e.err(ErrDirUnreadable, err, ": %v", err)
	}
}
