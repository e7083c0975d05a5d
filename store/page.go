package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// keysetPage is one page of a list read by readPage.
type keysetPage[T any] struct {
	items   []T
	cursors []string
	hasNext bool
	total   int
}

// countUnless is countSQL, or "" (no count) if skip.
func countUnless(skip bool, countSQL string) string {
	if skip {
		return ""
	}
	return countSQL
}

// readPage reads up to first items with listSQL and the total with
// countSQL (unless countSQL is ""), in one read-only snapshot so that they
// agree. listSQL ends with a LIMIT on the parameter after listArgs:
// readPage asks for one more item than first, to know whether a next page
// exists. With a count, the transaction and both statements go in one
// batch: one round trip, where BEGIN, count, list and COMMIT one by one
// took four. Without, the list is one statement.
func readPage[T any](ctx context.Context, pool *pgxpool.Pool, first int,
	countSQL string, countArgs []any, listSQL string, listArgs []any,
	scan func(pgx.CollectableRow) (T, error), cursor func(T) string,
) (*keysetPage[T], error) {
	if first < 1 {
		return nil, fmt.Errorf("store: page size must be at least 1, got %d", first)
	}
	page := &keysetPage[T]{}
	listArgs = append(listArgs, first+1)
	if countSQL == "" {
		// One statement is its own snapshot: no transaction to begin.
		rows, err := pool.Query(ctx, listSQL, listArgs...)
		if err != nil {
			return nil, translate(err)
		}
		if page.items, err = pgx.CollectRows(rows, scan); err != nil {
			return nil, translate(err)
		}
	} else {
		batch := &pgx.Batch{}
		batch.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
		batch.Queue(countSQL, countArgs...).QueryRow(func(row pgx.Row) error { return row.Scan(&page.total) })
		batch.Queue(listSQL, listArgs...).Query(func(rows pgx.Rows) error {
			items, err := pgx.CollectRows(rows, scan)
			page.items = items
			return err
		})
		batch.Queue("COMMIT")
		// A batch that fails leaves its connection in the aborted
		// transaction; the pool then closes it rather than reuse it.
		if err := pool.SendBatch(ctx, batch).Close(); err != nil {
			return nil, translate(err)
		}
	}
	if len(page.items) > first {
		page.items, page.hasNext = page.items[:first], true
	}
	for _, item := range page.items {
		page.cursors = append(page.cursors, cursor(item))
	}
	return page, nil
}
