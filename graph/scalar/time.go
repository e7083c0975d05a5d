// Package scalar holds the API's custom GraphQL scalars.
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// MarshalTime writes a Time as RFC 3339 with its offset, to the second unless
// it has a fraction.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 string. A bad value is a VALIDATION error,
// like every other bad input.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalidTime(fmt.Sprintf("a Time must be an RFC 3339 string, got %T", v))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalidTime(fmt.Sprintf("%q is not an RFC 3339 time such as \"2026-11-27T14:00:00Z\"", s))
	}
	return t, nil
}

func invalidTime(msg string) error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "VALIDATION"}}
}
