package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// DataSourceEventsChannel is the NOTIFY channel of datasource writes. Its
// payload is a small JSON object: {"id", "op", "version", "event"}.
const DataSourceEventsChannel = "datasource_events"

// Event kinds written by datasource mutations.
const (
	EventDataSourceCreated = "DATASOURCE_CREATED"
	EventDataSourceUpdated = "DATASOURCE_UPDATED"
	EventDataSourceDeleted = "DATASOURCE_DELETED"
)

// DataSource is a directory to watch, a file pattern and a schedule.
type DataSource struct {
	ID           uuid.UUID
	Name         string
	Description  string
	SupplierName string
	Category     string
	Path         string
	FilePattern  string
	Enabled      bool
	Schedule     Schedule
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Schedule says when a datasource's discovery runs. Exactly one of Cron and
// Interval is set.
type Schedule struct {
	Cron          string
	Interval      time.Duration
	Anchor        time.Time
	Timezone      string
	MisfirePolicy string
	OverlapPolicy string
	Paused        bool
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
	version, created_at, updated_at`

// DataSourceCreate inserts a datasource, records a DATASOURCE_CREATED event
// and notifies DataSourceEventsChannel, in one transaction.
func (s *Store) DataSourceCreate(ctx context.Context, params *DataSourceCreateParams) (*DataSource, error) {
	var ds *DataSource
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		ds, err = scanDataSource(tx.QueryRow(ctx, `
			INSERT INTO datasources (name, description, supplier_name, category, path, file_pattern, enabled,
				schedule_cron, schedule_interval, schedule_anchor, schedule_timezone, misfire_policy, overlap_policy, paused)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			RETURNING `+dataSourceColumns,
			append([]any{params.Name, params.Description, params.SupplierName, params.Category, params.Path,
				params.FilePattern, params.Enabled}, scheduleArgs(&params.Schedule)...)...))
		if err != nil {
			return err
		}
		return recordDataSourceEvent(ctx, tx, EventDataSourceCreated, "create", ds)
	})
	if err != nil {
		return nil, translate(err)
	}
	return ds, nil
}

// DataSourceGetByID returns a live datasource, or ErrNotFound.
func (s *Store) DataSourceGetByID(ctx context.Context, id uuid.UUID) (*DataSource, error) {
	ds, err := scanDataSource(s.pool.QueryRow(ctx,
		`SELECT `+dataSourceColumns+` FROM datasources WHERE id = $1 AND deleted_at IS NULL`, id))
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		current, err := lockLiveDataSource(ctx, tx, params.ID, params.ExpectedVersion)
		if err != nil {
			return err
		}
		next := applyUpdate(*current, params)
		if dataSourceEqual(current, &next) {
			ds = current
			return nil
		}
		ds, err = scanDataSource(tx.QueryRow(ctx, `
			UPDATE datasources SET name = $2, description = $3, supplier_name = $4, category = $5, path = $6,
				file_pattern = $7, enabled = $8, schedule_cron = $9, schedule_interval = $10, schedule_anchor = $11,
				schedule_timezone = $12, misfire_policy = $13, overlap_policy = $14, paused = $15,
				version = version + 1, updated_at = now()
			WHERE id = $1
			RETURNING `+dataSourceColumns,
			append([]any{next.ID, next.Name, next.Description, next.SupplierName, next.Category, next.Path,
				next.FilePattern, next.Enabled}, scheduleArgs(&next.Schedule)...)...))
		if err != nil {
			return err
		}
		return recordDataSourceEvent(ctx, tx, EventDataSourceUpdated, "update", ds)
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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockLiveDataSource(ctx, tx, params.ID, params.ExpectedVersion); err != nil {
			return err
		}
		var err error
		ds, err = scanDataSource(tx.QueryRow(ctx, `
			UPDATE datasources SET deleted_at = now(), updated_at = now(), version = version + 1
			WHERE id = $1
			RETURNING `+dataSourceColumns, params.ID))
		if err != nil {
			return err
		}
		return recordDataSourceEvent(ctx, tx, EventDataSourceDeleted, "delete", ds)
	})
	if err != nil {
		return nil, translate(err)
	}
	return ds, nil
}

// DataSourceList returns a page of live datasources ordered by name (byte
// order), with the total count of datasources that match the filters.
func (s *Store) DataSourceList(ctx context.Context, params *DataSourceListParams) (*DataSourcePage, error) {
	if params.First < 1 {
		return nil, fmt.Errorf("store: page size must be at least 1, got %d", params.First)
	}
	var after *string
	if params.After != "" {
		name, err := decodeNameCursor(params.After)
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

	const filter = `deleted_at IS NULL
		AND ($1::text IS NULL OR name ILIKE $1)
		AND ($2::boolean IS NULL OR enabled = $2)`

	page := &DataSourcePage{}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		// One snapshot for the page and the count, so that they agree.
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM datasources WHERE `+filter, search, params.Enabled).
			Scan(&page.TotalCount); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+dataSourceColumns+` FROM datasources WHERE `+filter+`
			AND ($3::text IS NULL OR name COLLATE "C" > $3::text COLLATE "C")
			ORDER BY name COLLATE "C"
			LIMIT $4`, search, params.Enabled, after, params.First+1)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*DataSource, error) {
			return scanDataSource(row)
		})
		if err != nil {
			return err
		}
		if len(list) > params.First {
			list = list[:params.First]
			page.HasNextPage = true
		}
		page.DataSources = list
		for _, ds := range list {
			page.Cursors = append(page.Cursors, encodeNameCursor(ds.Name))
		}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	return page, nil
}

// lockLiveDataSource locks a live datasource's row for the rest of the
// transaction, and checks the expected version if one is given.
func lockLiveDataSource(ctx context.Context, tx pgx.Tx, id uuid.UUID, expectedVersion *int) (*DataSource, error) {
	current, err := scanDataSource(tx.QueryRow(ctx,
		`SELECT `+dataSourceColumns+` FROM datasources WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, id))
	if err != nil {
		return nil, err
	}
	if expectedVersion != nil && *expectedVersion != current.Version {
		return nil, &VersionConflictError{Expected: *expectedVersion, Actual: current.Version}
	}
	return current, nil
}

// recordDataSourceEvent inserts the event row (with the datasource as it now
// is) and sends the one NOTIFY of the transaction, in a single statement.
func recordDataSourceEvent(ctx context.Context, tx pgx.Tx, kind, op string, ds *DataSource) error {
	_, err := tx.Exec(ctx, `
		WITH e AS (
			INSERT INTO events (kind, datasource_id, payload)
			SELECT $1, d.id, to_jsonb(d) FROM datasources d WHERE d.id = $2
			RETURNING id
		)
		SELECT pg_notify($3, json_build_object('id', $2::uuid, 'op', $4::text, 'version', $5::int, 'event', e.id)::text)
		FROM e`,
		kind, ds.ID, DataSourceEventsChannel, op, ds.Version)
	return err
}

func applyUpdate(ds DataSource, p *DataSourceUpdateParams) DataSource {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&ds.Name, p.Name)
	set(&ds.Description, p.Description)
	set(&ds.SupplierName, p.SupplierName)
	set(&ds.Category, p.Category)
	set(&ds.Path, p.Path)
	set(&ds.FilePattern, p.FilePattern)
	if p.Enabled != nil {
		ds.Enabled = *p.Enabled
	}
	if p.Schedule != nil {
		ds.Schedule = *p.Schedule
	}
	return ds
}

func dataSourceEqual(a, b *DataSource) bool {
	return a.Name == b.Name && a.Description == b.Description && a.SupplierName == b.SupplierName &&
		a.Category == b.Category && a.Path == b.Path && a.FilePattern == b.FilePattern && a.Enabled == b.Enabled &&
		a.Schedule.Cron == b.Schedule.Cron && a.Schedule.Interval == b.Schedule.Interval &&
		a.Schedule.Anchor.Equal(b.Schedule.Anchor) && a.Schedule.Timezone == b.Schedule.Timezone &&
		a.Schedule.MisfirePolicy == b.Schedule.MisfirePolicy && a.Schedule.OverlapPolicy == b.Schedule.OverlapPolicy &&
		a.Schedule.Paused == b.Schedule.Paused
}

// scheduleArgs returns the schedule columns in table order, from
// schedule_cron to paused.
func scheduleArgs(sc *Schedule) []any {
	var cron *string
	interval := pgtype.Interval{}
	if sc.Cron != "" {
		cron = &sc.Cron
	} else {
		interval = pgtype.Interval{Microseconds: sc.Interval.Microseconds(), Valid: true}
	}
	return []any{cron, interval, sc.Anchor, sc.Timezone, sc.MisfirePolicy, sc.OverlapPolicy, sc.Paused}
}

func scanDataSource(row pgx.Row) (*DataSource, error) {
	var (
		ds       DataSource
		cron     *string
		interval pgtype.Interval
	)
	err := row.Scan(&ds.ID, &ds.Name, &ds.Description, &ds.SupplierName, &ds.Category, &ds.Path, &ds.FilePattern,
		&ds.Enabled, &cron, &interval, &ds.Schedule.Anchor, &ds.Schedule.Timezone, &ds.Schedule.MisfirePolicy,
		&ds.Schedule.OverlapPolicy, &ds.Schedule.Paused, &ds.Version, &ds.CreatedAt, &ds.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if cron != nil {
		ds.Schedule.Cron = *cron
	}
	if interval.Valid {
		// Intervals written by hand in psql may use days or months; count a
		// month as 30 days, as PostgreSQL's justify_days does.
		ds.Schedule.Interval = time.Duration(interval.Microseconds)*time.Microsecond +
			time.Duration(interval.Days+30*interval.Months)*24*time.Hour
	}
	return &ds, nil
}

// translate maps database errors to the store's sentinel errors.
func translate(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "datasources_name_live_key" {
		return ErrNameTaken
	}
	return err
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Cursors are opaque to clients; inside, a versioned prefix and the name.
const nameCursorPrefix = "name:"

func encodeNameCursor(name string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(nameCursorPrefix + name))
}

func decodeNameCursor(cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !strings.HasPrefix(string(raw), nameCursorPrefix) {
		return "", ErrInvalidCursor
	}
	return strings.TrimPrefix(string(raw), nameCursorPrefix), nil
}
