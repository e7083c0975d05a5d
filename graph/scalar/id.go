package scalar

import (
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

// The ID marshalers below let gqlgen bind an ID field straight to a model's
// int64 or uuid.UUID field. Without them each such field needs a resolver,
// and gqlgen runs every object with resolver fields through its concurrent
// path: a goroutine per extra field, for a conversion to a string. Inputs
// stay strings (graphql.ID comes first in gqlgen.yml): resolvers parse them
// and say what is wrong.

// MarshalInt64ID writes an int64 ID as its decimal string.
func MarshalInt64ID(id int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [24]byte
		b := append(buf[:0], '"')
		b = strconv.AppendInt(b, id, 10)
		_, _ = w.Write(append(b, '"'))
	})
}

// UnmarshalInt64ID reads a decimal ID.
func UnmarshalInt64ID(v any) (int64, error) {
	s, err := graphql.UnmarshalID(v)
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a decimal id", s)
	}
	return id, nil
}

// MarshalUUIDID writes a UUID ID in its canonical form.
func MarshalUUIDID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		var buf [38]byte
		buf[0], buf[37] = '"', '"'
		encodeUUID(buf[1:37], id)
		_, _ = w.Write(buf[:])
	})
}

// UnmarshalUUIDID reads a UUID ID.
func UnmarshalUUIDID(v any) (uuid.UUID, error) {
	s, err := graphql.UnmarshalID(v)
	if err != nil {
		return uuid.Nil, err
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%q is not a UUID", s)
	}
	return id, nil
}

// encodeUUID writes id's canonical 36-byte form into dst without
// allocating, as uuid.UUID.String does into a new string.
func encodeUUID(dst []byte, id uuid.UUID) {
	hex.Encode(dst[0:8], id[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], id[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], id[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], id[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:36], id[10:16])
}
