// Package discovery finds the files of a datasource: the files below its
// directory whose path matches its file pattern.
//
// Today it holds the two checks the API runs when a datasource is saved and
// the discovery job repeats at run time: CompilePattern validates and compiles
// a file pattern, and Roots.Resolve checks that a directory lies inside the
// configured data roots (EZ_DATA_ROOTS).
//
// # File patterns
//
// A pattern is matched against the path of a file relative to the datasource
// directory, with '/' between directories, e.g. "2026/01/sales.csv". The
// whole path must match.
//
//	Pattern   Matches
//	-------   -------
//	*         any run of characters, including none, except '/'
//	?         exactly one character, except '/'
//	**        as a whole path segment: zero or more directories
//	          ("**/*.csv" matches "a.csv" and "x/y/a.csv"); at the end:
//	          everything below ("data/**" matches "data/a" and "data/x/a",
//	          not "data"); glued to other text ("a**b"): same as '*'
//	[abc]     one of the characters a, b, c
//	[a-z]     one character from a to z (by Unicode code point)
//	[!a-z]    one character not from a to z; [^a-z] is the same
//	{a,b,c}   any of the alternatives; they may be empty ("x{,.gz}"),
//	          contain '/' and wildcards, and nest ("{a,{b,c}}")
//	\c        the character c itself, e.g. "\*", "\{", "\,", "\\"
//	          ("\/" is still a separator: names cannot contain '/')
//	other     itself
//
// Inside [], write ']', '-' or '\' as "\]", "\-" and "\\"; a '-' first or last
// is also literal. A ',' outside braces is literal. Character classes never
// match '/', and '/' cannot appear in one.
//
// Matching is case-sensitive, as Linux file names are: "*.csv" does not
// match "A.CSV" (use "*.[cC][sS][vV]"). A leading '.' is not special: '*'
// matches hidden files too. File names need not be valid UTF-8: each byte
// that is not part of valid UTF-8 is one character for '*', '?' and negated
// classes.
//
// A pattern is refused (with a *PatternError saying where) if it is empty,
// longer than 1024 bytes, not valid UTF-8, contains a NUL byte, starts with
// '/', has an empty segment ("a//b", "a/"), a "." or ".." segment, an
// unclosed '[' or '{', an unmatched '}', an empty "[]" or "{}", a reversed
// range ("[z-a]") or a trailing '\', if its braces nest more than 8 deep, or
// if it expands to more than 64 alternatives: "{a,b}/{c,d,e}" expands to 6.
// These limits, and a matcher that never retries more than one '*' or "**"
// at a time, keep the cost of compiling and matching within the product of
// the pattern and path lengths, whatever the input: there is no exponential
// backtracking.
//
// # Data roots
//
// Datasource directories must lie inside one of the data roots. Roots and
// datasource paths are compared after following every symlink, so a symlink
// inside a root that points outside it does not let a datasource out.
//
// # Scanning
//
// Scan lists the files of a datasource: the regular files below its
// directory whose relative path matches the pattern. It resolves the
// directory with Roots.Resolve at every call, then walks it, opening every
// directory relative to its parent's descriptor (on Linux with openat and
// O_NOFOLLOW, elsewhere through an os.Root), without following any symlink:
// a symlink below the directory is
// skipped (and listed in ScanResult.Errors if its path matches), so loops
// cannot trap the walk and no link leads it out of the data roots.
// Directories the pattern cannot match under are not entered. Unreadable
// subdirectories are listed in ScanResult.Errors and do not fail the scan;
// an unreadable, missing or replaced datasource directory does.
//
// A scan reports at most MaxFiles files. A truncated result carries
// ResumeAfter; the next scan, given it as StartAfter, continues from there, in
// the same order (depth first, names in byte order), so that every file is
// reached however many there are.
//
// # Stable files
//
// A file that is still being written must not be picked up. Scan reports a
// matching file as stable when both hold:
//
//   - its modification time is at least MinFileAge (default 2s) before now;
//   - the previous look at the same path, which the caller keeps, saw the
//     same size and modification time (to the microsecond); or there was
//     no previous look and MinFileAge is not NoMinFileAge.
//
// Every other matching file is unstable: too young, with a modification time
// in the future, changed since the previous look, or seen for the first time
// with MinFileAge set to NoMinFileAge.
//
// A file seen for the first time is stable at once if old enough because
// writers update the modification time as they write: a file untouched for
// MinFileAge is complete. A file that changed since the previous look waits
// for one more unchanged look even if its time is old, because tools that
// copy a file's original time onto it (cp -p, tar, rsync without a temporary
// name) can make an incomplete file look old. With NoMinFileAge only the
// second, identical look counts.
//
// Stability says nothing about novelty: a file rewritten with a new size or
// time becomes stable again, and the caller decides whether it is new.
//
// # Record counting
//
// Inspect reads a file once, streaming, and detects its format from its
// extension (.csv; .tsv and .tab; .json; .jsonl and .ndjson; compressed and
// binary extensions are OTHER) or, for other names, from its first 8 KiB: a
// NUL byte means OTHER, a leading '[' or '{' JSON, a tab in the first line
// TSV, a comma CSV, anything else OTHER. A UTF-8 byte-order mark is skipped.
// It counts records as follows; records of OTHER files are not counted
// (RecordsUnknown).
//
// CSV and TSV (',' or tab between fields): the first non-blank record is the
// header and is not counted. A record ends at a '\n' outside quotes; "\r\n"
// works too. A '"' at the start of a field opens a quoted field, which may hold
// delimiters and newlines and ends at the next lone '"'; "" inside it is an
// escaped quote. A '"' anywhere else is an ordinary character. Blank lines
// (empty, or only "\r") are not records; a line with a quoted empty field is.
// A trailing newline does not add a record. An empty file has 0 records. An
// unterminated quoted field sets ParseError ("unterminated quoted field
// starting at line N") and is not counted.
//
// JSON Lines: every non-blank line is a record and must be valid JSON; lines
// over 64 MiB are counted without being checked.
//
// JSON: a top-level array counts its elements; a single top-level value,
// usually an object, counts 1; an empty file counts 0. A .json file holding
// several top-level values is JSON Lines in all but name: each value is a
// record and the format is reported as JSONL.
//
// Malformed content is not an error: ParseError says what and where, and
// Records counts the records before it. Inspect returns an error only when
// reading fails or its context ends.
package discovery
