//go:build !(linux && (amd64 || arm64))

package discovery

import (
	"context"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Elsewhere than on Linux the walk goes through os.Root, which keeps every
// lookup inside the directory it was opened on.

const readDirBatch = 1024 // entries per ReadDir call: bounds the time between ctx checks

type rootDir struct{ root *os.Root }

func openTopDir(path string) (directory, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, err
	}
	return rootDir{root}, nil
}

func (d rootDir) openDir(name string) (directory, error) {
	fi, err := d.root.Lstat(name)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() { // os.Root would follow a symlink inside it
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOTDIR}
	}
	root, err := d.root.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	return rootDir{root}, nil
}

func (d rootDir) close() { _ = d.root.Close() }

// statBuf is the scratch space of one goroutine's stats; os.Root needs none.
type statBuf struct{}

func (d rootDir) stat(e *dirEntry, _ *statBuf) error {
	fi, err := d.root.Lstat(e.name)
	if err != nil {
		return err
	}
	e.typ, e.size, e.mtime = fi.Mode().Type(), fi.Size(), fi.ModTime()
	return nil
}

func (d rootDir) list(ctx context.Context) ([]dirEntry, error) {
	f, err := d.root.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []dirEntry
	for {
		batch, err := f.ReadDir(readDirBatch)
		for _, e := range batch {
			entries = append(entries, dirEntry{name: e.Name(), typ: e.Type(), typeKnown: true})
		}
		if err == io.EOF {
			break
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			sortEntries(entries)
			return entries, err
		}
	}
	sortEntries(entries)
	return entries, nil
}
