package discovery

import (
	"bytes"
	"fmt"
)

// csvCounter counts the records of CSV or TSV text fed to it in chunks of
// any size. The rules are in the package documentation under "Record
// counting".
//
// It jumps between the bytes that matter, '\n' and '"', with bytes.IndexByte
// (vectorised) rather than looking at each byte, and never splits fields.
type csvCounter struct {
	delim byte

	inQuotes     bool  // inside a quoted field
	quotePending bool  // in quotes, the chunk ended with '"': escaped or closing, the next byte says
	fieldStart   bool  // the next byte starts a field
	recordLen    int64 // bytes of the current record so far, without its final '\n'
	lastByte     byte  // the last byte seen before the current position
	records      int64 // non-blank records ended so far, the header included
	line         int64 // current physical line, from 1
	quoteLine    int64 // line where the open quoted field started
}

func newCSVCounter(delim byte) *csvCounter {
	return &csvCounter{delim: delim, fieldStart: true, line: 1}
}

// write counts the records ended in buf.
func (c *csvCounter) write(buf []byte) {
	for len(buf) > 0 {
		if c.inQuotes {
			buf = c.quoted(buf)
		} else {
			buf = c.unquoted(buf)
		}
	}
}

// quoted consumes buf from inside a quoted field up to and including the
// quote that closes it, and returns the rest.
func (c *csvCounter) quoted(buf []byte) []byte {
	if c.quotePending {
		c.quotePending = false
		if buf[0] == '"' { // "" is an escaped quote
			c.consume(buf[:1])
			return buf[1:]
		}
		c.inQuotes = false
		return buf
	}
	i := bytes.IndexByte(buf, '"')
	if i < 0 {
		c.line += int64(bytes.Count(buf, nl))
		c.consume(buf)
		return nil
	}
	c.line += int64(bytes.Count(buf[:i], nl))
	c.consume(buf[:i+1])
	switch {
	case i+1 == len(buf):
		c.quotePending = true
		return nil
	case buf[i+1] == '"':
		c.consume(buf[i+1 : i+2])
		return buf[i+2:]
	default:
		c.inQuotes = false
		return buf[i+1:]
	}
}

// unquoted consumes buf outside quotes up to the end of the line or the
// quote that opens a quoted field, and returns the rest.
func (c *csvCounter) unquoted(buf []byte) []byte {
	end := bytes.IndexByte(buf, '\n')
	line := buf
	if end >= 0 {
		line = buf[:end]
	}
	// A quote opens a quoted field only at the start of a field; elsewhere
	// it is an ordinary character, as most writers and readers treat it.
	for from := 0; ; {
		q := bytes.IndexByte(line[from:], '"')
		if q < 0 {
			break
		}
		q += from
		if (q == 0 && c.fieldStart) || (q > 0 && line[q-1] == c.delim) {
			c.consume(line[:q+1])
			c.inQuotes = true
			c.quoteLine = c.line
			return buf[q+1:]
		}
		from = q + 1
	}
	if len(line) > 0 {
		c.consume(line)
		c.fieldStart = line[len(line)-1] == c.delim
	}
	if end < 0 {
		return nil
	}
	c.endLine()
	return buf[end+1:]
}

// endLine ends the record at a '\n' outside quotes.
func (c *csvCounter) endLine() {
	// Blank means nothing but the '\r' of a CRLF. A record with a quoted
	// field has at least its two quotes: `""` is one empty field, not blank.
	if c.recordLen > 1 || (c.recordLen == 1 && c.lastByte != '\r') {
		c.records++
	}
	c.line++
	c.recordLen = 0
	c.lastByte = '\n'
	c.fieldStart = true
}

func (c *csvCounter) consume(b []byte) {
	if len(b) > 0 {
		c.recordLen += int64(len(b))
		c.lastByte = b[len(b)-1]
	}
}

// finish ends the input and returns the number of records, the header not
// included, and a description of what is malformed, if anything.
func (c *csvCounter) finish() (records int64, parseErr string) {
	if c.inQuotes && !c.quotePending {
		return max(c.records-1, 0), fmt.Sprintf("unterminated quoted field starting at line %d", c.quoteLine)
	}
	c.inQuotes = false
	if c.recordLen > 0 {
		c.endLine() // the last line has no '\n'
	}
	return max(c.records-1, 0), ""
}

var nl = []byte{'\n'}
