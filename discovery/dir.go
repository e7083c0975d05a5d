package discovery

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// directory is a directory open for the walk. Every name given to it is a
// single file name the directory listed, and no method follows a symlink in
// it, so nothing reached through a directory is outside it.
type directory interface {
	// list returns the directory's entries, sorted by name. On an error it
	// returns what it listed with the error. A directory that can be read
	// but not searched is an error, wrapping fs.ErrPermission: its entries
	// could be named but not reached.
	list(ctx context.Context) ([]dirEntry, error)
	// stat sets e's type, size and modification time from an lstat of it
	// (typeKnown stays as listed).
	// It can be called from several goroutines at once, each with a buf of
	// its own.
	stat(e *dirEntry, buf *statBuf) error
	// openDir opens the subdirectory name; a symlink is refused.
	openDir(name string) (directory, error)
	close()
}

// dirEntry is one entry of a directory, as listed, then as stat'ed.
type dirEntry struct {
	name string
	// typ is the entry's type (fs.FileMode.Type()); typeKnown is false when
	// the file system did not tell it in the listing.
	typ       fs.FileMode
	typeKnown bool
	// size and mtime are set once the entry is stat'ed.
	size  int64
	mtime time.Time

	// The walk's own (see walker.prepare): whether the entry is prepared,
	// its path relative to the datasource directory, whether it is a file
	// to report, and the stat's error.
	prepared  bool
	path      string
	candidate bool
	statErr   error
}

func sortEntries(entries []dirEntry) {
	slices.SortFunc(entries, func(a, b dirEntry) int { return strings.Compare(a.name, b.name) })
}
