package graph

import (
	"errors"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/graph/model"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

// Field length limits, in characters. The database repeats them as CHECK
// constraints.
const (
	maxNameLen        = 200
	maxDescriptionLen = 4000
	maxSupplierLen    = 200
	maxCategoryLen    = 100
	maxPathLen        = 4096
	maxPatternLen     = 1024
	maxCronLen        = 256
)

// validator collects every problem with an input, so that a form can show
// them all at once. Nothing reaches the store until it is empty (I7).
type validator struct {
	roots discovery.Roots
	errs  []*fieldError
}

func (v *validator) fail(field, format string, args ...any) {
	v.errs = append(v.errs, newFieldError(CodeValidation, field, format, args...))
}

// text checks a free-text field: valid UTF-8, no NUL (PostgreSQL refuses it),
// and at most max characters. singleLine also refuses control characters.
func (v *validator) text(field, s string, maxLen int, singleLine bool) string {
	if !utf8.ValidString(s) {
		v.fail(field, "%s is not valid UTF-8", field)
		return s
	}
	if n := utf8.RuneCountInString(s); n > maxLen {
		v.fail(field, "%s is %d characters long; the limit is %d", field, n, maxLen)
		return s
	}
	for _, r := range s {
		if r == 0 || (singleLine && unicode.IsControl(r)) {
			v.fail(field, "%s contains a control character (%U); remove it", field, r)
			break
		}
	}
	return s
}

func (v *validator) name(field, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		v.fail(field, "name is required")
		return s
	}
	return v.text(field, s, maxNameLen, true)
}

// path checks that a directory resolves inside the data roots. It returns
// the path as given, cleaned: the discovery job resolves it again at run time.
func (v *validator) path(field, p string) string {
	if len(p) > maxPathLen {
		v.fail(field, "path is %d bytes long; the limit is %d", len(p), maxPathLen)
		return p
	}
	if strings.ContainsRune(p, 0) {
		v.fail(field, "path contains a NUL byte")
		return p
	}
	if !filepath.IsAbs(p) {
		v.fail(field, "path %q is not absolute; give the full path of a directory under %s", p, v.rootsText())
		return p
	}
	if _, err := v.roots.Resolve(p); err != nil {
		switch {
		case errors.Is(err, discovery.ErrOutsideRoots):
			v.fail(field, "path %q is outside the data roots (%s); symlinks are followed before this check", p, v.rootsText())
		case errors.Is(err, discovery.ErrPathNotFound) && !v.lexicallyInside(filepath.Clean(p)):
			// Don't tell whether paths outside the roots exist.
			v.fail(field, "path %q is outside the data roots (%s)", p, v.rootsText())
		case errors.Is(err, discovery.ErrPathNotFound):
			v.fail(field, "path %q does not exist; create the directory first", p)
		case errors.Is(err, discovery.ErrNotDirectory):
			v.fail(field, "path %q is not a directory", p)
		default:
			v.fail(field, "path %q cannot be used: %v", p, err)
		}
		return p
	}
	return filepath.Clean(p)
}

func (v *validator) lexicallyInside(p string) bool {
	for _, root := range v.roots.List() {
		if rel, err := filepath.Rel(root, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return true
		}
	}
	return false
}

func (v *validator) rootsText() string {
	return strings.Join(v.roots.List(), ", ")
}

func (v *validator) pattern(field, p string) string {
	if utf8.RuneCountInString(p) > maxPatternLen {
		v.fail(field, "filePattern is longer than %d characters", maxPatternLen)
		return p
	}
	if _, err := discovery.CompilePattern(p); err != nil {
		var perr *discovery.PatternError
		if errors.As(err, &perr) {
			v.fail(field, "filePattern %q is not a valid glob: %s (at offset %d)", truncate(p, 80), perr.Msg, perr.Offset)
		} else {
			v.fail(field, "filePattern is not a valid glob: %v", err)
		}
	}
	return p
}

// schedule validates a schedule input and returns it in store form, with the
// Spec it parsed (nil if invalid), so that nothing parses it again.
func (v *validator) schedule(field string, in *model.ScheduleInput) (store.Schedule, *scheduler.Spec) {
	cron, interval := deref(in.Cron), deref(in.Interval)
	if len(cron) > maxCronLen {
		v.fail(field+".cron", "cron expression is longer than %d characters", maxCronLen)
		return store.Schedule{}, nil
	}
	var anchor = scheduler.DefaultAnchor
	if in.Anchor != nil {
		anchor = *in.Anchor
	}
	spec, err := scheduler.ParseSpec(cron, interval, anchor, deref(in.Timezone))
	if err != nil {
		var serr *scheduler.SpecError
		if errors.As(err, &serr) {
			v.fail(field+"."+serr.Field, "%s", serr.Msg)
		} else {
			v.fail(field, "%v", err)
		}
		return store.Schedule{}, nil
	}
	out := store.Schedule{
		Cron:          strings.TrimSpace(cron),
		Interval:      spec.Interval(),
		Anchor:        anchor.UTC(),
		Timezone:      spec.Location().String(),
		MisfirePolicy: scheduler.DefaultMisfirePolicy,
		OverlapPolicy: scheduler.DefaultOverlapPolicy,
		Paused:        deref(in.Paused),
	}
	if in.MisfirePolicy != nil {
		out.MisfirePolicy = string(*in.MisfirePolicy)
	}
	if in.OverlapPolicy != nil {
		out.OverlapPolicy = string(*in.OverlapPolicy)
	}
	return out, spec
}

// intRule and durationRule bound the numeric settings of a datasource.
type intRule struct {
	name     string
	min, max int
}

type durationRule struct {
	name             string
	min, max         time.Duration
	limits, examples string // as the error message shows them
}

var (
	maxAttemptsRule    = intRule{"maxAttempts", 1, 25}
	maxFilesPerRunRule = intRule{"maxFilesPerRun", 1, 1_000_000}
	runTimeoutRule     = durationRule{"runTimeout", time.Second, 24 * time.Hour, "1s and 24h", `"30s" or "10m"`}
	minFileAgeRule     = durationRule{"minFileAge", 0, 24 * time.Hour, "0s and 24h", `"2s" or "1m"`}
)

func (v *validator) int(field string, r intRule, n int) int {
	if n < r.min || n > r.max {
		v.fail(field, "%s must be between %d and %d, got %d", r.name, r.min, r.max, n)
	}
	return n
}

func (v *validator) duration(field string, r durationRule, s string) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		v.fail(field, "%s %q is not a duration; use Go syntax such as %s", r.name, truncate(s, 40), r.examples)
	case d < r.min || d > r.max:
		v.fail(field, "%s must be between %s, got %s", r.name, r.limits, d)
	}
	return d
}

func (v *validator) err() []*fieldError { return v.errs }

// validateCreate checks a new datasource, and returns it in store form with
// its parsed schedule.
func validateCreate(roots discovery.Roots, in *model.CreateDataSourceInput) (*store.DataSourceCreateParams, *scheduler.Spec, []*fieldError) {
	v := &validator{roots: roots}
	schedule, spec := v.schedule("input.schedule", in.Schedule)
	p := &store.DataSourceCreateParams{
		Name:         v.name("input.name", in.Name),
		Description:  v.text("input.description", deref(in.Description), maxDescriptionLen, false),
		SupplierName: v.text("input.supplierName", strings.TrimSpace(deref(in.SupplierName)), maxSupplierLen, true),
		Category:     v.text("input.category", strings.TrimSpace(deref(in.Category)), maxCategoryLen, true),
		Path:         v.path("input.path", in.Path),
		FilePattern:  v.pattern("input.filePattern", in.FilePattern),
		Enabled:      in.Enabled == nil || *in.Enabled,
		Schedule:     schedule,
		MaxAttempts:  store.DefaultMaxAttempts,
		RunTimeout:   store.DefaultRunTimeout,
	}
	if in.MaxAttempts != nil {
		p.MaxAttempts = v.int("input.maxAttempts", maxAttemptsRule, *in.MaxAttempts)
	}
	if in.RunTimeout != nil {
		p.RunTimeout = v.duration("input.runTimeout", runTimeoutRule, *in.RunTimeout)
	}
	if in.MinFileAge != nil {
		p.MinFileAge = ptr(v.duration("input.minFileAge", minFileAgeRule, *in.MinFileAge))
	}
	p.HashFiles = deref(in.HashFiles)
	if in.MaxFilesPerRun != nil {
		p.MaxFilesPerRun = v.int("input.maxFilesPerRun", maxFilesPerRunRule, *in.MaxFilesPerRun)
	}
	return p, spec, v.err()
}

// validateUpdate checks the changes to a datasource, and returns them in
// store form with the parsed schedule if the schedule changes.
func validateUpdate(roots discovery.Roots, in *model.UpdateDataSourceInput) (*store.DataSourceUpdateParams, *scheduler.Spec, []*fieldError) {
	v := &validator{roots: roots}
	var spec *scheduler.Spec
	p := &store.DataSourceUpdateParams{Enabled: in.Enabled}
	if in.Name != nil {
		p.Name = ptr(v.name("input.name", *in.Name))
	}
	if in.Description != nil {
		p.Description = ptr(v.text("input.description", *in.Description, maxDescriptionLen, false))
	}
	if in.SupplierName != nil {
		p.SupplierName = ptr(v.text("input.supplierName", strings.TrimSpace(*in.SupplierName), maxSupplierLen, true))
	}
	if in.Category != nil {
		p.Category = ptr(v.text("input.category", strings.TrimSpace(*in.Category), maxCategoryLen, true))
	}
	if in.Path != nil {
		p.Path = ptr(v.path("input.path", *in.Path))
	}
	if in.FilePattern != nil {
		p.FilePattern = ptr(v.pattern("input.filePattern", *in.FilePattern))
	}
	if in.Schedule != nil {
		var schedule store.Schedule
		schedule, spec = v.schedule("input.schedule", in.Schedule)
		p.Schedule = &schedule
	}
	if in.MaxAttempts != nil {
		p.MaxAttempts = ptr(v.int("input.maxAttempts", maxAttemptsRule, *in.MaxAttempts))
	}
	if in.RunTimeout != nil {
		p.RunTimeout = ptr(v.duration("input.runTimeout", runTimeoutRule, *in.RunTimeout))
	}
	if in.MinFileAge != nil {
		p.MinFileAge = ptr(v.duration("input.minFileAge", minFileAgeRule, *in.MinFileAge))
	}
	p.HashFiles = in.HashFiles
	if in.MaxFilesPerRun != nil {
		p.MaxFilesPerRun = ptr(v.int("input.maxFilesPerRun", maxFilesPerRunRule, *in.MaxFilesPerRun))
	}
	return p, spec, v.err()
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
