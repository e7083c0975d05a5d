package scalar

import (
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestInt64IDRoundTrips(t *testing.T) {
	for _, id := range []int64{0, 1, 42, math.MaxInt64, math.MinInt64} {
		var buf bytes.Buffer
		MarshalInt64ID(id).MarshalGQL(&buf)
		require.Equal(t, strconv.Quote(strconv.FormatInt(id, 10)), buf.String())
		got, err := UnmarshalInt64ID(strconv.FormatInt(id, 10))
		require.NoError(t, err)
		require.Equal(t, id, got)
	}
	for _, bad := range []any{"", "abc", "1.5", "9223372036854775808", " 1", true, nil} {
		_, err := UnmarshalInt64ID(bad)
		require.Error(t, err, "%v", bad)
	}
}

func TestUUIDIDWritesTheCanonicalForm(t *testing.T) {
	for range 100 {
		id := uuid.New()
		var buf bytes.Buffer
		MarshalUUIDID(id).MarshalGQL(&buf)
		require.Equal(t, strconv.Quote(id.String()), buf.String())
		got, err := UnmarshalUUIDID(id.String())
		require.NoError(t, err)
		require.Equal(t, id, got)
	}
	for _, bad := range []any{"", "not-a-uuid", "5b2f8c1e-0000-4000-8000", 7, nil} {
		_, err := UnmarshalUUIDID(bad)
		require.Error(t, err, "%v", bad)
	}
}
