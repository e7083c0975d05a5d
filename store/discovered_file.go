package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// DiscoveredFile is one file version a run discovered.
type DiscoveredFile struct {
	ID           int64
	DataSourceID uuid.UUID
	RunID        *int64
	// Path is relative to the datasource directory, as bytes: file names
	// need not be UTF-8. DisplayPath shows it with U+FFFD for those bytes.
	Path         string
	Size         int64
	ModTime      time.Time
	SHA256       string
	Format       string
	RecordCount  *int64
	ParseError   string
	DiscoveredAt time.Time
}

// DisplayPath is Path as valid UTF-8.
func (f *DiscoveredFile) DisplayPath() string { return strings.ToValidUTF8(f.Path, "\uFFFD") }

// FileVersion is what identifies a version of a file besides its path.
type FileVersion struct {
	Size    int64
	ModTime time.Time
}

// FileHistory is what earlier runs knew of a datasource's files, by path.
type FileHistory struct {
	// ResumeAfter is where this run resumes its walk; "" starts over.
	ResumeAfter string
	// Looks holds files seen but not yet stable, as last seen.
	Looks map[string]FileVersion
	// Discovered holds each path's latest discovered version.
	Discovered map[string]FileVersion
}

// FileHistoryGet reads a datasource's file history. It reads one row per
// known path; a rescan that finds nothing new writes nothing.
func (s *Store) FileHistoryGet(ctx context.Context, dataSourceID uuid.UUID) (*FileHistory, error) {
	h := &FileHistory{Looks: map[string]FileVersion{}, Discovered: map[string]FileVersion{}}
	var resume []byte
	if err := s.pool.QueryRow(ctx, `SELECT scan_resume_after FROM datasources WHERE id = $1`, dataSourceID).Scan(&resume); err != nil {
		return nil, translate(err)
	}
	h.ResumeAfter = string(resume)
	read := func(into map[string]FileVersion, sql string) error {
		rows, err := s.pool.Query(ctx, sql, dataSourceID)
		if err != nil {
			return err
		}
		var (
			path []byte
			v    FileVersion
		)
		_, err = pgx.ForEachRow(rows, []any{&path, &v.Size, &v.ModTime}, func() error {
			into[string(path)] = v
			return nil
		})
		return err
	}
	if err := read(h.Looks, `SELECT path_bytes, size, mtime FROM file_looks WHERE datasource_id = $1`); err != nil {
		return nil, err
	}
	if err := read(h.Discovered, `
		SELECT DISTINCT ON (path_bytes) path_bytes, size, mtime FROM discovered_files
		WHERE datasource_id = $1 ORDER BY path_bytes, id DESC`); err != nil {
		return nil, err
	}
	return h, nil
}

// FileDiscovery is what one run records.
type FileDiscovery struct {
	// Files are the new stable versions.
	Files []DiscoveredFile
	// Looks are the files not yet stable, as seen now.
	Looks map[string]FileVersion
	// Settled are paths whose look is no longer needed (now stable).
	Settled []string
	// ResumeAfter is where the next run resumes its walk; "" starts over.
	ResumeAfter string
	// Skipped are the entries the walk skipped; the run records them.
	Skipped []SkippedEntry
}

// FileDiscoveryTotals counts what FilesRecord inserted.
type FileDiscoveryTotals struct {
	Files   int
	Bytes   int64
	Records int64
}

// FilesRecord records a run's discoveries in one statement per table:
// new versions (a version already recorded, by a retry or a replayed run,
// is left alone), the looks at unstable files, and the looks no longer
// needed. It returns the totals of what was inserted.
func (t *Tx) FilesRecord(ctx context.Context, dataSourceID uuid.UUID, runID int64, d *FileDiscovery) (*FileDiscoveryTotals, error) {
	totals := &FileDiscoveryTotals{}
	if n := len(d.Files); n > 0 {
		var (
			paths    = make([]string, n)
			raw      = make([][]byte, n)
			sizes    = make([]int64, n)
			mtimes   = make([]time.Time, n)
			hashes   = make([]*string, n)
			formats  = make([]string, n)
			counts   = make([]*int64, n)
			problems = make([]*string, n)
		)
		for i, f := range d.Files {
			paths[i], raw[i], sizes[i], mtimes[i], formats[i], counts[i] = f.DisplayPath(), []byte(f.Path), f.Size, f.ModTime, f.Format, f.RecordCount
			if f.SHA256 != "" {
				hashes[i] = &d.Files[i].SHA256
			}
			if f.ParseError != "" {
				problems[i] = &d.Files[i].ParseError
			}
		}
		err := t.tx.QueryRow(ctx, `
			WITH inserted AS (
				INSERT INTO discovered_files (datasource_id, run_id, path, path_bytes, size, mtime, sha256, format, record_count, parse_error)
				SELECT $1, $2, * FROM unnest($3::text[], $4::bytea[], $5::bigint[], $6::timestamptz[], $7::text[], $8::text[], $9::bigint[], $10::text[])
				ON CONFLICT (datasource_id, path_bytes, size, mtime) DO NOTHING
				RETURNING size, record_count
			)
			SELECT count(*), coalesce(sum(size), 0), coalesce(sum(record_count), 0) FROM inserted`,
			dataSourceID, runID, paths, raw, sizes, mtimes, hashes, formats, counts, problems).
			Scan(&totals.Files, &totals.Bytes, &totals.Records)
		if err != nil {
			return nil, err
		}
	}
	if len(d.Looks) > 0 {
		var (
			raw    [][]byte
			sizes  []int64
			mtimes []time.Time
		)
		for path, v := range d.Looks {
			raw, sizes, mtimes = append(raw, []byte(path)), append(sizes, v.Size), append(mtimes, v.ModTime)
		}
		if _, err := t.tx.Exec(ctx, `
			INSERT INTO file_looks (datasource_id, path_bytes, size, mtime)
			SELECT $1, * FROM unnest($2::bytea[], $3::bigint[], $4::timestamptz[])
			ON CONFLICT (datasource_id, path_bytes) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, looked_at = now()`,
			dataSourceID, raw, sizes, mtimes); err != nil {
			return nil, err
		}
	}
	if len(d.Settled) > 0 {
		raw := make([][]byte, len(d.Settled))
		for i, p := range d.Settled {
			raw[i] = []byte(p)
		}
		if _, err := t.tx.Exec(ctx, `DELETE FROM file_looks WHERE datasource_id = $1 AND path_bytes = ANY($2)`, dataSourceID, raw); err != nil {
			return nil, err
		}
	}
	var resume []byte
	if d.ResumeAfter != "" {
		resume = []byte(d.ResumeAfter)
	}
	// Only a change is written: a rescan that started and ended at the
	// beginning writes nothing.
	if _, err := t.tx.Exec(ctx, `UPDATE datasources SET scan_resume_after = $2
		WHERE id = $1 AND scan_resume_after IS DISTINCT FROM $2`, dataSourceID, resume); err != nil {
		return nil, err
	}
	return totals, nil
}

// DiscoveredFileListParams select a page of discovered files, newest first.
type DiscoveredFileListParams struct {
	DataSourceID uuid.UUID
	// RunID, when set, keeps the files that run discovered.
	RunID *int64
	First int
	After string
	// SkipTotal leaves TotalCount 0, uncounted: the caller does not show it.
	SkipTotal bool
}

// DiscoveredFilePage is one page of DiscoveredFileList.
type DiscoveredFilePage struct {
	Files       []*DiscoveredFile
	Cursors     []string
	HasNextPage bool
	TotalCount  int
}

const discoveredFileColumns = `id, datasource_id, run_id, path_bytes, size, mtime, coalesce(sha256, ''), format,
	record_count, coalesce(parse_error, ''), discovered_at`

// DiscoveredFileList returns a page of a datasource's discovered files,
// newest first.
func (s *Store) DiscoveredFileList(ctx context.Context, params *DiscoveredFileListParams) (*DiscoveredFilePage, error) {
	var after *int64
	if params.After != "" {
		id, err := decodeInt64Cursor(cursorID, params.After)
		if err != nil {
			return nil, err
		}
		after = &id
	}
	const filter = `datasource_id = $1 AND ($2::bigint IS NULL OR run_id = $2)`
	page, err := readPage(ctx, s.pool, params.First,
		countUnless(params.SkipTotal, `SELECT count(*) FROM discovered_files WHERE `+filter), []any{params.DataSourceID, params.RunID},
		`SELECT `+discoveredFileColumns+` FROM discovered_files WHERE `+filter+`
			AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`, []any{params.DataSourceID, params.RunID, after},
		scanDiscoveredFile,
		func(f *DiscoveredFile) string { return encodeCursor(cursorID, strconv.FormatInt(f.ID, 10)) })
	if err != nil {
		return nil, err
	}
	return &DiscoveredFilePage{Files: page.items, Cursors: page.cursors, HasNextPage: page.hasNext, TotalCount: page.total}, nil
}

func scanDiscoveredFile(row pgx.CollectableRow) (*DiscoveredFile, error) {
	var (
		f    DiscoveredFile
		path []byte
	)
	err := row.Scan(&f.ID, &f.DataSourceID, &f.RunID, &path, &f.Size, &f.ModTime, &f.SHA256, &f.Format,
		&f.RecordCount, &f.ParseError, &f.DiscoveredAt)
	f.Path = string(path)
	return &f, err
}

// DiscoveredFileTotals sums each datasource's discovered files, in one
// query; a datasource without files gets zero totals.
func (s *Store) DiscoveredFileTotals(ctx context.Context, dataSourceIDs []uuid.UUID) (map[uuid.UUID]*FileDiscoveryTotals, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT datasource_id, count(*), sum(size), coalesce(sum(record_count), 0)
		FROM discovered_files WHERE datasource_id = ANY($1) GROUP BY datasource_id`, dataSourceIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*FileDiscoveryTotals, len(dataSourceIDs))
	for _, id := range dataSourceIDs {
		out[id] = &FileDiscoveryTotals{}
	}
	var (
		id uuid.UUID
		t  FileDiscoveryTotals
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &t.Files, &t.Bytes, &t.Records}, func() error {
		totals := t
		out[id] = &totals
		return nil
	})
	return out, err
}

// FileDay is what a datasource's runs discovered on one calendar day.
type FileDay struct {
	// Day is the date, YYYY-MM-DD, in the schedule's time zone.
	Day     string
	Files   int
	Bytes   int64
	Records int64
}

// FilesPerDayParams select the days FilesPerDay reads.
type FilesPerDayParams struct {
	DataSourceID uuid.UUID
	// Days is how many calendar days, ending with today, at least 1.
	Days int
	// Now fixes "today"; nil means the database's now().
	Now *time.Time
}

// FilesPerDay counts a datasource's discovered files by the calendar day, in
// its schedule's time zone, on which they were discovered: one row per day
// of the last params.Days days, oldest first, days without files included
// as zeros. It returns ErrNotFound when the datasource does not exist.
func (s *Store) FilesPerDay(ctx context.Context, params *FilesPerDayParams) ([]*FileDay, error) {
	if params.Days < 1 {
		return nil, fmt.Errorf("store: days must be at least 1, got %d", params.Days)
	}
	// A day runs from local midnight to the next in the schedule's zone.
	// Bounding discovered_at by the window's first and last midnight, as
	// instants, keeps the (datasource_id, discovered_at) index scan to the
	// window. AT TIME ZONE makes a day 23 or 25 hours long across a DST
	// change, and a midnight that does not exist the day's first instant.
	// Every cast is explicit, so that the session's TimeZone plays no part.
	rows, err := s.pool.Query(ctx, `
		WITH zone AS (
			SELECT schedule_timezone AS name,
			       (coalesce($2::timestamptz, now()) AT TIME ZONE schedule_timezone)::date AS today
			FROM datasources WHERE id = $1
		), span AS (
			SELECT name, (today - ($3::int - 1))::timestamp AS first_day, today::timestamp AS last_day FROM zone
		), per_day AS (
			SELECT (f.discovered_at AT TIME ZONE span.name)::date AS day,
			       count(*) AS files, sum(f.size) AS bytes, coalesce(sum(f.record_count), 0) AS records
			FROM span JOIN discovered_files f ON f.datasource_id = $1
			 AND f.discovered_at >= (span.first_day AT TIME ZONE span.name)
			 AND f.discovered_at < ((span.last_day + interval '1 day') AT TIME ZONE span.name)
			GROUP BY 1
		)
		SELECT to_char(d.day, 'YYYY-MM-DD'), coalesce(p.files, 0), coalesce(p.bytes, 0), coalesce(p.records, 0)
		FROM span CROSS JOIN generate_series(span.first_day, span.last_day, interval '1 day') AS d (day)
		LEFT JOIN per_day p ON p.day = d.day::date
		ORDER BY d.day`, params.DataSourceID, params.Now, params.Days)
	if err != nil {
		return nil, err
	}
	days, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*FileDay, error) {
		var d FileDay
		err := row.Scan(&d.Day, &d.Files, &d.Bytes, &d.Records)
		return &d, err
	})
	if err != nil {
		return nil, err
	}
	if len(days) == 0 {
		return nil, ErrNotFound
	}
	return days, nil
}
