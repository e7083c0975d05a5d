package discovery

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxValidatedLine is the longest JSON line that is validated; longer lines
// are counted unchecked, so that one huge line cannot exhaust memory.
const maxValidatedLine = 64 << 20

// countJSONL counts the non-blank lines of r, stopping at the first one that
// is not valid JSON. Only read errors are returned.
func countJSONL(r *bufio.Reader) (records int64, parseErr string, err error) {
	var long []byte // a line longer than r's buffer, being assembled
	tooLong := false
	for line := int64(1); ; line++ {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				if len(long)+len(chunk) > maxValidatedLine {
					tooLong, long = true, long[:0]
				} else {
					long = append(long, chunk...)
				}
			}
			line-- // the same line goes on
			continue
		}
		if err != nil && err != io.EOF {
			return records, "", err
		}
		text := chunk
		if len(long) > 0 {
			long = append(long, chunk...)
			text = long
		}
		switch {
		case tooLong:
			records++
		case len(bytes.TrimSpace(text)) == 0:
			// blank line
		case json.Valid(text):
			records++
		default:
			return records, fmt.Sprintf("line %d is not valid JSON", line), nil
		}
		long, tooLong = long[:0], false
		if err == io.EOF {
			return records, "", nil
		}
	}
}

// countJSON counts the records of a JSON document: the elements of a
// top-level array, or the top-level values (1 for a single object). Several
// top-level values make the file JSON Lines in all but name, which is
// reported as format. Only read errors are returned.
func countJSON(r *bufio.Reader) (records int64, format Format, parseErr string, err error) {
	skipped, first, err := skipJSONSpace(r)
	if err == io.EOF {
		return 0, FormatJSON, "", nil
	}
	if err != nil {
		return 0, FormatJSON, "", err
	}
	dec := json.NewDecoder(r)
	failed := func(err error) (int64, Format, string, error) {
		return records, FormatJSON, describeJSONError(err, skipped, dec.InputOffset()), nil
	}
	var raw json.RawMessage // reused: only its length changes
	if first == '[' {
		if _, err := dec.Token(); err != nil {
			return failed(err)
		}
		for dec.More() {
			if err := dec.Decode(&raw); err != nil {
				return failed(err)
			}
			records++
		}
		if _, err := dec.Token(); err != nil { // the closing ']'
			return failed(err)
		}
		if _, err := dec.Token(); err != io.EOF {
			if err == nil {
				err = errors.New("data after the top-level array")
			}
			return failed(err)
		}
		return records, FormatJSON, "", nil
	}
	for {
		err := dec.Decode(&raw)
		if err == io.EOF {
			break
		}
		if err != nil {
			return failed(err)
		}
		records++
	}
	if records > 1 {
		return records, FormatJSONL, "", nil
	}
	return records, FormatJSON, "", nil
}

// skipJSONSpace reads JSON white space and returns how much it read and the
// first other byte, left unread.
func skipJSONSpace(r *bufio.Reader) (skipped int64, first byte, err error) {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return skipped, 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			skipped++
		default:
			return skipped, b, r.UnreadByte()
		}
	}
}

// describeJSONError says what is wrong with a JSON document, with the
// offset counted from the start of the content (after any byte-order mark).
func describeJSONError(err error, skipped, offset int64) string {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d: %s", skipped+syntax.Offset, syntax.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "JSON ends in the middle of a value"
	default:
		return fmt.Sprintf("invalid JSON at byte %d: %v", skipped+offset, err)
	}
}
