package discovery

import (
	"context"
	"errors"
	"time"
)

// Defaults and special values of ScanOptions.
const (
	// DefaultMinFileAge is the MinFileAge used when ScanOptions.MinFileAge
	// is zero.
	DefaultMinFileAge = 2 * time.Second
	// NoMinFileAge, as ScanOptions.MinFileAge, drops the age condition: a
	// file is then stable only once a previous look saw the same size and
	// modification time.
	NoMinFileAge time.Duration = -1
	// DefaultMaxFiles is the MaxFiles used when ScanOptions.MaxFiles is zero.
	DefaultMaxFiles = 100_000
)

// ErrDirUnreadable is wrapped by the error Scan returns when the datasource
// directory exists but cannot be listed.
var ErrDirUnreadable = errors.New("discovery: directory cannot be read")

// ScanOptions describes one scan of a datasource directory.
type ScanOptions struct {
	// Roots confines Dir. Scan resolves Dir with Roots.Resolve at every call,
	// because the directory may have been replaced since the datasource was
	// saved.
	Roots Roots
	// Dir is the datasource directory, an absolute path.
	Dir string
	// Pattern selects the files, matched against their slash-separated path
	// relative to Dir. Required.
	Pattern *Pattern
	// MinFileAge is how long a file must have gone unmodified before it can
	// be stable. Zero means DefaultMinFileAge; a negative value
	// (NoMinFileAge) means no age condition at all.
	MinFileAge time.Duration
	// MaxFiles is the most candidate files (matching regular files) one scan
	// reports; zero means DefaultMaxFiles. See ScanResult.ResumeAfter.
	MaxFiles int
	// StartAfter, when not empty, makes Scan report only files that come
	// after this relative path in walk order: pass the ResumeAfter of a
	// truncated scan to go on where it stopped.
	StartAfter string
	// Previous returns the size and modification time of relPath the last
	// time a scan reported it, if it did. The caller keeps these durably.
	// Nil means no previous looks. Scan calls it only for matching regular
	// files, from the calling goroutine, and only once the walk is done: the
	// caller may fetch the previous looks while the walk runs, and block in
	// Previous until they are there.
	Previous func(relPath string) (size int64, mtime time.Time, ok bool)
	// Now returns the current time; nil means time.Now. Scan calls it once
	// and judges every file against that instant.
	Now func() time.Time
}

// FileInfo is what a scan saw of one file.
type FileInfo struct {
	RelPath string // relative to the datasource directory, '/'-separated
	Size    int64
	ModTime time.Time
}

// FileError is a file or directory below the datasource directory that a
// scan could not read, or a matching entry it skipped on purpose.
type FileError struct {
	RelPath string
	Err     error
}

func (e FileError) Error() string { return quote(e.RelPath) + ": " + e.Err.Error() }

// ScanResult is what one scan found.
type ScanResult struct {
	// Dir is the datasource directory as resolved for this scan: open the
	// reported files relative to it.
	Dir string
	// Stable holds the complete files, Unstable the matching files that may
	// still be being written (see Scan for the rule). Both are in walk
	// order.
	Stable   []FileInfo
	Unstable []FileInfo
	// Errors holds the entries that could not be read (a directory without
	// read permission, a file that vanished into an error) and the matching
	// entries that were skipped because they are symlinks (ErrSymlinkSkipped)
	// or not regular files (ErrNotRegularFile). They do not fail the scan.
	Errors []FileError
	// Truncated reports that MaxFiles candidates were reported and more were
	// waiting.
	Truncated bool
	// ResumeAfter is, when Truncated, the path of the last reported
	// candidate: pass it as StartAfter to the next scan. Without it, a
	// directory holding more than MaxFiles matching files would show the
	// same first MaxFiles at every run and never the rest. Once a resumed
	// scan is not truncated, start the following one from the beginning.
	ResumeAfter string
}

// Errors in FileError.Err for matching entries that Scan skips.
var (
	ErrSymlinkSkipped = errors.New("discovery: symbolic link not followed")
	ErrNotRegularFile = errors.New("discovery: not a regular file")
)

// Scan lists the files below opts.Dir that match opts.Pattern and sorts
// them into stable and unstable ones.
//
// Walk. Scan first resolves opts.Dir with opts.Roots.Resolve; its errors
// (ErrPathNotFound, ErrNotDirectory, ErrOutsideRoots, ...) are returned as
// they are, and a directory that exists but cannot be listed gives an error
// wrapping ErrDirUnreadable. Below Dir, Scan follows no symlink at all,
// whether it points inside or outside: a symlink is neither a file nor a
// directory to it, so symlink loops cannot trap it and no symlink can lead it
// out of the data roots. Every directory is opened relative to its parent's
// descriptor, never through a symlink (on Linux with openat and O_NOFOLLOW,
// elsewhere through an os.Root), which keeps the walk inside Dir even if
// directories are swapped for symlinks while it runs. Only matching regular
// files are stat'ed (fstatat relative to their directory); in a large
// directory the stats run on a few goroutines. Directories are visited
// depth first with entries in byte
// order of their names, and a directory is entered only if
// Pattern.CanMatchUnder says a match below it is possible. Named pipes,
// sockets and devices are skipped. Entries that match the pattern but are
// skipped, and directories or files that cannot be read, are listed in
// ScanResult.Errors; they do not fail the scan.
//
// Stability. With now the time opts.Now returned and age = now - ModTime, a
// file is stable when
//
//   - age >= MinFileAge, and
//   - the previous look (opts.Previous) saw the same size and modification
//     time or, if there was none, MinFileAge is not NoMinFileAge.
//
// Every other matching file is unstable. Modification times are compared to
// the microsecond, the precision of a PostgreSQL timestamp, so that a time
// stored there and read back compares equal.
//
// Cancellation. Scan checks ctx as it goes. When ctx is done it returns what
// it found so far, with Truncated unset, together with ctx.Err().
func Scan(ctx context.Context, opts ScanOptions) (*ScanResult, error) {
	return scan(ctx, opts, openTopDir)
}

// scan is Scan with the function that opens the datasource directory given:
// tests pass one that changes what the directories say.
func scan(ctx context.Context, opts ScanOptions, open func(path string) (directory, error)) (*ScanResult, error) {
	if opts.Pattern == nil {
		return nil, errors.New("discovery: Scan needs a file pattern")
	}
	dir, err := opts.Roots.Resolve(opts.Dir)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	w := &walker{
		ctx:        ctx,
		open:       open,
		pattern:    opts.Pattern,
		startAfter: opts.StartAfter,
		maxFiles:   opts.MaxFiles,
		judge: stability{
			now:      now(),
			minAge:   opts.MinFileAge,
			previous: opts.Previous,
		},
		res: &ScanResult{Dir: dir},
	}
	if w.maxFiles <= 0 {
		w.maxFiles = DefaultMaxFiles
	}
	if w.judge.minAge == 0 {
		w.judge.minAge = DefaultMinFileAge
	}
	if err := w.walkTop(opts.Dir, dir); err != nil {
		if errors.Is(err, errStop) {
			w.sortFound()
			return w.res, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			w.sortFound()
			return w.res, ctxErr
		}
		return nil, err
	}
	w.sortFound()
	return w.res, nil
}
