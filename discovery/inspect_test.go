package discovery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestInspect(t *testing.T) {
	t.Parallel()
	const bom = "\xEF\xBB\xBF"
	for _, tt := range []struct {
		name, file, content string
		format              Format
		records             int64
		parseErr            string // substring; "" means none
	}{
		// CSV
		{"empty", "a.csv", "", FormatCSV, 0, ""},
		{"header only", "a.csv", "a,b\n", FormatCSV, 0, ""},
		{"header only, no newline", "a.csv", "a,b", FormatCSV, 0, ""},
		{"trailing newline", "a.csv", "a,b\n1,2\n3,4\n", FormatCSV, 2, ""},
		{"no trailing newline", "a.csv", "a,b\n1,2\n3,4", FormatCSV, 2, ""},
		{"CRLF", "a.csv", "a,b\r\n1,2\r\n3,4\r\n", FormatCSV, 2, ""},
		{"CRLF, no trailing newline", "a.csv", "a,b\r\n1,2\r\n3,4", FormatCSV, 2, ""},
		{"blank lines", "a.csv", "\n\na,b\n\n1,2\r\n\r\n3,4\n\n\n", FormatCSV, 2, ""},
		{"BOM", "a.csv", bom + "a,b\n1,2\n", FormatCSV, 1, ""},
		{"BOM only", "a.csv", bom, FormatCSV, 0, ""},
		{"quoted newline", "a.csv", "a,b\n1,\"x\ny\"\n2,\"\r\n\"\n", FormatCSV, 2, ""},
		{"escaped quotes", "a.csv", "a,b\n1,\"say \"\"hi\"\"\nthere\"\n2,\"\"\"\"\n", FormatCSV, 2, ""},
		{"empty quoted field is a record", "a.csv", "a\n\"\"\n", FormatCSV, 1, ""},
		{"quote inside an unquoted field is literal", "a.csv", "a,b\n5\" disk,x\n1,2\n", FormatCSV, 2, ""},
		{"quoted field first on the line", "a.csv", "a,b\n\"x\ny\",1\n", FormatCSV, 1, ""},
		{"text after a closing quote", "a.csv", "a,b\n\"x\"y,1\n2,3\n", FormatCSV, 2, ""},
		{"tab does not start a CSV field", "a.csv", "a,b\n1\t\"x\n2,3\n", FormatCSV, 2, ""},
		{"unterminated quote", "a.csv", "a,b\n1,2\n3,\"x\n4,5\n", FormatCSV, 1, "unterminated quoted field starting at line 3"},
		{"quote closed at end of file", "a.csv", "a,b\n1,\"x\"", FormatCSV, 1, ""},
		{"upper-case extension", "A.CSV", "a,b\n1,2\n", FormatCSV, 1, ""},
		// TSV
		{"TSV", "a.tsv", "a\tb\n1\t2\n3\t\"x\ny\"\n", FormatTSV, 2, ""},
		{"TSV with commas", "a.tab", "a\tb\n1,5\t2\n", FormatTSV, 1, ""},
		// JSON
		{"JSON array", "a.json", `[{"a":1},{"a":[1,2]}, 3, "x", null]`, FormatJSON, 5, ""},
		{"JSON empty array", "a.json", " [ ] \n", FormatJSON, 0, ""},
		{"JSON object", "a.json", `{"rows":[1,2,3]}`, FormatJSON, 1, ""},
		{"JSON with BOM", "a.json", bom + `[1,2]`, FormatJSON, 2, ""},
		{"JSON empty file", "a.json", "", FormatJSON, 0, ""},
		{"JSON that is JSON Lines", "a.json", "{\"a\":1}\n{\"a\":2}\n", FormatJSONL, 2, ""},
		{"JSON malformed element", "a.json", `[1,2,{"a":}]`, FormatJSON, 2, "invalid JSON at byte"},
		{"JSON truncated", "a.json", `[1,2,{"a":1`, FormatJSON, 2, "ends in the middle"},
		{"JSON data after the array", "a.json", `[1,2] [3]`, FormatJSON, 2, "after the top-level array"},
		{"JSON garbage after the array", "a.json", `[1,2] x`, FormatJSON, 2, "invalid JSON"},
		// JSONL
		{"JSONL", "a.jsonl", "{\"a\":1}\n\n  \n{\"a\":2}\r\n[3]", FormatJSONL, 3, ""},
		{"NDJSON", "a.ndjson", "1\n2\n", FormatJSONL, 2, ""},
		{"JSONL malformed line", "a.jsonl", "{\"a\":1}\n{\"a\":\n{\"a\":3}\n", FormatJSONL, 1, "line 2 is not valid JSON"},
		// Detection by content
		{"sniffed CSV", "data.txt", "a,b\n1,2\n", FormatCSV, 1, ""},
		{"sniffed TSV", "data", "a\tb,c\n1\t2\n", FormatTSV, 1, ""},
		{"sniffed JSON", "data.dat", "\n [1,2,3]", FormatJSON, 3, ""},
		{"sniffed JSON Lines", "export", "{\"a\":1}\n{\"a\":2}\n", FormatJSONL, 2, ""},
		{"plain text", "notes.txt", "hello\nworld\n", FormatOther, RecordsUnknown, ""},
		{"binary", "blob", "a,b\x00\n", FormatOther, RecordsUnknown, ""},
		{"compressed", "a.csv.gz", "a,b\n1,2\n", FormatOther, RecordsUnknown, ""},
	} {
		for _, hash := range []bool{false, true} {
			md, err := Inspect(context.Background(), strings.NewReader(tt.content), tt.file, hash)
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.format, md.Format, tt.name)
			require.Equal(t, tt.records, md.Records, tt.name)
			if tt.parseErr == "" {
				require.Empty(t, md.ParseError, tt.name)
			} else {
				require.Contains(t, md.ParseError, tt.parseErr, tt.name)
			}
			if hash {
				sum := sha256.Sum256([]byte(tt.content))
				require.Equal(t, hex.EncodeToString(sum[:]), md.SHA256, tt.name)
			} else {
				require.Empty(t, md.SHA256, tt.name)
			}
			// Reading one byte at a time crosses every chunk boundary.
			small, err := Inspect(context.Background(), iotest.OneByteReader(strings.NewReader(tt.content)), tt.file, hash)
			require.NoError(t, err, tt.name)
			require.Equal(t, md, small, tt.name+", one byte at a time")
		}
	}
}

// Records spanning the 64 KiB read buffer are counted once.
func TestInspectLargeCSV(t *testing.T) {
	t.Parallel()
	content := seedCSV(5000) + "9,\"" + strings.Repeat("q\"\"\n", 40000) + "\"\n"
	md, err := Inspect(context.Background(), strings.NewReader(content), "big.csv", false)
	require.NoError(t, err)
	require.EqualValues(t, 5001, md.Records)
	require.Empty(t, md.ParseError)

	long := "{\"a\":\"" + strings.Repeat("x", 200_000) + "\"}\n"
	md, err = Inspect(context.Background(), strings.NewReader(long+long+"\n"), "big.jsonl", false)
	require.NoError(t, err)
	require.EqualValues(t, 2, md.Records)
	require.Empty(t, md.ParseError)
}

func TestInspectErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for _, name := range []string{"a.csv", "a.json", "a.jsonl", "a.bin"} {
		r := io.MultiReader(strings.NewReader("[1,\n"), iotest.ErrReader(boom))
		_, err := Inspect(context.Background(), r, name, true)
		require.ErrorIs(t, err, boom, name)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Inspect(ctx, strings.NewReader("a,b\n"), "a.csv", false)
	require.ErrorIs(t, err, context.Canceled)

	// Cancellation in the middle of a long file.
	ctx, cancel = context.WithCancel(context.Background())
	r := &cancelAfter{r: strings.NewReader(seedCSV(10_000)), n: 3, cancel: cancel}
	_, err = Inspect(ctx, r, "a.csv", false)
	require.ErrorIs(t, err, context.Canceled)

	dir := t.TempDir()
	_, err = InspectFile(context.Background(), filepath.Join(dir, "missing.csv"), false)
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = InspectFile(context.Background(), dir, false)
	require.ErrorIs(t, err, ErrNotRegularFile)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.csv"), []byte("a\n1\n"), 0o644))
	symlink(t, "a.csv", filepath.Join(dir, "link.csv"))
	_, err = InspectFile(context.Background(), filepath.Join(dir, "link.csv"), false)
	require.Error(t, err, "symlinks are not followed")
}

// cancelAfter calls cancel after n reads.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.r.Read(p)
}

func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"", "a,b\n1,2\n", "a,b\r\n\r\n1,2", "\xEF\xBB\xBFa\n\"x\ny\"\n", "a\n\"", "a\n\"\"\"", `[1,{"a":[2]}]`, "{}\n{}", "a\tb\n1\t2",
	} {
		f.Add([]byte(s), "a.csv")
		f.Add([]byte(s), "a.json")
		f.Add([]byte(s), "a.jsonl")
		f.Add([]byte(s), "a.tsv")
		f.Add([]byte(s), "x")
	}
	f.Fuzz(func(t *testing.T, content []byte, name string) {
		md, err := Inspect(context.Background(), bytes.NewReader(content), name, false)
		if err != nil {
			t.Fatalf("error %v for in-memory content", err)
		}
		if md.Records < RecordsUnknown {
			t.Fatalf("Records = %d", md.Records)
		}
		small, err := Inspect(context.Background(), iotest.HalfReader(bytes.NewReader(content)), name, false)
		if err != nil || small != md {
			t.Fatalf("reading in small pieces: %+v, %v; want %+v", small, err, md)
		}
		if md.Format != FormatCSV || bytes.IndexByte(content, '"') >= 0 {
			return
		}
		// Without quotes, a record is a non-blank line, less the header.
		text := bytes.TrimPrefix(content, utf8BOM)
		var lines int64
		for line := range bytes.SplitSeq(text, nl) {
			if len(bytes.TrimSuffix(line, []byte("\r"))) > 0 {
				lines++
			}
		}
		if want := max(lines-1, 0); md.Records != want || md.ParseError != "" {
			t.Fatalf("Records = %d, ParseError %q; want %d", md.Records, md.ParseError, want)
		}
	})
}
