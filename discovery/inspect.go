package discovery

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"time"
)

// RecordsUnknown is Metadata.Records for files whose records are not
// counted (FormatOther).
const RecordsUnknown = -1

const (
	readBufferSize = 64 << 10
	sniffLen       = 8 << 10 // bytes detectFormat looks at
)

// Metadata is what Inspect learns about a file's content.
type Metadata struct {
	Format Format
	// Records is the number of records; see the package documentation,
	// "Record counting". It is RecordsUnknown for FormatOther. When
	// ParseError is set, it counts the records before the error.
	Records int64
	// ParseError says where and how the content is malformed; empty if it
	// is not.
	ParseError string
	// SHA256 is the hex-encoded SHA-256 of the whole content, when asked
	// for; empty otherwise.
	SHA256 string
	// Size and ModTime are the version that was read, as the open file
	// says after the read (InspectFileIn; zero from Inspect).
	Size    int64
	ModTime time.Time
}

// ErrChanged means that the file's size or modification time changed
// while InspectFileIn read it: what it read may be part of one version and
// part of another, so its Metadata describes no version. Its Size and
// ModTime are the file's after the read.
var ErrChanged = errors.New("discovery: file changed while it was read")

// Inspect reads r once, in 64 KiB pieces, never holding the whole content:
// it detects the format from name's extension and the first bytes, counts
// the records, and computes the SHA-256 if wantHash. name is only used for
// its extension.
//
// Malformed content is not an error: it sets Metadata.ParseError. The
// errors returned are those of reading r and, when ctx is done, ctx.Err();
// the Metadata is then zero. Without wantHash, reading stops as soon as the
// count is known: at the first parse error, or at once for FormatOther.
func Inspect(ctx context.Context, r io.Reader, name string, wantHash bool) (Metadata, error) {
	src := &inspectReader{ctx: ctx, r: r}
	if wantHash {
		src.hash = sha256.New()
	}
	br := bufio.NewReaderSize(src, readBufferSize)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF {
		return Metadata{}, src.failure(err)
	}
	err = nil
	md := Metadata{Format: detectFormat(name, head), Records: RecordsUnknown}
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM)) // Peek has buffered it: cannot fail
	}
	switch md.Format {
	case FormatCSV:
		md.Records, md.ParseError, err = countDelimited(br, ',')
	case FormatTSV:
		md.Records, md.ParseError, err = countDelimited(br, '\t')
	case FormatJSONL:
		md.Records, md.ParseError, err = countJSONL(br)
	case FormatJSON:
		md.Records, md.Format, md.ParseError, err = countJSON(br)
	}
	// A counter may take a read error for malformed content; src knows.
	if src.err != nil || err != nil {
		return Metadata{}, src.failure(err)
	}
	if wantHash {
		if _, err := io.Copy(io.Discard, br); err != nil {
			return Metadata{}, src.failure(err)
		}
		md.SHA256 = hex.EncodeToString(src.hash.Sum(nil))
	}
	return md, nil
}

// InspectFile opens the file at path and inspects it (see Inspect). It
// refuses, with an error wrapping ErrNotRegularFile, anything but a regular
// file, and does not follow a symlink in the last element of path: opening
// a named pipe would block, and a symlink could lead anywhere.
func InspectFile(ctx context.Context, path string, wantHash bool) (Metadata, error) {
	f, err := openRegular(path)
	if err != nil {
		return Metadata{}, err
	}
	defer f.Close()
	return Inspect(ctx, f, path, wantHash)
}

// InspectFileIn is InspectFile for rel, a slash-separated path inside
// root. Every component is resolved inside root, so a directory that was
// swapped for a symlink since the scan cannot lead the read out of it.
//
// It also says which version it read: the open file's size and
// modification time, the same before and after the read, or ErrChanged.
func InspectFileIn(ctx context.Context, root *os.Root, rel string, wantHash bool) (Metadata, error) {
	// Non-blocking, as in openRegular.
	f, err := root.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return Metadata{}, err
	}
	defer f.Close()
	before, err := regularStat(f, rel)
	if err != nil {
		return Metadata{}, err
	}
	md, err := Inspect(ctx, f, rel, wantHash)
	if err != nil {
		return Metadata{}, err
	}
	after, err := f.Stat()
	if err != nil {
		return Metadata{}, err
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return Metadata{Size: after.Size(), ModTime: after.ModTime()}, fmt.Errorf("%w: %s", ErrChanged, quote(rel))
	}
	md.Size, md.ModTime = after.Size(), after.ModTime()
	return md, nil
}

// openRegular opens path for reading if it is a regular file.
func openRegular(path string) (*os.File, error) {
	// Non-blocking, so that a named pipe put in the file's place cannot
	// block the open; it makes no difference to reading a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow|openNonBlock, 0)
	if err != nil {
		return nil, err
	}
	if err := checkRegular(f, path); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkRegular returns an error unless f is a regular file.
func checkRegular(f *os.File, path string) error {
	_, err := regularStat(f, path)
	return err
}

// regularStat is f's Stat, or an error unless f is a regular file.
func regularStat(f *os.File, path string) (os.FileInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is a %s", ErrNotRegularFile, quote(path), fileKind(fi.Mode()))
	}
	return fi, nil
}

// countDelimited counts the records of CSV (delim ',') or TSV (delim '\t').
func countDelimited(r io.Reader, delim byte) (records int64, parseErr string, err error) {
	c := newCSVCounter(delim)
	buf := make([]byte, readBufferSize)
	for {
		n, err := r.Read(buf)
		c.write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, "", err
		}
	}
	records, parseErr = c.finish()
	return records, parseErr, nil
}

// inspectReader hashes what it reads, checks ctx before every read, and
// remembers the first failure, so that Inspect can tell read errors from
// parse errors.
type inspectReader struct {
	ctx  context.Context
	r    io.Reader
	hash hash.Hash // nil if not wanted
	err  error     // first error other than io.EOF
}

func (s *inspectReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	if n > 0 && s.hash != nil {
		s.hash.Write(p[:n])
	}
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// failure returns the error to report: the reader's own if it had one.
func (s *inspectReader) failure(err error) error {
	if s.err != nil {
		return s.err
	}
	return err
}
