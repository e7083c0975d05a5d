package store_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/pgtest"
)

// uuid.UUID goes to PostgreSQL and back as its bytes, alone, in arrays,
// behind pointers and as NULL, in both formats.
func TestUUIDRoundTrips(t *testing.T) {
	t.Parallel()
	s, _ := pgtest.NewStore(t)
	ctx := t.Context()
	a, b := uuid.New(), uuid.New()

	var one uuid.UUID
	var text string
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT $1::uuid, $1::uuid::text`, a).Scan(&one, &text))
	require.Equal(t, a, one)
	require.Equal(t, a.String(), text)

	var many []uuid.UUID
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT $1::uuid[]`, []uuid.UUID{a, b}).Scan(&many))
	require.Equal(t, []uuid.UUID{a, b}, many)

	var nullable []*uuid.UUID
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT $1::uuid[]`, []*uuid.UUID{&a, nil}).Scan(&nullable))
	require.Len(t, nullable, 2)
	require.Equal(t, a, *nullable[0])
	require.Nil(t, nullable[1])

	var one2 uuid.UUID
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT $1::uuid`, &b).Scan(&one2))
	require.Equal(t, b, one2)
	var isNull bool
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT $1::uuid IS NULL`, (*uuid.UUID)(nil)).Scan(&isNull))
	require.True(t, isNull)

	var none *uuid.UUID
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT NULL::uuid`).Scan(&none))
	require.Nil(t, none)

	// A uuid read as text, as some views return it.
	var fromText uuid.UUID
	require.NoError(t, s.Pool().QueryRow(ctx, `SELECT $1::text::uuid`, b.String()).Scan(&fromText))
	require.Equal(t, b, fromText)
}
