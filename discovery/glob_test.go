package discovery

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestPatternMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		match   []string
		noMatch []string
	}{
		{`*.csv`, []string{"a.csv", ".csv", ".hidden.csv", "a b.csv"}, []string{"x/a.csv", "a.csv.gz", "a.CSV", "acsv"}},
		{`*`, []string{"a", "a.b", "\xff\xfe"}, []string{"a/b"}},
		{`data/*.csv`, []string{"data/a.csv"}, []string{"data/x/a.csv", "a.csv", "database/a.csv"}},
		{`*/*`, []string{"a/b"}, []string{"a", "a/b/c"}},

		// '?'
		{`?.csv`, []string{"a.csv", "é.csv", "\xff.csv", "日.csv"}, []string{".csv", "ab.csv", "\xff\xfe.csv"}},
		{`a?b`, []string{"axb"}, []string{"a/b", "ab"}},

		// "**" as a whole segment.
		{`**/*.csv`, []string{"a.csv", "x/a.csv", "x/y/a.csv"}, []string{"a.txt", "x/a.txt"}},
		{`data/**`, []string{"data/a", "data/x/y/z.csv"}, []string{"data", "database/a", "other/data/a"}},
		{`a/**/b`, []string{"a/b", "a/x/b", "a/x/y/b"}, []string{"ab", "a/xb", "a/b/c", "b"}},
		{`**`, []string{"a", "a/b/c"}, nil},
		{`**/**/x`, []string{"x", "a/x", "a/b/x"}, []string{"a/y"}},
		{`**/a/**/b/*.csv`, []string{"a/b/c.csv", "q/a/r/s/b/c.csv", "a/a/b/b/c.csv"}, []string{"a/c.csv", "b/a/c.csv"}},
		{`x/***/y`, []string{"x/y", "x/1/2/y"}, nil}, // a run of stars alone is "**"

		// "**" glued to other text is '*'.
		{`a**b`, []string{"ab", "axxb"}, []string{"a/b", "ax/yb"}},
		{`**.csv`, []string{"a.csv"}, []string{"d/a.csv"}},
		{`d/x**`, []string{"d/x", "d/xyz"}, []string{"d/x/y"}},

		// Classes.
		{`[abc].csv`, []string{"a.csv", "c.csv"}, []string{"d.csv", "ab.csv"}},
		{`[a-c0-9]`, []string{"b", "5"}, []string{"d", "B"}},
		{`[!a-c]`, []string{"d", "é", "\xff"}, []string{"a", "c"}},
		{`[^a-c]`, []string{"d"}, []string{"b"}},
		{`[\]]`, []string{"]"}, []string{`\`}},
		{`[-a]`, []string{"-", "a"}, []string{"b"}},
		{`[a-]`, []string{"-", "a"}, []string{"b"}},
		{`[\!]`, []string{"!"}, []string{"a"}},
		{`[é-ü]`, []string{"é", "ö"}, []string{"e", "\xff"}},
		{`[*?]`, []string{"*", "?"}, []string{"a"}},
		{`x]`, []string{"x]"}, nil},

		// Alternatives.
		{`{a,b}.csv`, []string{"a.csv", "b.csv"}, []string{"c.csv", "{a,b}.csv"}},
		{`{a,{b,c}}`, []string{"a", "b", "c"}, []string{"d", "{b,c}"}},
		{`{x/y,z}/*.csv`, []string{"x/y/a.csv", "z/a.csv"}, []string{"x/a.csv", "y/a.csv"}},
		{`*.{csv,tsv}`, []string{"a.csv", "a.tsv"}, []string{"a.txt"}},
		{`{*.csv,**/*.tsv}`, []string{"a.csv", "a.tsv", "x/y/a.tsv"}, []string{"x/a.csv"}},
		{`a.csv{,.gz}`, []string{"a.csv", "a.csv.gz"}, []string{"a.csv.bz2"}},
		{`{**/,}x`, []string{"x", "a/b/x"}, nil},
		{`x{*,*}`, []string{"x", "xy"}, nil}, // "x**" glued: '*'
		{`{a/,}**/b`, []string{"a/b", "a/c/b", "b", "c/b"}, nil},
		{`a,b`, []string{"a,b"}, []string{"a", "b"}}, // ',' outside braces is literal
		{`{202[56],latest}/*`, []string{"2025/x", "2026/x", "latest/x"}, []string{"2024/x"}},

		// Escapes.
		{`\*.csv`, []string{"*.csv"}, []string{"a.csv"}},
		{`\{a,b\}`, []string{"{a,b}"}, []string{"a"}},
		{`{a\,b,c}`, []string{"a,b", "c"}, []string{"a", "b"}},
		{`\\`, []string{`\`}, nil},
		{`a\?`, []string{"a?"}, []string{"ab"}},
		{`\**`, []string{"*", "*x"}, []string{"x"}}, // escaped star is no globstar
		{`a\/b`, []string{"a/b"}, nil},

		// Bytes that are not UTF-8, and Unicode.
		{`data_*.csv`, []string{"data_\xff.csv", "data_\xc3.csv", "data_é.csv"}, nil},
		{`*\xffx`, nil, nil}, // not a byte escape: a literal "xffx"
		{`ü*`, []string{"über"}, []string{"uber"}},
		{`*ü`, []string{"\xffü"}, []string{"\xc3"}},
	}
	for _, tt := range tests {
		p := mustCompile(t, tt.pattern)
		if p.String() != tt.pattern {
			t.Errorf("String() = %q, want %q", p.String(), tt.pattern)
		}
		for _, name := range tt.match {
			if !p.Match(name) {
				t.Errorf("%q should match %q", tt.pattern, name)
			}
		}
		for _, name := range tt.noMatch {
			if p.Match(name) {
				t.Errorf("%q should not match %q", tt.pattern, name)
			}
		}
	}
}

func mustCompile(t *testing.T, pattern string) *Pattern {
	t.Helper()
	p, err := CompilePattern(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPatternMatchRefusesUncleanPaths(t *testing.T) {
	t.Parallel()
	for _, pat := range []string{`*`, `**`, `*/*`, `**/x`} {
		p := mustCompile(t, pat)
		for _, rel := range []string{"", "/", "/x", "x/", "a//x", "./x", "a/./x", "../x", "a/../x", ".", ".."} {
			if p.Match(rel) {
				t.Errorf("%q must not match %q", pat, rel)
			}
		}
	}
}

func TestCompilePatternErrors(t *testing.T) {
	t.Parallel()
	nest := func(n int) string { return strings.Repeat("{", n) + "a" + strings.Repeat("}", n) }
	branches := func(n int) string {
		b := make([]string, n)
		for i := range b {
			b[i] = fmt.Sprint(i)
		}
		return "{" + strings.Join(b, ",") + "}"
	}
	tests := []struct {
		pattern string
		offset  int
		msg     string
	}{
		{"", 0, "empty"},
		{strings.Repeat("a", 1025), 1024, "1025 bytes long; the limit is 1024"},
		{"a\x00b", 1, "NUL"},
		{"ab\xff", 2, "not valid UTF-8"},
		{"/data/*.csv", 0, "leading '/'"},
		{"/", 0, "leading '/'"},
		{"{a,/b}", 3, "leading '/'"},
		{`\/a`, 0, "leading '/'"},
		{"a//b", 1, "empty path segment"},
		{"a/", 1, "empty path segment"},
		{"a{/,}", 2, "empty path segment"},
		{"{,a}", 0, "is empty"},
		{"..", 0, "'..'"},
		{"a/../b", 2, "'..'"},
		{"../a", 0, "'..'"},
		{"a/.", 2, "'.'"},
		{"a/{.,b}", 3, "'.'"},
		{`\.\./x`, 0, "'..'"},
		{"[abc", 0, "unclosed '['"},
		{"x/[a-", 2, "unclosed '['"},
		{"[", 0, "unclosed '['"},
		{"{a,b", 0, "unclosed '{'"},
		{"x{a,{b,c}", 1, "unclosed '{'"},
		{"{a,[b}", 3, "unclosed '['"},
		{"[]", 0, "empty '[]'"},
		{"[!]", 0, "empty '[]'"},
		{"{}", 0, "empty '{}'"},
		{"[z-a]", 1, "reversed"},
		{"x[a-cz-b]", 5, "reversed"},
		{`a\`, 1, `trailing '\'`},
		{`[a\`, 2, `trailing '\'`},
		{"a}", 1, "unmatched '}'"},
		{"[a/b]", 2, "'/' cannot appear in '[]'"},
		{`[\/]`, 1, "'/' cannot appear in '[]'"},
		{nest(9), 8, "nested more than 8 deep"},
		{branches(65), 0, "more than 64 alternatives"},
		{strings.Repeat("{a,b}", 7), 30, "more than 64 alternatives"},
		{"{" + strings.Repeat("{a,b}", 7) + ",c}", 31, "more than 64 alternatives"},
		{"{" + branches(33) + "," + branches(32) + "}", 0, "more than 64 alternatives"},
	}
	for _, tt := range tests {
		p, err := CompilePattern(tt.pattern)
		var perr *PatternError
		switch {
		case err == nil:
			t.Errorf("pattern %.50q: no error", tt.pattern)
		case p != nil:
			t.Errorf("pattern %.50q: non-nil Pattern with an error", tt.pattern)
		case !errors.As(err, &perr):
			t.Errorf("pattern %.50q: error is %T, want *PatternError", tt.pattern, err)
		case perr.Pattern != tt.pattern || perr.Offset != tt.offset || !strings.Contains(perr.Msg, tt.msg):
			t.Errorf("pattern %.50q: got offset %d, %q; want offset %d, %q", tt.pattern, perr.Offset, perr.Msg, tt.offset, tt.msg)
		case !strings.HasPrefix(err.Error(), "discovery: invalid pattern "):
			t.Errorf("pattern %.50q: message %q lacks the prefix", tt.pattern, err)
		}
	}

	// The limits themselves are allowed.
	for _, ok := range []string{
		strings.Repeat("a", 1024),
		nest(8),
		branches(64),
		strings.Repeat("{a,b}", 6),
		"{" + branches(32) + "," + branches(32) + "}",
	} {
		mustCompile(t, ok)
	}
}

func TestPatternErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := CompilePattern("{a,b")
	const want = `discovery: invalid pattern "{a,b" at offset 0: unclosed '{'`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}

func TestCanMatchUnder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern string
		yes     []string
		no      []string
	}{
		{`2026/*.csv`, []string{"", ".", "2026"}, []string{"2025", "2026/x", "20266"}},
		{`*.csv`, []string{""}, []string{"x", "a.csv"}},
		{`**/*.csv`, []string{"", "a", "a/b/c"}, nil},
		{`data/**`, []string{"data", "data/x", "data/x/y"}, []string{"other", "database"}},
		{`{2025,2026}/*/x.csv`, []string{"2025", "2026/01"}, []string{"2024", "2025/01/x.csv", "2025/01/02"}},
		{`a/**/b/*.csv`, []string{"a", "a/x", "a/b", "a/x/y/b"}, []string{"c", "b"}},
		{`{x/y,z}/*.csv`, []string{"x", "x/y", "z"}, []string{"y", "x/z", "z/y"}},
		{`[0-9]*/**`, []string{"2026", "2026/a/b"}, []string{"x"}},
	}
	for _, tt := range tests {
		p := mustCompile(t, tt.pattern)
		for _, d := range tt.yes {
			if !p.CanMatchUnder(d) {
				t.Errorf("%q: CanMatchUnder(%q) = false, want true", tt.pattern, d)
			}
		}
		for _, d := range append(tt.no, "/", "/x", "x/", "a//b", "../x", "x/..") {
			if p.CanMatchUnder(d) {
				t.Errorf("%q: CanMatchUnder(%q) = true, want false", tt.pattern, d)
			}
		}
	}
}

// TestCanMatchUnderIsSound checks the property the walker relies on: when a
// file matches, CanMatchUnder is true for every directory above it. It also
// compares Match with a plain backtracking matcher.
func TestCanMatchUnderIsSound(t *testing.T) {
	t.Parallel()
	patterns := []string{`*.csv`, `**/*.csv`, `a/**`, `**/a/**/a`, `a/**/**/z*`, `**/[ab]/**`, `**/a/*/**/b`, `a/**/b/**/c`, `{a,b/c}/*`, `*/{x,**/y}`, `[ab]*/?/**/z*`}
	names := []string{"a", "b", "c", "x", "y", "z", "a.csv", "zz"}
	var paths []string
	var gen func(prefix string, depth int)
	gen = func(prefix string, depth int) {
		for _, n := range names {
			p := n
			if prefix != "" {
				p = prefix + "/" + n
			}
			paths = append(paths, p)
			if depth > 1 {
				gen(p, depth-1)
			}
		}
	}
	gen("", 4)
	for _, pat := range patterns {
		p := mustCompile(t, pat)
		for _, rel := range paths {
			checkPruning(t, p, rel)
			checkReference(t, p, rel)
		}
	}
}

func checkPruning(t *testing.T, p *Pattern, rel string) {
	t.Helper()
	if !p.Match(rel) {
		return
	}
	for i := range len(rel) {
		if rel[i] == '/' && !p.CanMatchUnder(rel[:i]) {
			t.Fatalf("pattern %q matches %q but CanMatchUnder(%q) is false", p, rel, rel[:i])
		}
	}
}

// TestPatternHostileInput checks that patterns built to make a backtracking
// matcher explode stay fast. A test timeout would catch a regression; the
// explicit bound makes the failure readable.
func TestPatternHostileInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 10000)
	deep := strings.TrimSuffix(strings.Repeat("a/", 2000), "/") // 3999 bytes
	// Six nested pairs of braces expand to 64 alternatives, each nearly the
	// whole pattern long.
	braces := strings.Repeat("{a,b}", 6)
	names := strings.TrimSuffix(strings.Repeat(strings.Repeat("a", 255)+"/", 16), "/")
	tests := []struct {
		pattern string
		path    string
	}{
		{`*a*a*a*a*a*a*a*a*b`, long},
		{strings.Repeat("*a", 200) + "*b", long},
		{strings.Repeat("**/a/", 150) + "b", deep},
		{braces + strings.Repeat("*a", 480) + "*b", long},
		{braces + strings.Repeat("/**/a", 190), deep},
		{braces + "/" + strings.Repeat("?", 900) + "b", long},
		// The slowest shape found: every alternative retries a long block
		// after the '*' at every position of every 255-byte name.
		{"**/*" + strings.Repeat("?", 128) + "b" + braces, names},
		{"**/*" + strings.Repeat("?a", 64) + "*" + strings.Repeat("?a", 64) + "b" + braces, names},
	}
	for _, tt := range tests {
		start := time.Now()
		p := mustCompile(t, tt.pattern)
		if p.Match(tt.path) {
			t.Errorf("pattern %.40q matched", tt.pattern)
		}
		p.CanMatchUnder(tt.path)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("pattern %.40q took %v", tt.pattern, d)
		}
	}
}

// TestMatchAgainstPathMatch compares Match with path.Match on the syntax both
// share.
func TestMatchAgainstPathMatch(t *testing.T) {
	t.Parallel()
	patterns := []string{`*`, `a*`, `*a*b`, `?`, `??*`, `[a-c]*`, `[^a]?`, `*/b*`, `a/*/?`, `*[a-c]`, `\*x`}
	names := []string{"a", "b", "ab", "ba", "abb", "cab", "*x", "a/b", "a/bc", "b/b", "a/b/c", "a/xy/z", "\xffa", "éb"}
	for _, pat := range patterns {
		p := mustCompile(t, pat)
		for _, n := range names {
			want, err := path.Match(pat, n)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(n); got != want {
				t.Errorf("pattern %q, name %q: Match = %v, path.Match = %v", pat, n, got, want)
			}
		}
	}
}

func FuzzCompilePattern(f *testing.F) {
	for _, s := range []struct{ pattern, path string }{
		{"*.csv", "a.csv"},
		{"**/*.csv", "x/y/a.csv"},
		{"data/**", "data/x"},
		{"{a,{b,c}}/[!x-z]?", "b/q1"},
		{`\{[\]-]}`, "{]}"},
		{"a**b/**", "axb/c/d"},
		{"*a*a*a*b", "aaaaaaa"},
		{"[é-ü]*", "ö\xff"},
		{"{,x/}**/{y,}z", "x/y/yz"},
	} {
		f.Add(s.pattern, s.path)
	}
	f.Fuzz(func(t *testing.T, pattern, rel string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			var perr *PatternError
			if !errors.As(err, &perr) || perr.Pattern != pattern || perr.Offset < 0 || perr.Offset > len(pattern) {
				t.Fatalf("bad error for %q: %#v", pattern, err)
			}
			return
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		matched := p.Match(rel)
		p.CanMatchUnder(rel)
		if matched {
			checkPruning(t, p, rel)
		}
		// The reference matcher is exponential: keep its inputs small.
		if len(rel) <= 32 && len(pattern) <= 32 {
			checkReference(t, p, rel)
		}
	})
}

// checkReference compares Match with a plain backtracking matcher.
func checkReference(t *testing.T, p *Pattern, rel string) {
	t.Helper()
	want := false
	if segs, ok := splitClean(rel); ok {
		for _, alt := range p.alts {
			want = want || refMatch(alt, segs)
		}
	}
	if got := p.Match(rel); got != want {
		t.Fatalf("pattern %q, path %q: Match = %v, reference = %v", p, rel, got, want)
	}
}

// refMatch and refSegment match by plain recursion: exponential, but
// obviously right.
func refMatch(alt []segment, segs []string) bool {
	if len(alt) == 0 {
		return len(segs) == 0
	}
	if alt[0].globstar {
		for k := 0; k <= len(segs); k++ {
			if refMatch(alt[1:], segs[k:]) {
				return true
			}
		}
		return false
	}
	return len(segs) > 0 && refSegment(alt[0].toks, segs[0]) && refMatch(alt[1:], segs[1:])
}

func refSegment(toks []token, s string) bool {
	if len(toks) == 0 {
		return s == ""
	}
	switch t := toks[0]; t.kind {
	case tokStar:
		for i := 0; ; {
			if refSegment(toks[1:], s[i:]) {
				return true
			}
			if i == len(s) {
				return false
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	case tokLiteral:
		return strings.HasPrefix(s, t.lit) && refSegment(toks[1:], s[len(t.lit):])
	default:
		if s == "" {
			return false
		}
		r, w := utf8.DecodeRuneInString(s)
		if t.kind == tokClass && !t.cls.matches(r, w) {
			return false
		}
		return refSegment(toks[1:], s[w:])
	}
}
