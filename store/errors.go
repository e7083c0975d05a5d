package store

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound means that the requested row does not exist (or was deleted).
	ErrNotFound = errors.New("store: not found")

	// ErrNameTaken means that another live datasource already has that name
	// (names are compared case-insensitively), or another valid API token.
	ErrNameTaken = errors.New("store: name already taken")

	// ErrSchemaBehind means that the database needs migrations this binary has.
	ErrSchemaBehind = errors.New("store: database schema is behind")

	// ErrSchemaAhead means that the database was migrated by a newer binary.
	ErrSchemaAhead = errors.New("store: database schema is newer than this binary")

	// ErrSchemaDirty means that a migration failed half way and needs repair.
	ErrSchemaDirty = errors.New("store: database schema is dirty")
)

// VersionConflictError is returned when an update or delete names an
// expected version that is no longer current.
type VersionConflictError struct {
	Expected int
	Actual   int
}

func (e *VersionConflictError) Error() string {
	return fmt.Sprintf("store: version conflict: expected version %d, current version is %d", e.Expected, e.Actual)
}
