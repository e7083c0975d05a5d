package discovery

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on patterns. Patterns come from API users, so whatever they type,
// compiling and matching must stay cheap.
const (
	maxPatternLen   = 1024 // bytes
	maxAlternatives = 64   // plain patterns a pattern may expand to through '{}'
	maxBraceDepth   = 8
)

// Pattern is a compiled file pattern, matched against slash-separated paths
// relative to the datasource directory. The syntax is described in the
// package documentation.
//
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	src string
	// alts holds one plain pattern per '{}' expansion; a path matches if
	// any of them does. Each is a list of path segments.
	alts [][]segment
}

// segment is one '/'-separated part of a plain pattern.
type segment struct {
	globstar bool    // "**": zero or more whole path segments
	toks     []token // the segment's pattern when not a globstar
	minLen   int     // bytes a name needs at least to match toks
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota // exact bytes
	tokStar                     // '*'
	tokAny                      // '?'
	tokClass                    // '[...]'
)

type token struct {
	kind tokenKind
	lit  string     // tokLiteral
	cls  *charClass // tokClass
}

type charClass struct {
	negated bool
	ranges  []runeRange
}

type runeRange struct{ lo, hi rune }

// PatternError describes why a pattern was refused.
type PatternError struct {
	Pattern string // the pattern as given
	Offset  int    // byte offset in Pattern where the problem is
	Msg     string // what is wrong, without the "discovery:" prefix
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("discovery: invalid pattern %q at offset %d: %s", e.Pattern, e.Offset, e.Msg)
}

// CompilePattern parses pattern and returns a Pattern that can be matched
// against paths. Errors are of type *PatternError.
func CompilePattern(pattern string) (*Pattern, error) {
	p := &parser{src: pattern}
	switch {
	case pattern == "":
		return nil, p.fail(0, "pattern is empty")
	case len(pattern) > maxPatternLen:
		return nil, p.fail(maxPatternLen, "pattern is %d bytes long; the limit is %d", len(pattern), maxPatternLen)
	case strings.IndexByte(pattern, 0) >= 0:
		return nil, p.fail(strings.IndexByte(pattern, 0), "pattern contains a NUL byte")
	case !utf8.ValidString(pattern):
		return nil, p.fail(firstInvalidUTF8(pattern), "pattern is not valid UTF-8")
	}
	seq, _, err := p.parseSeq(0)
	if err != nil {
		return nil, err
	}
	// parseSeq at depth 0 only stops at the end of the pattern.
	var alts [][]segment
	for _, plain := range expand(seq) {
		segs, err := p.segments(plain)
		if err != nil {
			return nil, err
		}
		alts = append(alts, segs)
	}
	return &Pattern{src: pattern, alts: alts}, nil
}

// String returns the pattern as given to CompilePattern.
func (p *Pattern) String() string { return p.src }

// Match reports whether relPath matches the pattern. relPath is relative to
// the datasource directory and uses '/' separators. It must be clean: paths
// that are empty, start or end with '/', or contain "//", "." or ".."
// segments never match.
//
// Nothing is retried more than once per character, so the cost grows with
// len(relPath) times the length of the pattern (of each of its '{}'
// expansions), never exponentially.
func (p *Pattern) Match(relPath string) bool {
	segs, ok := splitClean(relPath)
	if !ok {
		return false
	}
	for _, alt := range p.alts {
		if states := run(alt, segs); len(states) > 0 && states[len(states)-1] == len(alt) {
			return true
		}
	}
	return false
}

// CanMatchUnder reports whether some path below the directory relDir could
// match the pattern, so that a directory walker can skip relDir when it
// returns false. relDir follows the rules of Match, except that "" and "."
// stand for the datasource directory itself (always true).
//
// It never returns false when a match below relDir is possible. It may return
// true when none is, for segments that can only match "." or "..", such as
// "[.]".
func (p *Pattern) CanMatchUnder(relDir string) bool {
	if relDir == "" || relDir == "." {
		return true
	}
	segs, ok := splitClean(relDir)
	if !ok {
		return false
	}
	for _, alt := range p.alts {
		// A live state short of the end of alt means more segments can
		// follow: a file below relDir may match.
		if states := run(alt, segs); len(states) > 0 && states[0] < len(alt) {
			return true
		}
	}
	return false
}

// splitClean splits a clean relative path into its segments.
func splitClean(rel string) ([]string, bool) {
	if rel == "" {
		return nil, false
	}
	segs := strings.Split(rel, "/")
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return nil, false
		}
	}
	return segs, true
}

// run feeds path segments to the automaton whose states are positions in
// alt: state i is live when the segments consumed so far can be followed by a
// path matching alt[i:]. It returns the live states in increasing order, or
// nil when none is left.
//
// Tracking every position at once, instead of trying them one after the
// other, is what keeps "**" from backtracking; see also closeGlobstars.
func run(alt []segment, segs []string) []int {
	cur := closeGlobstars(alt, []int{0}, nil)
	var next []int
	for _, s := range segs {
		next = next[:0]
		for _, i := range cur {
			switch {
			case i == len(alt):
			case alt[i].globstar:
				next = append(next, i) // "**" takes this segment and may take more
			case len(s) >= alt[i].minLen && matchSegment(alt[i].toks, s):
				next = append(next, i+1)
			}
		}
		if len(next) == 0 {
			return nil
		}
		cur = closeGlobstars(alt, next, cur[:0])
	}
	return cur
}

// closeGlobstars appends to dst the states in (sorted) states, without
// duplicates, plus those reached by letting a "**" match no segment. It then
// drops the states before the last "**": whatever they can still match, that
// "**" can too, by taking the segments they would take. This is the
// segment-level twin of the single backtrack point in matchSegment, and keeps
// the number of live states small however many "**" there are.
func closeGlobstars(alt []segment, states, dst []int) []int {
	last := -1
	add := func(i int) {
		if len(dst) == 0 || dst[len(dst)-1] < i {
			dst = append(dst, i)
		}
	}
	for _, i := range states {
		add(i)
		if i < len(alt) && alt[i].globstar {
			last = len(dst) - 1
			add(i + 1) // never a "**": segments() merges "**/**"
		}
	}
	if last > 0 {
		dst = append(dst[:0], dst[last:]...)
	}
	return dst
}

// matchSegment matches one path segment against a segment pattern.
//
// This is the classic wildcard algorithm that, on a mismatch, only retries
// the most recent '*' one character further. That is enough because every
// other token matches a fixed span from a given position, and it bounds the
// cost to len(toks)*len(s) steps.
//
// Characters are decoded as UTF-8; each byte that is not part of valid UTF-8
// counts as one character, so such names still match '*' and '?'.
func matchSegment(toks []token, s string) bool {
	ti, si := 0, 0
	starTok, starPos := -1, 0
	for {
		if ti < len(toks) {
			t := toks[ti]
			switch t.kind {
			case tokStar:
				if ti == len(toks)-1 {
					return true // a final '*' takes the rest
				}
				starTok, starPos = ti, si
				ti++
				continue
			case tokLiteral:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			case tokAny:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			case tokClass:
				if si < len(s) {
					r, w := utf8.DecodeRuneInString(s[si:])
					if t.cls.matches(r, w) {
						si += w
						ti++
						continue
					}
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTok < 0 || starPos == len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starPos:])
		starPos += w
		ti, si = starTok+1, starPos
	}
}

// matches reports whether the character r, w bytes long, is in the class.
func (c *charClass) matches(r rune, w int) bool {
	if r == utf8.RuneError && w == 1 {
		// A byte that is not valid UTF-8 is in no range, so only negated
		// classes match it.
		return c.negated
	}
	for _, rg := range c.ranges {
		if rg.lo <= r && r <= rg.hi {
			return !c.negated
		}
	}
	return c.negated
}

// Parsing happens in two steps: the pattern is parsed into a tree of nodes,
// then '{}' alternatives are expanded into plain node lists, which are cut
// into segments. Expanding first means "**" can be recognised as a whole
// segment by looking at its neighbours, wherever the braces were.

type nodeKind uint8

const (
	nodeLiteral nodeKind = iota // one character
	nodeSep                     // '/'
	nodeStar                    // '*'
	nodeAny                     // '?'
	nodeClass                   // '[...]'
	nodeAlt                     // '{...}'
)

type node struct {
	kind nodeKind
	off  int        // byte offset in the pattern, for errors
	r    rune       // nodeLiteral
	cls  *charClass // nodeClass
	alts [][]node   // nodeAlt: one node list per branch
}

type parser struct {
	src string
	pos int
}

func (p *parser) fail(off int, format string, args ...any) error {
	return &PatternError{Pattern: p.src, Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// parseSeq parses nodes until the end of the pattern or, inside braces
// (depth > 0), an unescaped ',' or '}', which it leaves unread. It also
// returns how many plain patterns the nodes expand to.
func (p *parser) parseSeq(depth int) ([]node, int, error) {
	var seq []node
	count := 1
	for p.pos < len(p.src) {
		off := p.pos
		switch c := p.src[p.pos]; c {
		case '\\':
			p.pos++
			if p.pos == len(p.src) {
				return nil, 0, p.fail(off, `trailing '\' escapes nothing`)
			}
			r, w := utf8.DecodeRuneInString(p.src[p.pos:])
			p.pos += w
			if r == '/' {
				seq = append(seq, node{kind: nodeSep, off: off}) // names cannot contain '/'
			} else {
				seq = append(seq, node{kind: nodeLiteral, off: off, r: r})
			}
		case '/':
			p.pos++
			seq = append(seq, node{kind: nodeSep, off: off})
		case '*':
			p.pos++
			seq = append(seq, node{kind: nodeStar, off: off})
		case '?':
			p.pos++
			seq = append(seq, node{kind: nodeAny, off: off})
		case '[':
			cls, err := p.parseClass()
			if err != nil {
				return nil, 0, err
			}
			seq = append(seq, node{kind: nodeClass, off: off, cls: cls})
		case '{':
			if depth == maxBraceDepth {
				return nil, 0, p.fail(off, "braces are nested more than %d deep", maxBraceDepth)
			}
			alts, n, err := p.parseAlt(depth + 1)
			if err != nil {
				return nil, 0, err
			}
			// Both factors are at most maxAlternatives: no overflow.
			if count *= n; count > maxAlternatives {
				return nil, 0, p.fail(off, "pattern expands to more than %d alternatives", maxAlternatives)
			}
			seq = append(seq, node{kind: nodeAlt, off: off, alts: alts})
		case ',', '}':
			if depth > 0 {
				return seq, count, nil
			}
			if c == '}' {
				return nil, 0, p.fail(off, `unmatched '}' (write '\}' for a literal brace)`)
			}
			p.pos++
			seq = append(seq, node{kind: nodeLiteral, off: off, r: ','})
		default:
			r, w := utf8.DecodeRuneInString(p.src[p.pos:])
			p.pos += w
			seq = append(seq, node{kind: nodeLiteral, off: off, r: r})
		}
	}
	return seq, count, nil
}

// parseAlt parses "{a,b,...}" starting at the '{'.
func (p *parser) parseAlt(depth int) ([][]node, int, error) {
	open := p.pos
	p.pos++
	var alts [][]node
	count := 0
	for {
		seq, n, err := p.parseSeq(depth)
		if err != nil {
			return nil, 0, err
		}
		alts = append(alts, seq)
		if count += n; count > maxAlternatives {
			return nil, 0, p.fail(open, "pattern expands to more than %d alternatives", maxAlternatives)
		}
		if p.pos == len(p.src) {
			return nil, 0, p.fail(open, "unclosed '{'")
		}
		c := p.src[p.pos] // ',' or '}'
		p.pos++
		if c == '}' {
			break
		}
	}
	if len(alts) == 1 && len(alts[0]) == 0 {
		return nil, 0, p.fail(open, `empty '{}' (write '\{\}' for literal braces)`)
	}
	return alts, count, nil
}

// parseClass parses "[...]" starting at the '['.
func (p *parser) parseClass() (*charClass, error) {
	open := p.pos
	p.pos++
	cls := &charClass{}
	if p.pos < len(p.src) && (p.src[p.pos] == '!' || p.src[p.pos] == '^') {
		cls.negated = true
		p.pos++
	}
	for {
		if p.pos == len(p.src) {
			return nil, p.fail(open, "unclosed '['")
		}
		if p.src[p.pos] == ']' {
			p.pos++
			break
		}
		off := p.pos
		lo, err := p.classChar()
		if err != nil {
			return nil, err
		}
		hi := lo
		// A '-' right before the closing ']' is a literal '-'.
		if p.pos+1 < len(p.src) && p.src[p.pos] == '-' && p.src[p.pos+1] != ']' {
			p.pos++
			if hi, err = p.classChar(); err != nil {
				return nil, err
			}
			if hi < lo {
				return nil, p.fail(off, "range %q-%q in '[]' is reversed", lo, hi)
			}
		}
		cls.ranges = append(cls.ranges, runeRange{lo, hi})
	}
	if len(cls.ranges) == 0 {
		return nil, p.fail(open, `empty '[]' (write '\[\]' for literal brackets)`)
	}
	return cls, nil
}

func (p *parser) classChar() (rune, error) {
	off := p.pos
	if p.src[p.pos] == '\\' {
		p.pos++
		if p.pos == len(p.src) {
			return 0, p.fail(off, `trailing '\' escapes nothing`)
		}
	}
	r, w := utf8.DecodeRuneInString(p.src[p.pos:])
	p.pos += w
	if r == '/' {
		return 0, p.fail(off, "'/' cannot appear in '[]': classes never match '/'")
	}
	return r, nil
}

// expand returns the plain node lists seq stands for, one per combination of
// '{}' branches. The parser has checked there are at most maxAlternatives.
func expand(seq []node) [][]*node {
	out := [][]*node{nil}
	for k := range seq {
		n := &seq[k]
		if n.kind != nodeAlt {
			for i := range out {
				out[i] = append(out[i], n)
			}
			continue
		}
		var branches [][]*node
		for _, alt := range n.alts {
			branches = append(branches, expand(alt)...)
		}
		next := make([][]*node, 0, len(out)*len(branches))
		for _, prefix := range out {
			for _, b := range branches {
				next = append(next, slices.Concat(prefix, b)) // fresh copy: no shared tails
			}
		}
		out = next
	}
	return out
}

// segments cuts a plain node list at '/' and compiles each segment.
func (p *parser) segments(plain []*node) ([]segment, error) {
	if len(plain) == 0 {
		return nil, p.fail(0, "pattern, or one of its '{}' alternatives, is empty")
	}
	if plain[0].kind == nodeSep {
		return nil, p.fail(plain[0].off, "pattern must be relative to the datasource directory (remove the leading '/')")
	}
	var segs []segment
	start := 0
	for i := 0; i <= len(plain); i++ {
		if i < len(plain) && plain[i].kind != nodeSep {
			continue
		}
		if i == start {
			return nil, p.fail(plain[i-1].off, "empty path segment (from '//' or a trailing '/')")
		}
		seg, err := p.segment(plain[start:i])
		if err != nil {
			return nil, err
		}
		// "**/**" means the same as "**".
		if !(seg.globstar && len(segs) > 0 && segs[len(segs)-1].globstar) {
			segs = append(segs, seg)
		}
		start = i + 1
	}
	// A final "**" matches everything below, not the directory itself:
	// "data/**" means "data/*/**".
	if last := len(segs) - 1; segs[last].globstar {
		segs = slices.Insert(segs, last, segment{toks: []token{{kind: tokStar}}})
	}
	return segs, nil
}

func (p *parser) segment(nodes []*node) (segment, error) {
	allStars, allLiteral := true, true
	var text []byte
	for _, n := range nodes {
		allStars = allStars && n.kind == nodeStar
		allLiteral = allLiteral && n.kind == nodeLiteral
		if n.kind == nodeLiteral {
			text = utf8.AppendRune(text, n.r)
		}
	}
	if allStars && len(nodes) >= 2 {
		return segment{globstar: true}, nil
	}
	if allLiteral && (string(text) == "." || string(text) == "..") {
		return segment{}, p.fail(nodes[0].off, "'.' and '..' path segments are not allowed")
	}
	// Runs of literals become one token and runs of '*' one '*': glued to
	// other text, "**" is an ordinary '*'.
	var toks []token
	var lit []byte
	for i, n := range nodes {
		if n.kind == nodeLiteral {
			lit = utf8.AppendRune(lit, n.r)
			if i+1 == len(nodes) || nodes[i+1].kind != nodeLiteral {
				toks = append(toks, token{kind: tokLiteral, lit: string(lit)})
				lit = lit[:0]
			}
			continue
		}
		switch n.kind {
		case nodeStar:
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
		case nodeAny:
			toks = append(toks, token{kind: tokAny})
		case nodeClass:
			toks = append(toks, token{kind: tokClass, cls: n.cls})
		}
	}
	minLen := 0
	for _, t := range toks {
		switch t.kind {
		case tokLiteral:
			minLen += len(t.lit)
		case tokAny, tokClass:
			minLen++
		}
	}
	return segment{toks: toks, minLen: minLen}, nil
}

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, w := utf8.DecodeRuneInString(s[i:]); w == 1 {
				return i
			}
		}
	}
	return 0
}
