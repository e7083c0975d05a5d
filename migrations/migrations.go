// Package migrations holds the database schema history as golang-migrate SQL
// pairs (NNNNNN_name.up.sql / .down.sql), embedded into the binary.
//
// River's own schema is part of the same history: versions 1-8 are River's
// schema versions 001-008 from github.com/riverqueue/river v0.51.2, one file
// per version, because River applies each version in its own transaction. The
// application's tables follow from version 9.
package migrations

import "embed"

// FS holds every migration file at its root.
//
//go:embed *.sql
var FS embed.FS
