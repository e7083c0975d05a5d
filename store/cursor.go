package store

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Pagination cursors are opaque to clients. Inside, a kind names what the
// value is, so that a cursor of one list is refused by another.
const (
	cursorName = "name" // datasources: the name
	cursorSlot = "slot" // runs: the slot, in Unix microseconds (unique per datasource)
	cursorID   = "id"   // discovered files: the id
)

func encodeCursor(kind, value string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + value))
}

// decodeCursor returns the value of a cursor of kind, or ErrInvalidCursor.
func decodeCursor(kind, cursor string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return "", ErrInvalidCursor
	}
	value, ok := strings.CutPrefix(string(raw), kind+":")
	if !ok {
		return "", ErrInvalidCursor
	}
	return value, nil
}

func decodeInt64Cursor(kind, cursor string) (int64, error) {
	value, err := decodeCursor(kind, cursor)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, ErrInvalidCursor
	}
	return n, nil
}
