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
package discovery
