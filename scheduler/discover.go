package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/store"
)

// errResumes cancels a walk started from the beginning when the history
// says that this run resumes where the previous one stopped.
var errResumes = errors.New("scheduler: the run resumes an earlier walk")

// DiscoveryWork is the work of a run: scan the datasource's directory and
// return the file versions that are new and complete, with their format and
// record count, for the worker to record with the run.
//
// "New" compares with the latest discovered version of each path, and
// "complete" with the previous look at files that were not stable yet; both
// come from PostgreSQL, so any replica's run continues where the last one
// stopped. Only new files are opened: a rescan of an unchanged directory
// reads its history and writes nothing.
//
// The history is read while the directory is walked (the scan asks for
// previous looks only once its walk is done). The walk starts from the
// beginning, as it does unless the previous run stopped at MaxFilesPerRun;
// if the history says it did, the walk is cancelled and started again where
// that run stopped.
func DiscoveryWork(roots discovery.Roots, st *store.Store) Work {
	return WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		pattern, err := discovery.CompilePattern(ds.FilePattern)
		if err != nil {
			return nil, err
		}
		scan, known, err := scanWithHistory(ctx, roots, st, ds, pattern)
		if err != nil {
			return nil, err
		}
		d := discoveryOf(scan, known)
		if err := inspectNewFiles(ctx, roots, ds, scan, known, d); err != nil {
			return nil, err
		}
		return &WorkResult{Discovery: d}, nil
	})
}

// scanWithHistory walks the datasource's directory while its file history
// is read, and walks again from where the previous run stopped if the
// history says that run stopped at MaxFilesPerRun.
func scanWithHistory(ctx context.Context, roots discovery.Roots, st *store.Store, ds *store.DataSource,
	pattern *discovery.Pattern,
) (*discovery.ScanResult, *store.FileHistory, error) {
	walkCtx, cancelWalk := context.WithCancelCause(ctx)
	defer cancelWalk(nil)
	historyRead := make(chan struct{})
	var (
		history    *store.FileHistory
		historyErr error
	)
	go func() {
		defer close(historyRead)
		history, historyErr = st.FileHistoryGet(ctx, ds.ID)
		if historyErr == nil && history.ResumeAfter != "" {
			cancelWalk(errResumes)
		}
	}()
	getHistory := sync.OnceValues(func() (*store.FileHistory, error) {
		<-historyRead
		if historyErr != nil {
			return nil, fmt.Errorf("read file history: %w", historyErr)
		}
		return history, nil
	})
	scanOpts := discovery.ScanOptions{
		Roots:   roots,
		Dir:     ds.Path,
		Pattern: pattern,
		// Zero means "no wait": the smallest positive age, not the
		// scanner's default.
		MinFileAge: max(ds.MinFileAge, time.Nanosecond),
		MaxFiles:   ds.MaxFilesPerRun,
		Previous: func(path string) (int64, time.Time, bool) {
			history, err := getHistory()
			if err != nil {
				return 0, time.Time{}, false // the run fails below
			}
			if v, ok := history.Looks[path]; ok {
				return v.Size, v.ModTime, true
			}
			v, ok := history.Discovered[path]
			return v.Size, v.ModTime, ok
		},
	}
	scan, scanErr := discovery.Scan(walkCtx, scanOpts)
	known, err := getHistory()
	if err != nil {
		return nil, nil, err
	}
	if known.ResumeAfter != "" {
		scanOpts.StartAfter = known.ResumeAfter
		scan, scanErr = discovery.Scan(ctx, scanOpts)
	}
	if scanErr != nil {
		return nil, nil, scanErr
	}
	return scan, known, nil
}

// discoveryOf starts the run's record from its scan: the entries skipped,
// where the next run resumes, and the files not stable yet.
func discoveryOf(scan *discovery.ScanResult, known *store.FileHistory) *store.FileDiscovery {
	// PostgreSQL keeps microseconds: compare and store at that precision.
	d := &store.FileDiscovery{Looks: map[string]store.FileVersion{}}
	for _, e := range scan.Errors {
		d.Skipped = append(d.Skipped, store.SkippedEntry{Path: e.RelPath, Reason: skipReason(e.Err)})
	}
	if scan.Truncated {
		d.ResumeAfter = scan.ResumeAfter
	}
	for _, f := range scan.Unstable {
		d.Looks[f.RelPath] = store.FileVersion{Size: f.Size, ModTime: f.ModTime.Truncate(time.Microsecond)}
	}
	return d
}

// inspectNewFiles adds to d the stable files that are new versions, with
// their format and record count, and the ones that settled since the
// previous look.
func inspectNewFiles(ctx context.Context, roots discovery.Roots, ds *store.DataSource, scan *discovery.ScanResult,
	known *store.FileHistory, d *store.FileDiscovery,
) error {
	// Files are read through the data root, so that a directory
	// swapped for a symlink since the scan cannot lead out of it.
	rootDir, dirInRoot, ok := roots.Within(scan.Dir)
	if !ok {
		return fmt.Errorf("discovery: %s is no longer inside the data roots", scan.Dir)
	}
	dataRoot, err := os.OpenRoot(rootDir)
	if err != nil {
		return fmt.Errorf("discovery: open data root: %w", err)
	}
	defer dataRoot.Close()
	for _, f := range scan.Stable {
		f.ModTime = f.ModTime.Truncate(time.Microsecond)
		_, looked := known.Looks[f.RelPath]
		if v, ok := known.Discovered[f.RelPath]; ok && v.Size == f.Size && v.ModTime.Equal(f.ModTime) {
			if looked {
				d.Settled = append(d.Settled, f.RelPath)
			}
			continue
		}
		meta, err := discovery.InspectFileIn(ctx, dataRoot, path.Join(dirInRoot, f.RelPath), ds.HashFiles)
		if err == nil && (meta.Size != f.Size || !meta.ModTime.Truncate(time.Microsecond).Equal(f.ModTime)) {
			err = discovery.ErrChanged // since the scan
		}
		if errors.Is(err, discovery.ErrChanged) {
			// Written to as it was read: what was read is no version of
			// it. Wait until it stays as the read left it, as for a file
			// younger than minFileAge.
			d.Looks[f.RelPath] = store.FileVersion{Size: meta.Size, ModTime: meta.ModTime.Truncate(time.Microsecond)}
			continue
		}
		if looked {
			d.Settled = append(d.Settled, f.RelPath)
		}
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			// Gone or unreadable since the scan: the next run sees it again.
			d.Skipped = append(d.Skipped, store.SkippedEntry{Path: f.RelPath, Reason: skipReason(err)})
			continue
		}
		file := store.DiscoveredFile{
			Path: f.RelPath, Size: f.Size, ModTime: f.ModTime, SHA256: meta.SHA256, Format: string(meta.Format),
			ParseError: meta.ParseError,
		}
		if meta.Records >= 0 {
			file.RecordCount = &meta.Records
		}
		d.Files = append(d.Files, file)
	}
	return nil
}

// skipReason says in a few words why the walk skipped an entry.
func skipReason(err error) string {
	switch {
	case errors.Is(err, discovery.ErrSymlinkSkipped):
		return "symbolic link (never followed)"
	case errors.Is(err, discovery.ErrNotRegularFile):
		return "not a regular file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.Is(err, fs.ErrNotExist):
		return "removed during the walk"
	}
	return err.Error()
}
