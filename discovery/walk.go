package discovery

import (
	"context"
	"errors"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"syscall"
)

// errStop ends a walk once MaxFiles candidates have been reported.
var errStop = errors.New("discovery: MaxFiles reached")

// ctxCheckEvery is how many entries the walk handles between checks of ctx.
const ctxCheckEvery = 256

// walker holds the state of one Scan.
type walker struct {
	ctx        context.Context
	open       func(path string) (directory, error)
	pattern    *Pattern
	startAfter string
	maxFiles   int
	judge      stability
	res        *ScanResult

	buf statBuf // for the stats the walk's goroutine makes

	files      []FileInfo // candidates reported, judged once the walk is done
	found      int        // candidates reported
	last       string     // path of the last candidate reported
	sinceCheck int        // entries since ctx was last checked
}

// walkTop walks the datasource directory: given is Dir as the caller wrote
// it, dir what it resolved to.
func (w *walker) walkTop(given, dir string) error {
	d, err := w.open(dir)
	if err != nil {
		return topDirError(given, dir, err)
	}
	defer d.close()
	entries, err := d.list(w.ctx)
	if err != nil {
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		return topDirError(given, dir, err)
	}
	return w.walkEntries(d, "", entries)
}

// walkDir walks the subdirectory name of parent, whose relative path is rel.
// Failures to read it are recorded, not returned.
func (w *walker) walkDir(parent directory, name, rel string) error {
	// The subdirectory is opened relative to the parent's descriptor and
	// never through a symlink: no path is looked up again from the top, and
	// nothing can take the walk outside the datasource directory.
	d, err := parent.openDir(name)
	if err != nil {
		if !replacedSinceListed(err) {
			w.fail(rel, err)
		}
		return nil
	}
	defer d.close()
	entries, err := d.list(w.ctx)
	if err != nil {
		if w.ctx.Err() != nil {
			return w.ctx.Err()
		}
		// Keep what was listed: one bad entry should not hide the others.
		w.fail(rel, err)
	}
	return w.walkEntries(d, rel, entries)
}

func (w *walker) walkEntries(d directory, rel string, entries []dirEntry) error {
	w.prepareAll(d, rel, entries)
	for i := range entries {
		if err := w.tick(); err != nil {
			return err
		}
		e := &entries[i]
		if !e.prepared {
			w.prepare(d, rel, e, &w.buf)
		}
		if e.statErr != nil {
			if !errors.Is(e.statErr, fs.ErrNotExist) { // removed since it was listed: nothing to report
				w.fail(e.path, e.statErr)
			}
			continue
		}
		switch t := e.typ; {
		case t.IsDir():
			if w.mayHoldAfterCursor(e.path) && w.pattern.CanMatchUnder(e.path) {
				if err := w.walkDir(d, e.name, e.path); err != nil {
					return err
				}
			}
		case t&fs.ModeSymlink != 0:
			if w.afterCursor(e.path) && w.pattern.Match(e.path) {
				w.fail(e.path, ErrSymlinkSkipped)
			}
		case !t.IsRegular():
			if w.afterCursor(e.path) && w.pattern.Match(e.path) {
				w.fail(e.path, ErrNotRegularFile)
			}
		case e.candidate:
			if err := w.report(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// prepare does what the walk needs done for e, below rel, before it can
// take e in turn: it sets e's path and, if e is a regular file that matches
// (or of a type the listing did not give), stats it. Only these entries
// are stat'ed. The stat tells the type as it
// is now, which is the one that counts.
//
// prepare only reads the walker, so that it can run on several goroutines
// at once, each with a buf of its own.
func (w *walker) prepare(d directory, rel string, e *dirEntry, buf *statBuf) {
	e.prepared = true
	e.path = joinRel(rel, e.name)
	if e.typeKnown {
		if !e.typ.IsRegular() || !w.afterCursor(e.path) || !w.pattern.Match(e.path) {
			return
		}
		e.candidate = true
	}
	e.statErr = d.stat(e, buf)
	if e.statErr == nil && !e.typeKnown && e.typ.IsRegular() {
		e.candidate = w.afterCursor(e.path) && w.pattern.Match(e.path)
	}
}

// Parallel preparation: a directory of fewer than parallelMin entries is
// prepared by the walk's goroutine, entry by entry as it goes. A larger one
// is prepared first, in chunks of at least parallelMin/2 entries, one per
// goroutine, at most maxPrepareGoroutines of them, the walk's own included.
// The stats, independent system calls on the same directory descriptor, are
// most of what a scan of unchanged files costs.
const (
	parallelMin          = 256
	maxPrepareGoroutines = 4
)

// prepareAll prepares entries, in parallel, if there are enough of them.
// Each chunk stops after as many candidates as the scan may still report,
// plus one to tell that it is truncated; the walk prepares the rest, if it
// needs them, as it goes.
func (w *walker) prepareAll(d directory, rel string, entries []dirEntry) {
	workers := min(runtime.GOMAXPROCS(0), maxPrepareGoroutines, len(entries)/(parallelMin/2))
	if workers <= 1 {
		return
	}
	budget := w.maxFiles - w.found + 1
	prepare := func(chunk []dirEntry, buf *statBuf) {
		n := 0
		for i := range chunk {
			if i%ctxCheckEvery == ctxCheckEvery-1 && w.ctx.Err() != nil {
				return // the walk stops at its next check
			}
			w.prepare(d, rel, &chunk[i], buf)
			if chunk[i].candidate {
				if n++; n == budget {
					return
				}
			}
		}
	}
	size := (len(entries) + workers - 1) / workers
	var wg sync.WaitGroup
	for start := size; start < len(entries); start += size {
		chunk := entries[start:min(start+size, len(entries))]
		wg.Go(func() { prepare(chunk, new(statBuf)) })
	}
	prepare(entries[:size], &w.buf)
	wg.Wait()
}

// report sorts the matching regular file e into Stable or Unstable.
func (w *walker) report(e *dirEntry) error {
	p := e.path
	if w.found == w.maxFiles {
		w.res.Truncated = true
		w.res.ResumeAfter = w.last
		return errStop
	}
	w.found++
	w.last = p
	w.files = append(w.files, FileInfo{RelPath: p, Size: e.size, ModTime: e.mtime})
	return nil
}

// sortFound sorts the files the walk reported into Stable and Unstable. It
// runs after the walk, so that Previous is not called before (see
// ScanOptions.Previous).
func (w *walker) sortFound() {
	stable := w.files[:0] // stable files are written over the ones already judged
	for _, f := range w.files {
		if w.judge.isStable(f) {
			stable = append(stable, f)
		} else {
			w.res.Unstable = append(w.res.Unstable, f)
		}
	}
	if len(stable) > 0 {
		w.res.Stable = stable
	}
	w.files = nil
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

// replacedSinceListed reports whether err, from opening a directory the
// walk listed, says that it has been removed or replaced by something else
// since: nothing to report, the next scan sees what is there now.
func replacedSinceListed(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP)
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
	case errors.Is(err, syscall.ELOOP):
		return e.err(ErrDirUnreadable, err, " was replaced by a symlink as the scan started")
	case errors.Is(err, fs.ErrPermission):
		return e.err(ErrDirUnreadable, err, ": permission denied; the service needs read (r) and search (x) permission on it")
	default:
		return e.err(ErrDirUnreadable, err, ": %v", err)
	}
}
