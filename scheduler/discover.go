package scheduler

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/store"
)

// DiscoveryWork is the work of a run: scan the datasource's directory and
// return the file versions that are new and complete, with their format and
// record count, for the worker to record with the run.
//
// "New" compares with the latest discovered version of each path, and
// "complete" with the previous look at files that were not stable yet; both
// come from PostgreSQL, so any replica's run continues where the last one
// stopped. Only new files are opened: a rescan of an unchanged directory
// reads its history and writes nothing.
func DiscoveryWork(roots discovery.Roots, st *store.Store) Work {
	return WorkFunc(func(ctx context.Context, ds *store.DataSource, run *store.Run) (*WorkResult, error) {
		pattern, err := discovery.CompilePattern(ds.FilePattern)
		if err != nil {
			return nil, err
		}
		history, err := st.FileHistoryGet(ctx, ds.ID)
		if err != nil {
			return nil, fmt.Errorf("read file history: %w", err)
		}
		scan, err := discovery.Scan(ctx, discovery.ScanOptions{
			Roots:   roots,
			Dir:     ds.Path,
			Pattern: pattern,
			// Zero means "no wait": the smallest positive age, not the
			// scanner's default.
			MinFileAge: max(ds.MinFileAge, time.Nanosecond),
			MaxFiles:   ds.MaxFilesPerRun,
			StartAfter: history.ResumeAfter,
			Previous: func(path string) (int64, time.Time, bool) {
				if v, ok := history.Looks[path]; ok {
					return v.Size, v.ModTime, true
				}
				v, ok := history.Discovered[path]
				return v.Size, v.ModTime, ok
			},
		})
		if err != nil {
			return nil, err
		}

		// PostgreSQL keeps microseconds: compare and store at that precision.
		d := &store.FileDiscovery{Looks: map[string]store.FileVersion{}}
		if scan.Truncated {
			d.ResumeAfter = scan.ResumeAfter
		}
		for _, f := range scan.Unstable {
			d.Looks[f.RelPath] = store.FileVersion{Size: f.Size, ModTime: f.ModTime.Truncate(time.Microsecond)}
		}
		for _, f := range scan.Stable {
			f.ModTime = f.ModTime.Truncate(time.Microsecond)
			if _, ok := history.Looks[f.RelPath]; ok {
				d.Settled = append(d.Settled, f.RelPath)
			}
			if known, ok := history.Discovered[f.RelPath]; ok && known.Size == f.Size && known.ModTime.Equal(f.ModTime) {
				continue
			}
			meta, err := discovery.InspectFile(ctx, filepath.Join(scan.Dir, filepath.FromSlash(f.RelPath)), ds.HashFiles)
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				// Gone or unreadable since the scan: the next run sees it again.
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
		return &WorkResult{Discovery: d}, nil
	})
}
