package store

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// DataSourceEventsChannel is the NOTIFY channel of datasource writes (see
// ScheduleEventsChannel for the payload).
const DataSourceEventsChannel = "datasource_events"

// Event kinds written by datasource mutations.
const (
	EventDataSourceCreated = "DATASOURCE_CREATED"
	EventDataSourceUpdated = "DATASOURCE_UPDATED"
	EventDataSourceDeleted = "DATASOURCE_DELETED"
)

// DataSource is a directory to watch, a file pattern and a schedule.
type DataSource struct {
	// The JSON names are the column names, as in psql; durations are in
	// nanoseconds.
	ID           uuid.UUID `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	SupplierName string    `json:"supplier_name"`
	Category     string    `json:"category"`
	Path         string    `json:"path"`
	FilePattern  string    `json:"file_pattern"`
	Enabled      bool      `json:"enabled"`
	Schedule     Schedule  `json:"schedule"`
	// MaxAttempts is how many attempts a run gets before it is FAILED.
	MaxAttempts int `json:"max_attempts"`
	// RunTimeout bounds one attempt.
	RunTimeout time.Duration `json:"run_timeout"`
	// Discovery settings: how long a file must be unmodified, whether to
	// hash files, and how many candidate files one run handles.
	MinFileAge     time.Duration `json:"min_file_age"`
	HashFiles      bool          `json:"hash_files"`
	MaxFilesPerRun int           `json:"max_files_per_run"`
	// NextRunAt is the next slot the leader will plan: nil while the leader
	// has yet to compute it (and for paused or disabled schedules), and
	// NeverTime for a schedule that never fires again.
	NextRunAt *time.Time `json:"next_run_at"`
	Version   int        `json:"version"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// DeletedAt is set once the datasource is deleted.
	DeletedAt *time.Time `json:"deleted_at"`
}

// NeverTime stands for PostgreSQL's 'infinity' in next_run_at: a schedule
// that never fires again.
var NeverTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// Defaults of the run settings of a datasource.
const (
	DefaultMaxAttempts    = 3
	DefaultRunTimeout     = 10 * time.Minute
	DefaultMinFileAge     = 2 * time.Second
	DefaultMaxFilesPerRun = 100_000
)

// Schedule says when a datasource's discovery runs. Exactly one of Cron and
// Interval is set.
type Schedule struct {
	Cron          string        `json:"cron,omitempty"`
	Interval      time.Duration `json:"interval,omitempty"`
	Anchor        time.Time     `json:"anchor"`
	Timezone      string        `json:"timezone"`
	MisfirePolicy string        `json:"misfire_policy"`
	OverlapPolicy string        `json:"overlap_policy"`
	Paused        bool          `json:"paused"`
}

// DataSourceCreateParams are the fields of a new datasource. The caller has
// validated them.
type DataSourceCreateParams struct {
	Name         string
	Description  string
	SupplierName string
	Category     string
	Path         string
	FilePattern  string
	Enabled      bool
	Schedule     Schedule
	// MaxAttempts, RunTimeout and MaxFilesPerRun default when zero;
	// MinFileAge defaults when nil.
	MaxAttempts    int
	RunTimeout     time.Duration
	MinFileAge     *time.Duration
	HashFiles      bool
	MaxFilesPerRun int
}

// DataSourceUpdateParams changes the fields that are non-nil. The caller has
// validated them.
type DataSourceUpdateParams struct {
	ID uuid.UUID
	// ExpectedVersion, when set, makes the update fail with a
	// *VersionConflictError unless it is the current version.
	ExpectedVersion *int

	Name         *string
	Description  *string
	SupplierName *string
	Category     *string
	Path         *string
	FilePattern  *string
	Enabled      *bool
	Schedule     *Schedule
	// Paused, when set, pauses or resumes the schedule (after Schedule, if
	// both are given). A resumed schedule restarts at its next slot after
	// now.
	Paused         *bool
	MaxAttempts    *int
	RunTimeout     *time.Duration
	MinFileAge     *time.Duration
	HashFiles      *bool
	MaxFilesPerRun *int
}

// DataSourceDeleteParams names the datasource to delete.
type DataSourceDeleteParams struct {
	ID              uuid.UUID
	ExpectedVersion *int
}

// DataSourceListParams selects a page of live datasources, ordered by name.
type DataSourceListParams struct {
	// First is the page size (at least 1).
	First int
	// After is the cursor of the last item of the previous page, or "".
	After string
	// Search keeps datasources whose name contains it, ignoring case.
	Search string
	// Enabled, when set, keeps datasources with that enabled flag.
	Enabled *bool
	// SkipTotal leaves TotalCount 0, uncounted: the caller does not show it.
	SkipTotal bool
	// Columns, when not nil, reads only these columns (as named in
	// dataSourceColumns) and id and name: the other fields of the page's
	// datasources are left zero.
	Columns []string
}

// DataSourcePage is one page of DataSourceList.
type DataSourcePage struct {
	DataSources []*DataSource
	// Cursors[i] is the cursor of DataSources[i].
	Cursors     []string
	HasNextPage bool
	TotalCount  int
}

// ErrInvalidCursor is returned for a pagination cursor this store did not make.
var ErrInvalidCursor = errors.New("store: invalid cursor")

const dataSourceColumns = `id, name, description, supplier_name, category, path, file_pattern, enabled,
	schedule_cron, schedule_interval, schedule_anchor, schedule_timezone, misfire_policy, overlap_policy, paused,
	max_attempts, run_timeout, min_file_age, hash_files, max_files_per_run, next_run_at, version, created_at, updated_at,
	deleted_at`

// DataSourceCreate inserts a datasource, records a DATASOURCE_CREATED event
// and notifies DataSourceEventsChannel, in one transaction.
func (s *Store) DataSourceCreate(ctx context.Context, params *DataSourceCreateParams) (*DataSource, error) {
	var ds *DataSource
	err := s.InTx(ctx, func(stx *Tx) error {
		tx := stx.tx
		var err error
		ds, err = scanDataSource(tx.QueryRow(ctx, `
			INSERT INTO datasources (name, description, supplier_name, category, path, file_pattern, enabled,
				schedule_cron, schedule_interval, schedule_anchor, schedule_timezone, misfire_policy, overlap_policy, paused,
				max_attempts, run_timeout, min_file_age, hash_files, max_files_per_run)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
			RETURNING `+dataSourceColumns,
			append(append([]any{params.Name, params.Description, params.SupplierName, params.Category, params.Path,
				params.FilePattern, params.Enabled}, scheduleArgs(&params.Schedule)...),
				cmp.Or(params.MaxAttempts, DefaultMaxAttempts), durationArg(cmp.Or(params.RunTimeout, DefaultRunTimeout)),
				durationArg(valueOr(params.MinFileAge, DefaultMinFileAge)), params.HashFiles,
				cmp.Or(params.MaxFilesPerRun, DefaultMaxFilesPerRun))...))
		if err != nil {
			return err
		}
		return stx.recordEvent(EventDataSourceCreated, &ds.ID, nil, ds)
	})
	if err != nil {
		return nil, translate(err)
	}
	return ds, nil
}

// DataSourceGetByID returns a live datasource, or ErrNotFound.
func (s *Store) DataSourceGetByID(ctx context.Context, id uuid.UUID) (*DataSource, error) {
	return s.DataSourceGetByIDColumns(ctx, id, nil)
}

// DataSourceGetByIDColumns is DataSourceGetByID reading, when columns is
// not nil, only those columns and id and name, as DataSourceList does.
func (s *Store) DataSourceGetByIDColumns(ctx context.Context, id uuid.UUID, columns []string) (*DataSource, error) {
	cols, err := dataSourceProjection(columns)
	if err != nil {
		return nil, err
	}
	ds, err := scanDataSourceWith(cols, s.pool.QueryRow(ctx, `SELECT `+cols.sql+` FROM datasources WHERE id = $1 AND deleted_at IS NULL`, id))
	if err != nil {
		return nil, translate(err)
	}
	return ds, nil
}

// DataSourceUpdate applies the non-nil fields of params, bumps the version,
// records a DATASOURCE_UPDATED event and notifies, in one transaction. An
// update that changes nothing writes nothing and returns the datasource as it is.
func (s *Store) DataSourceUpdate(ctx context.Context, params *DataSourceUpdateParams) (*DataSource, error) {
	var ds *DataSource
	err := s.InTx(ctx, func(stx *Tx) error {
		tx := stx.tx
		current, err := lockLiveDataSource(ctx, tx, params.ID, params.ExpectedVersion)
		if err != nil {
			return err
		}
		next := applyUpdate(*current, params)
		if dataSourceEqual(current, &next) {
			ds = current
			return nil
		}
		// A changed schedule is re-planned by the leader from now on: NULL
		// next_run_at tells it to compute the next slot afresh.
		replan := !scheduleEqual(&current.Schedule, &next.Schedule) || current.Enabled != next.Enabled
		ds, err = scanDataSource(tx.QueryRow(ctx, `
			UPDATE datasources SET name = $2, description = $3, supplier_name = $4, category = $5, path = $6,
				file_pattern = $7, enabled = $8, schedule_cron = $9, schedule_interval = $10, schedule_anchor = $11,
				schedule_timezone = $12, misfire_policy = $13, overlap_policy = $14, paused = $15,
				max_attempts = $16, run_timeout = $17, min_file_age = $19, hash_files = $20, max_files_per_run = $21,
				next_run_at = CASE WHEN $18 THEN NULL ELSE next_run_at END,
				version = version + 1, updated_at = now()
			WHERE id = $1
			RETURNING `+dataSourceColumns,
			append(append([]any{next.ID, next.Name, next.Description, next.SupplierName, next.Category, next.Path,
				next.FilePattern, next.Enabled}, scheduleArgs(&next.Schedule)...),
				next.MaxAttempts, durationArg(next.RunTimeout), replan,
				durationArg(next.MinFileAge), next.HashFiles, next.MaxFilesPerRun)...))
		if err != nil {
			return err
		}
		if current.Schedule.Paused != next.Schedule.Paused {
			if err := stx.recordPauseEvent(ds); err != nil {
				return err
			}
		}
		return stx.recordEvent(EventDataSourceUpdated, &ds.ID, nil, ds)
	})
	if err != nil {
		return nil, translate(err)
	}
	return ds, nil
}

// DataSourceDelete marks a live datasource deleted, records a
// DATASOURCE_DELETED event and notifies, in one transaction. It returns the
// datasource as it was, with its final version. The row stays, so that its
// history stays readable, and its name becomes free.
func (s *Store) DataSourceDelete(ctx context.Context, params *DataSourceDeleteParams) (*DataSource, error) {
	var ds *DataSource
	err := s.InTx(ctx, func(stx *Tx) error {
		tx := stx.tx
		if _, err := lockLiveDataSource(ctx, tx, params.ID, params.ExpectedVersion); err != nil {
			return err
		}
		var err error
		ds, err = scanDataSource(tx.QueryRow(ctx, `
			UPDATE datasources SET deleted_at = now(), updated_at = now(), version = version + 1, next_run_at = NULL
			WHERE id = $1
			RETURNING `+dataSourceColumns, params.ID))
		if err != nil {
			return err
		}
		if err := stx.runsCancelPending(ctx, ds.ID); err != nil {
			return err
		}
		return stx.recordEvent(EventDataSourceDeleted, &ds.ID, nil, ds)
	})
	if err != nil {
		return nil, translate(err)
	}
	return ds, nil
}

// DataSourceList returns a page of live datasources ordered by name (byte
// order), with the total count of datasources that match the filters.
func (s *Store) DataSourceList(ctx context.Context, params *DataSourceListParams) (*DataSourcePage, error) {
	var after *string
	if params.After != "" {
		name, err := decodeCursor(cursorName, params.After)
		if err != nil {
			return nil, err
		}
		after = &name
	}
	var search *string
	if params.Search != "" {
		pattern := "%" + likeEscaper.Replace(params.Search) + "%"
		search = &pattern
	}

	cols, err := dataSourceProjection(params.Columns)
	if err != nil {
		return nil, err
	}
	const filter = `deleted_at IS NULL
		AND ($1::text IS NULL OR name ILIKE $1)
		AND ($2::boolean IS NULL OR enabled = $2)`
	page, err := readPage(ctx, s.pool, params.First,
		countUnless(params.SkipTotal, `SELECT count(*) FROM datasources WHERE `+filter), []any{search, params.Enabled},
		`SELECT `+cols.sql+` FROM datasources WHERE `+filter+`
			AND ($3::text IS NULL OR name COLLATE "C" > $3::text COLLATE "C")
			ORDER BY name COLLATE "C" LIMIT $4`, []any{search, params.Enabled, after},
		func(row pgx.CollectableRow) (*DataSource, error) { return scanDataSourceWith(cols, row) },
		func(ds *DataSource) string { return encodeCursor(cursorName, ds.Name) })
	if err != nil {
		return nil, err
	}
	return &DataSourcePage{DataSources: page.items, Cursors: page.cursors, HasNextPage: page.hasNext, TotalCount: page.total}, nil
}

// recordPauseEvent records that a schedule was paused or resumed.
func (t *Tx) recordPauseEvent(ds *DataSource) error {
	kind := EventScheduleResumed
	if ds.Schedule.Paused {
		kind = EventSchedulePaused
	}
	return t.recordEvent(kind, &ds.ID, nil, &SchedulePauseEvent{DataSourceID: ds.ID, Paused: ds.Schedule.Paused, Version: ds.Version})
}

// lockLiveDataSource locks a live datasource's row for the rest of the
// transaction, and checks the expected version if one is given. FOR NO KEY
// UPDATE excludes the planner and other mutations, but not the inserts of
// runs and events that reference the row (see SchedulesDue).
func lockLiveDataSource(ctx context.Context, tx pgx.Tx, id uuid.UUID, expectedVersion *int) (*DataSource, error) {
	current, err := scanDataSource(tx.QueryRow(ctx,
		`SELECT `+dataSourceColumns+` FROM datasources WHERE id = $1 AND deleted_at IS NULL FOR NO KEY UPDATE`, id))
	if err != nil {
		return nil, err
	}
	if expectedVersion != nil && *expectedVersion != current.Version {
		return nil, &VersionConflictError{Expected: *expectedVersion, Actual: current.Version}
	}
	return current, nil
}

func applyUpdate(ds DataSource, p *DataSourceUpdateParams) DataSource {
	setIf(&ds.Name, p.Name)
	setIf(&ds.Description, p.Description)
	setIf(&ds.SupplierName, p.SupplierName)
	setIf(&ds.Category, p.Category)
	setIf(&ds.Path, p.Path)
	setIf(&ds.FilePattern, p.FilePattern)
	setIf(&ds.Enabled, p.Enabled)
	setIf(&ds.Schedule, p.Schedule)
	setIf(&ds.Schedule.Paused, p.Paused)
	setIf(&ds.MaxAttempts, p.MaxAttempts)
	setIf(&ds.RunTimeout, p.RunTimeout)
	setIf(&ds.MinFileAge, p.MinFileAge)
	setIf(&ds.HashFiles, p.HashFiles)
	setIf(&ds.MaxFilesPerRun, p.MaxFilesPerRun)
	return ds
}

// setIf sets *dst to *src when src is not nil.
func setIf[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}

func valueOr[T any](p *T, fallback T) T {
	if p == nil {
		return fallback
	}
	return *p
}

func dataSourceEqual(a, b *DataSource) bool {
	return a.Name == b.Name && a.Description == b.Description && a.SupplierName == b.SupplierName &&
		a.Category == b.Category && a.Path == b.Path && a.FilePattern == b.FilePattern && a.Enabled == b.Enabled &&
		scheduleEqual(&a.Schedule, &b.Schedule) && a.MaxAttempts == b.MaxAttempts && a.RunTimeout == b.RunTimeout &&
		a.MinFileAge == b.MinFileAge && a.HashFiles == b.HashFiles && a.MaxFilesPerRun == b.MaxFilesPerRun
}

func scheduleEqual(a, b *Schedule) bool {
	return a.Cron == b.Cron && a.Interval == b.Interval && a.Anchor.Equal(b.Anchor) && a.Timezone == b.Timezone &&
		a.MisfirePolicy == b.MisfirePolicy && a.OverlapPolicy == b.OverlapPolicy && a.Paused == b.Paused
}

func durationArg(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

func intervalDuration(iv pgtype.Interval) time.Duration {
	// Intervals written by hand in psql may use days or months; count a
	// month as 30 days, as PostgreSQL's justify_days does.
	return time.Duration(iv.Microseconds)*time.Microsecond + time.Duration(iv.Days+30*iv.Months)*24*time.Hour
}

// scheduleArgs returns the schedule columns in table order, from
// schedule_cron to paused.
func scheduleArgs(sc *Schedule) []any {
	var cron *string
	interval := pgtype.Interval{}
	if sc.Cron != "" {
		cron = &sc.Cron
	} else {
		interval = durationArg(sc.Interval)
	}
	return []any{cron, interval, sc.Anchor, sc.Timezone, sc.MisfirePolicy, sc.OverlapPolicy, sc.Paused}
}

func scanDataSource(row pgx.Row) (*DataSource, error) {
	return scanDataSourceWith(allDataSourceColumns, row)
}

// timeFromTimestamptz maps NULL to nil and infinity to NeverTime.
func timeFromTimestamptz(ts pgtype.Timestamptz) *time.Time {
	switch {
	case !ts.Valid:
		return nil
	case ts.InfinityModifier == pgtype.Infinity:
		return &NeverTime
	default:
		t := ts.Time
		return &t
	}
}

// timestamptzArg maps NeverTime to infinity.
func timestamptzArg(t time.Time) pgtype.Timestamptz {
	if !t.Before(NeverTime) {
		return pgtype.Timestamptz{InfinityModifier: pgtype.Infinity, Valid: true}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// translate maps database errors to the store's sentinel errors.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && (pgErr.ConstraintName == "datasources_name_live_key" || pgErr.ConstraintName == "api_tokens_name_key") {
		return ErrNameTaken
	}
	return err
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
