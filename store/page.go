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

// readPage reads up to first items with listSQL and the total with
// countSQL, in one read-only snapshot so that they agree. listSQL ends with
// a LIMIT on the parameter after listArgs: readPage asks for one more item
// than first, to know whether a next page exists.
func readPage[T any](ctx context.Context, pool *pgxpool.Pool, first int,
	countSQL string, countArgs []any, listSQL string, listArgs []any,
	scan func(pgx.CollectableRow) (T, error), cursor func(T) string,
) (*keysetPage[T], error) {
	if first < 1 {
		return nil, fmt.Errorf("store: page size must be at least 1, got %d", first)
	}
	page := &keysetPage[T]{}
	err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, countSQL, countArgs...).Scan(&page.total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, listSQL, append(listArgs, first+1)...)
		if err != nil {
			return err
		}
		items, err := pgx.CollectRows(rows, scan)
		if err != nil {
			return err
		}
		if len(items) > first {
			items, page.hasNext = items[:first], true
		}
		page.items = items
		for _, item := range items {
			page.cursors = append(page.cursors, cursor(item))
		}
		return nil
	})
	if err != nil {
		return nil, translate(err)
	}
	return page, nil
}
