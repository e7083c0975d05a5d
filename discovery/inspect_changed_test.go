package discovery

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestInspectFileInSeesAWriter: a file appended to while it is read is
// ErrChanged, with the size it had after the read, never a version it
// never had; once the writer stops it reads as the version it is.
func TestInspectFileInSeesAWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "growing.csv")
	line := "a,b,c\n"
	if err := os.WriteFile(path, []byte(strings.Repeat(line, 1<<20)), 0o644); err != nil { // 6 MiB
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()

	var stop atomic.Bool
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		for !stop.Load() {
			if _, err := f.WriteString(line); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	changed := 0
	for range 5 {
		md, err := InspectFileIn(t.Context(), root, "growing.csv", true)
		switch {
		case errors.Is(err, ErrChanged):
			changed++
			if md.Size < 1<<20*int64(len(line)) || md.SHA256 != "" || md.Records != 0 {
				t.Fatalf("ErrChanged with %+v: the size after the read, and nothing of the content", md)
			}
		case err != nil:
			t.Fatal(err)
		default:
			t.Logf("one read saw no write (%d bytes)", md.Size)
		}
	}
	stop.Store(true)
	<-wrote
	if changed == 0 {
		t.Fatal("five reads during appends, none saw the file change")
	}

	md, err := InspectFileIn(t.Context(), root, "growing.csv", true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if md.Size != fi.Size() || !md.ModTime.Equal(fi.ModTime()) || md.Records != fi.Size()/int64(len(line))-1 {
		t.Fatalf("settled file read as %+v; it is %d bytes, %d records", md, fi.Size(), fi.Size()/int64(len(line))-1)
	}
}
