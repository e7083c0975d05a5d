package discovery

import (
	"bytes"
	"path/filepath"
	"strings"
)

// Format is the kind of content of a file, as Inspect detects it.
type Format string

const (
	FormatCSV   Format = "CSV"
	FormatTSV   Format = "TSV"
	FormatJSON  Format = "JSON"  // one JSON value, usually an array of records
	FormatJSONL Format = "JSONL" // one JSON value per line (JSON Lines, NDJSON)
	FormatOther Format = "OTHER" // anything else; its records are not counted
)

// knownExtensions maps lower-case file extensions to formats. Compressed and
// binary formats are listed so that their bytes are never sniffed as text.
var knownExtensions = map[string]Format{
	".csv":     FormatCSV,
	".tsv":     FormatTSV,
	".tab":     FormatTSV,
	".json":    FormatJSON,
	".jsonl":   FormatJSONL,
	".ndjson":  FormatJSONL,
	".gz":      FormatOther,
	".bz2":     FormatOther,
	".xz":      FormatOther,
	".zst":     FormatOther,
	".zip":     FormatOther,
	".parquet": FormatOther,
	".avro":    FormatOther,
	".orc":     FormatOther,
	".xls":     FormatOther,
	".xlsx":    FormatOther,
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// detectFormat returns the format of the file name whose content starts with
// head. The extension decides when it is known (case does not matter);
// otherwise the content does: a NUL byte means binary (OTHER); text whose
// first non-blank byte is '[' or '{' is JSON; text whose first line holds a
// tab is TSV, or else a comma, CSV.
func detectFormat(name string, head []byte) Format {
	if f, ok := knownExtensions[strings.ToLower(filepath.Ext(name))]; ok {
		return f
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return FormatOther
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(text) > 0 && (text[0] == '[' || text[0] == '{') {
		return FormatJSON // countJSON turns it into JSONL if it holds several values
	}
	first, _, _ := bytes.Cut(text, nl)
	switch {
	case bytes.IndexByte(first, '\t') >= 0:
		return FormatTSV
	case bytes.IndexByte(first, ',') >= 0:
		return FormatCSV
	}
	return FormatOther
}
