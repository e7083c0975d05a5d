package cron

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLength caps the input so that hostile or accidental huge strings are
// refused before any work is done on them.
const maxLength = 256

// Field names used in ParseError.Field.
const (
	fieldSecond     = "second"
	fieldMinute     = "minute"
	fieldHour       = "hour"
	fieldDayOfMonth = "dayOfMonth"
	fieldMonth      = "month"
	fieldDayOfWeek  = "dayOfWeek"
	fieldYear       = "year"
)

// ParseError is returned by Parse. Field names the failing field ("second",
// "minute", "hour", "dayOfMonth", "month", "dayOfWeek", "year"), or is empty
// for problems with the expression as a whole; Msg says what to fix.
type ParseError struct {
	Expr  string // the expression, trimmed
	Field string
	Msg   string
}

// Error formats the error as `cron: field: msg in "expr"`. Long expressions
// are cut short so that a hostile input cannot flood logs.
func (e *ParseError) Error() string {
	expr := e.Expr
	if len(expr) > 64 {
		expr = expr[:64] + "..."
	}
	if e.Field == "" {
		return fmt.Sprintf("cron: %s in %q", e.Msg, expr)
	}
	return fmt.Sprintf("cron: %s: %s in %q", e.Field, e.Msg, expr)
}

// fieldSpec describes the values one field accepts.
type fieldSpec struct {
	name     string
	min, max int
	maxStep  int
	names    []string // names[i] stands for value nameBase+i
	nameBase int
	hint     string // appended to out-of-range messages
	base     int    // value stored at bit 0 of a valueSet (1970 for years)
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}

	// The step limits follow Quartz, which refuses increments larger than
	// the field's maximum value.
	secondSpec     = fieldSpec{name: fieldSecond, min: 0, max: 59, maxStep: 59}
	minuteSpec     = fieldSpec{name: fieldMinute, min: 0, max: 59, maxStep: 59}
	hourSpec       = fieldSpec{name: fieldHour, min: 0, max: 23, maxStep: 23}
	dayOfMonthSpec = fieldSpec{name: fieldDayOfMonth, min: 1, max: 31, maxStep: 31}
	monthSpec      = fieldSpec{name: fieldMonth, min: 1, max: 12, maxStep: 12, names: monthNames, nameBase: 1}
	quartzDOWSpec  = fieldSpec{name: fieldDayOfWeek, min: 1, max: 7, maxStep: 7, names: dayNames, nameBase: 1,
		hint: " (Quartz numbering, 1=SUN)"}
	unixDOWSpec = fieldSpec{name: fieldDayOfWeek, min: 0, max: 7, maxStep: 7, names: dayNames, nameBase: 0,
		hint: " (Unix numbering, 0 or 7=SUN)"}
	yearSpec = fieldSpec{name: fieldYear, min: minYear, max: maxYear, maxStep: maxYear - minYear, base: minYear}
)

// Quartz's year range.
const (
	minYear = 1970
	maxYear = 2099
)

// valueSet is a bit set large enough for the year field (130 values).
type valueSet [3]uint64

func (s *valueSet) add(i int)      { s[i/64] |= 1 << (i % 64) }
func (s *valueSet) has(i int) bool { return i >= 0 && i < 192 && s[i/64]&(1<<(i%64)) != 0 }

// descriptors maps the @-shortcuts to their Unix meaning.
var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// Parse parses a cron expression: 5 fields with Unix (Vixie) meaning, 6 or 7
// fields with Quartz meaning, or a descriptor such as @daily. See the package
// documentation for the syntax. Expressions longer than 256 bytes, and
// expressions that match no date at all (such as February 31), are refused.
// Every error is a *ParseError.
func Parse(expr string) (*Expression, error) {
	s := strings.TrimSpace(expr) // cheap even for huge input: it only looks at the ends
	p := &parser{expr: s}
	if len(expr) > maxLength {
		return nil, p.errorf("", "expression is longer than %d bytes", maxLength)
	}
	if s == "" {
		return nil, p.errorf("", "empty expression")
	}
	if s[0] == '@' {
		return p.parseDescriptor()
	}
	fields := strings.Fields(s)
	var (
		e   *Expression
		err error
	)
	switch len(fields) {
	case 5:
		e, err = p.parseUnix(fields)
	case 6, 7:
		e, err = p.parseQuartz(fields)
	default:
		return nil, p.errorf("", "expected 5 fields (Unix: min hour dom month dow) or 6-7 fields "+
			"(Quartz: sec min hour dom month dow [year]), got %d", len(fields))
	}
	if err != nil {
		return nil, err
	}
	e.text = s
	if !e.firesSomeday() {
		return nil, p.errorf("", "expression never fires: no calendar date matches the "+
			"day-of-month, month, day-of-week and year fields")
	}
	return e, nil
}

// parser carries the expression being parsed so errors can quote it.
type parser struct {
	expr string
}

func (p *parser) errorf(field, format string, args ...any) *ParseError {
	return &ParseError{Expr: p.expr, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parseDescriptor() (*Expression, error) {
	fields := strings.Fields(p.expr)
	name := strings.ToLower(fields[0])
	switch name {
	case "@every":
		return nil, p.errorf("", "@every is not supported in cron expressions; use the interval field for fixed intervals")
	case "@reboot":
		return nil, p.errorf("", "@reboot is not supported")
	}
	unix, ok := descriptors[name]
	if !ok {
		return nil, p.errorf("", "unknown descriptor %q (want @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)", fields[0])
	}
	if len(fields) > 1 {
		return nil, p.errorf("", "descriptor %s takes no fields", fields[0])
	}
	e, err := p.parseUnix(strings.Fields(unix))
	if err != nil {
		return nil, err // unreachable: the table holds valid expressions
	}
	e.text = p.expr
	return e, nil
}

func (p *parser) parseUnix(f []string) (*Expression, error) {
	e := &Expression{second: 1} // Unix expressions fire at second 0
	var err error
	if e.minute, err = p.parseBits(f[0], &minuteSpec, false); err != nil {
		return nil, err
	}
	if e.hour, err = p.parseBits(f[1], &hourSpec, false); err != nil {
		return nil, err
	}
	if e.dom, err = p.parseUnixDayOfMonth(f[2]); err != nil {
		return nil, err
	}
	if e.month, err = p.parseBits(f[3], &monthSpec, false); err != nil {
		return nil, err
	}
	if e.dow, err = p.parseUnixDayOfWeek(f[4]); err != nil {
		return nil, err
	}
	// crontab(5): "If both fields are restricted (i.e., don't start with *),
	// the command will be run when either field matches the current time."
	// A lone ? is accepted as a synonym for *.
	e.union = !unrestricted(f[2]) && !unrestricted(f[4])
	e.wallClock = !repeating(f[0]) && !repeating(f[1])
	return e, nil
}

func unrestricted(tok string) bool { return tok == "?" || strings.HasPrefix(tok, "*") }

// repeating reports whether a time-of-day field describes a repetition
// (a wildcard or a step) rather than specific times; see "Daylight saving
// time" in the package documentation.
func repeating(tok string) bool { return strings.ContainsAny(tok, "*/") }

func (p *parser) parseQuartz(f []string) (*Expression, error) {
	e := &Expression{}
	var err error
	if e.second, err = p.parseBits(f[0], &secondSpec, true); err != nil {
		return nil, err
	}
	if e.minute, err = p.parseBits(f[1], &minuteSpec, true); err != nil {
		return nil, err
	}
	if e.hour, err = p.parseBits(f[2], &hourSpec, true); err != nil {
		return nil, err
	}
	if e.dom, err = p.parseQuartzDayOfMonth(f[3]); err != nil {
		return nil, err
	}
	if e.month, err = p.parseBits(f[4], &monthSpec, true); err != nil {
		return nil, err
	}
	if e.dow, err = p.parseQuartzDayOfWeek(f[5]); err != nil {
		return nil, err
	}
	if len(f) == 7 {
		if err = p.parseYear(f[6], e); err != nil {
			return nil, err
		}
	}
	// Quartz wants exactly one of the two day fields to be ?. We also accept
	// * as "no restriction" there, but two real restrictions are ambiguous
	// (AND or OR?), so we refuse them as Quartz does.
	if e.dom.kind != domAll && e.dow.kind != dowAll {
		return nil, p.errorf(fieldDayOfWeek, "support for specifying both a day-of-week AND a day-of-month "+
			"parameter is not implemented; put ? in dayOfMonth or dayOfWeek")
	}
	e.wallClock = !repeating(f[0]) && !repeating(f[1]) && !repeating(f[2])
	return e, nil
}

func (p *parser) parseYear(tok string, e *Expression) error {
	if err := p.checkChars(tok, fieldYear); err != nil {
		return err
	}
	if tok == "*" {
		return nil // any year, without Quartz's 2099 horizon
	}
	set, err := p.parseList(strings.ToUpper(tok), &yearSpec, false)
	if err != nil {
		return err
	}
	e.years = &set
	return nil
}

// parseBits parses a plain list field whose values fit in one word.
func (p *parser) parseBits(tok string, spec *fieldSpec, wrap bool) (uint64, error) {
	if err := p.checkChars(tok, spec.name); err != nil {
		return 0, err
	}
	set, err := p.parseList(strings.ToUpper(tok), spec, wrap)
	return set[0], err
}

// checkChars refuses characters that no field accepts, and ? outside the
// day fields, so that later messages can assume well-formed tokens.
func (p *parser) checkChars(tok, field string) error {
	for i := 0; i < len(tok); {
		r, size := utf8.DecodeRuneInString(tok[i:])
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r == '*', r == ',', r == '/', r == '-', r == '#':
		case r == '?':
			if field != fieldDayOfMonth && field != fieldDayOfWeek {
				return p.errorf(field, "? is only allowed in dayOfMonth and dayOfWeek")
			}
		default:
			return p.errorf(field, "unexpected character %q", r)
		}
		i += size
	}
	return nil
}

// parseList parses comma-separated elements: *, a, a-b, */n, a/n, a-b/n.
// With wrap (Quartz), a reversed range such as FRI-MON or 22-2 wraps around
// the end of the field, as Quartz does; otherwise it is refused.
func (p *parser) parseList(tok string, spec *fieldSpec, wrap bool) (valueSet, error) {
	var set valueSet
	for _, part := range strings.Split(tok, ",") {
		if err := p.parseElement(part, spec, wrap, &set); err != nil {
			return set, err
		}
	}
	return set, nil
}

func (p *parser) parseElement(part string, spec *fieldSpec, wrap bool, set *valueSet) error {
	if part == "" {
		return p.errorf(spec.name, "empty element in list")
	}
	rng, stepText, hasStep := strings.Cut(part, "/")
	step := 1
	if hasStep {
		n, ok := atoi(stepText)
		switch {
		case stepText == "":
			return p.errorf(spec.name, "missing step after / in %q", part)
		case strings.Contains(stepText, "/"):
			return p.errorf(spec.name, "more than one / in %q", part)
		case !isDigits(stepText):
			return p.errorf(spec.name, "invalid step %q", stepText)
		case ok && n == 0:
			return p.errorf(spec.name, "step must be at least 1 in %q", part)
		case !ok || n > spec.maxStep:
			return p.errorf(spec.name, "step %s is larger than %d in %q", stepText, spec.maxStep, part)
		}
		step = n
	}
	var lo, hi int
	switch {
	case rng == "*":
		lo, hi = spec.min, spec.max
	case rng == "":
		return p.errorf(spec.name, "missing value before / in %q", part)
	default:
		a, b, isRange := strings.Cut(rng, "-")
		var err error
		if a == "" {
			return p.errorf(spec.name, "missing range start in %q", part)
		}
		if lo, err = p.value(a, spec); err != nil {
			return err
		}
		switch {
		case isRange:
			if b == "" {
				return p.errorf(spec.name, "missing range end in %q", part)
			}
			if hi, err = p.value(b, spec); err != nil {
				return err
			}
		case hasStep:
			hi = spec.max // Quartz: "a/n" means "from a, every n"
		default:
			hi = lo
		}
	}
	span := spec.max - spec.min + 1
	if lo > hi {
		if !wrap || spec.name == fieldYear {
			return p.errorf(spec.name, "range %q is reversed; the start must not be after the end", rng)
		}
		hi += span
	}
	for v := lo; v <= hi; v += step {
		w := v
		if w > spec.max {
			w -= span
		}
		set.add(w - spec.base)
	}
	return nil
}

// value parses one number or three-letter name; tok is upper case.
func (p *parser) value(tok string, spec *fieldSpec) (int, error) {
	if tok == "" {
		return 0, p.errorf(spec.name, "missing value")
	}
	if isDigits(tok) {
		n, ok := atoi(tok)
		if !ok || n < spec.min || n > spec.max {
			return 0, p.errorf(spec.name, "value %s out of range %d-%d%s", tok, spec.min, spec.max, spec.hint)
		}
		return n, nil
	}
	for i, name := range spec.names {
		if tok == name {
			return spec.nameBase + i, nil
		}
	}
	switch {
	case tok == "*" || tok == "?":
		return 0, p.errorf(spec.name, "%s must stand alone (or as */n)", tok)
	case spec.names != nil && isLetters(tok):
		return 0, p.errorf(spec.name, "unknown name %q (want %s-%s)", tok, spec.names[0], spec.names[len(spec.names)-1])
	case spec.names == nil && isLetters(tok):
		return 0, p.errorf(spec.name, "invalid value %q: %s takes numbers only", tok, spec.name)
	}
	return 0, p.errorf(spec.name, "invalid value %q", tok)
}

func (p *parser) parseUnixDayOfMonth(tok string) (domSpec, error) {
	if err := p.checkChars(tok, fieldDayOfMonth); err != nil {
		return domSpec{}, err
	}
	if tok == "?" {
		tok = "*"
	}
	if strings.ContainsAny(tok, "LlWw#") {
		return domSpec{}, p.errorf(fieldDayOfMonth, "L, W and # are Quartz extensions; use a 6-field Quartz expression (sec min hour dom month dow)")
	}
	days, err := p.parseBits(tok, &dayOfMonthSpec, false)
	return domSpec{kind: domDays, days: days}, err
}

func (p *parser) parseUnixDayOfWeek(tok string) (dowSpec, error) {
	if err := p.checkChars(tok, fieldDayOfWeek); err != nil {
		return dowSpec{}, err
	}
	if tok == "?" {
		tok = "*"
	}
	// No day name contains L; W is left to value() because of WED.
	if strings.ContainsAny(tok, "Ll#") {
		return dowSpec{}, p.errorf(fieldDayOfWeek, "L and # are Quartz extensions; use a 6-field Quartz expression (sec min hour dom month dow)")
	}
	bits, err := p.parseBits(tok, &unixDOWSpec, false)
	if bits&(1<<7) != 0 { // 7 is another Sunday
		bits = bits&^(1<<7) | 1
	}
	return newDOWDays(uint8(bits)), err
}

func (p *parser) parseQuartzDayOfMonth(tok string) (domSpec, error) {
	if err := p.checkChars(tok, fieldDayOfMonth); err != nil {
		return domSpec{}, err
	}
	tok = strings.ToUpper(tok)
	switch {
	case tok == "?" || tok == "*":
		return domSpec{kind: domAll}, nil
	case strings.Contains(tok, "#"):
		return domSpec{}, p.errorf(fieldDayOfMonth, "# is only allowed in dayOfWeek")
	case !strings.ContainsAny(tok, "LW"):
		days, err := p.parseBits(tok, &dayOfMonthSpec, true)
		return domSpec{kind: domDays, days: days}, err
	case strings.ContainsAny(tok, ",/"):
		return domSpec{}, p.errorf(fieldDayOfMonth, "L and W must stand alone (L, L-3, LW, L-3W or 15W); lists and steps are not allowed")
	case tok[0] == 'L':
		rest := tok[1:]
		nearest := strings.HasSuffix(rest, "W")
		rest = strings.TrimSuffix(rest, "W")
		offset := 0
		if rest != "" {
			n, ok := atoi(strings.TrimPrefix(rest, "-"))
			if rest[0] != '-' || !ok {
				return domSpec{}, p.errorf(fieldDayOfMonth, "invalid %q: L may only be followed by -n (days before the last day) and/or W", tok)
			}
			if n > 30 {
				return domSpec{}, p.errorf(fieldDayOfMonth, "offset from last day must be 0-30 in %q", tok)
			}
			offset = n
		}
		return domSpec{kind: domLast, offset: offset, weekday: nearest}, nil
	case strings.HasSuffix(tok, "W"):
		day := tok[:len(tok)-1]
		if strings.Contains(day, "-") {
			return domSpec{}, p.errorf(fieldDayOfMonth, "W needs a single day of month, e.g. 15W; ranges are not allowed")
		}
		if !isDigits(day) {
			return domSpec{}, p.errorf(fieldDayOfMonth, "invalid %q: W needs a day of month before it, e.g. 15W", tok)
		}
		n, err := p.value(day, &dayOfMonthSpec)
		return domSpec{kind: domNearest, day: n}, err
	}
	return domSpec{}, p.errorf(fieldDayOfMonth, "invalid %q: L goes first (L, L-3, LW) and W last (15W)", tok)
}

func (p *parser) parseQuartzDayOfWeek(tok string) (dowSpec, error) {
	if err := p.checkChars(tok, fieldDayOfWeek); err != nil {
		return dowSpec{}, err
	}
	tok = strings.ToUpper(tok)
	if tok == "?" || tok == "*" {
		return dowSpec{kind: dowAll}, nil
	}
	// No day name contains L, so any L here is Quartz's "last".
	special := strings.ContainsAny(tok, "L#")
	if special && strings.ContainsAny(tok, ",-/") {
		return dowSpec{}, p.errorf(fieldDayOfWeek, "L and # need a single weekday (6L, FRIL, 6#3); lists, ranges and steps are not allowed")
	}
	switch {
	case tok == "L": // Quartz: L alone means the last day of the week, 7=SAT
		return newDOWDays(1 << 6), nil
	case strings.Contains(tok, "#"):
		day, nth, _ := strings.Cut(tok, "#")
		wd, err := p.value(day, &quartzDOWSpec)
		if err != nil {
			return dowSpec{}, err
		}
		k, ok := atoi(nth)
		if !ok || k < 1 || k > 5 {
			return dowSpec{}, p.errorf(fieldDayOfWeek, "the number after # must be 1-5 (which week of the month) in %q", tok)
		}
		return dowSpec{kind: dowNth, weekday: wd - 1, nth: k}, nil
	case strings.HasSuffix(tok, "L"):
		wd, err := p.value(tok[:len(tok)-1], &quartzDOWSpec)
		return dowSpec{kind: dowLast, weekday: wd - 1}, err
	case special:
		return dowSpec{}, p.errorf(fieldDayOfWeek, "invalid %q: L goes after a weekday, e.g. 6L (last Friday)", tok)
	}
	bits, err := p.parseBits(tok, &quartzDOWSpec, true)
	return newDOWDays(uint8(bits >> 1)), err // Quartz 1=SUN; we store time.Weekday
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}

// atoi parses a short run of digits; ok is false for anything else,
// including numbers too long to be a valid field value.
func atoi(s string) (int, bool) {
	if !isDigits(s) || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
