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

// schedule validates a schedule input and returns it in store form.
func (v *validator) schedule(field string, in *model.ScheduleInput) store.Schedule {
	cron, interval := deref(in.Cron), deref(in.Interval)
	if len(cron) > maxCronLen {
		v.fail(field+".cron", "cron expression is longer than %d characters", maxCronLen)
		return store.Schedule{}
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
		return store.Schedule{}
	}
	out := store.Schedule{
		Cron:          strings.TrimSpace(cron),
		Anchor:        anchor.UTC(),
		Timezone:      spec.Location().String(),
		MisfirePolicy: string(model.MisfirePolicyFireOnce),
		OverlapPolicy: string(model.OverlapPolicySkip),
		Paused:        deref(in.Paused),
	}
	if interval != "" {
		out.Interval, _ = scheduler.ParseInterval(interval) // already validated by ParseSpec
	}
	if in.MisfirePolicy != nil {
		out.MisfirePolicy = string(*in.MisfirePolicy)
	}
	if in.OverlapPolicy != nil {
		out.OverlapPolicy = string(*in.OverlapPolicy)
	}
	return out
}

func (v *validator) maxAttempts(field string, n int) int {
	if n < 1 || n > 25 {
		v.fail(field, "maxAttempts must be between 1 and 25, got %d", n)
	}
	return n
}

func (v *validator) runTimeout(field, s string) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		v.fail(field, "runTimeout %q is not a duration; use Go syntax such as \"30s\" or \"10m\"", truncate(s, 40))
	case d < time.Second || d > 24*time.Hour:
		v.fail(field, "runTimeout must be between 1s and 24h, got %s", d)
	}
	return d
}

func (v *validator) minFileAge(field, s string) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		v.fail(field, "minFileAge %q is not a duration; use Go syntax such as \"2s\" or \"1m\"", truncate(s, 40))
	case d < 0 || d > 24*time.Hour:
		v.fail(field, "minFileAge must be between 0s and 24h, got %s", d)
	}
	return d
}

func (v *validator) maxFilesPerRun(field string, n int) int {
	if n < 1 || n > 1_000_000 {
		v.fail(field, "maxFilesPerRun must be between 1 and 1000000, got %d", n)
	}
	return n
}

func (v *validator) err() []*fieldError { return v.errs }

func validateCreate(roots discovery.Roots, in *model.CreateDataSourceInput) (*store.DataSourceCreateParams, []*fieldError) {
	v := &validator{roots: roots}
	p := &store.DataSourceCreateParams{
		Name:         v.name("input.name", in.Name),
		Description:  v.text("input.description", deref(in.Description), maxDescriptionLen, false),
		SupplierName: v.text("input.supplierName", strings.TrimSpace(deref(in.SupplierName)), maxSupplierLen, true),
		Category:     v.text("input.category", strings.TrimSpace(deref(in.Category)), maxCategoryLen, true),
		Path:         v.path("input.path", in.Path),
		FilePattern:  v.pattern("input.filePattern", in.FilePattern),
		Enabled:      in.Enabled == nil || *in.Enabled,
		Schedule:     v.schedule("input.schedule", in.Schedule),
		MaxAttempts:  store.DefaultMaxAttempts,
		RunTimeout:   store.DefaultRunTimeout,
	}
	if in.MaxAttempts != nil {
		p.MaxAttempts = v.maxAttempts("input.maxAttempts", *in.MaxAttempts)
	}
	if in.RunTimeout != nil {
		p.RunTimeout = v.runTimeout("input.runTimeout", *in.RunTimeout)
	}
	if in.MinFileAge != nil {
		p.MinFileAge = ptr(v.minFileAge("input.minFileAge", *in.MinFileAge))
	}
	p.HashFiles = deref(in.HashFiles)
	if in.MaxFilesPerRun != nil {
		p.MaxFilesPerRun = v.maxFilesPerRun("input.maxFilesPerRun", *in.MaxFilesPerRun)
	}
	return p, v.err()
}

func validateUpdate(roots discovery.Roots, in *model.UpdateDataSourceInput) (*store.DataSourceUpdateParams, []*fieldError) {
	v := &validator{roots: roots}
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
		p.Schedule = ptr(v.schedule("input.schedule", in.Schedule))
	}
	if in.MaxAttempts != nil {
		p.MaxAttempts = ptr(v.maxAttempts("input.maxAttempts", *in.MaxAttempts))
	}
	if in.RunTimeout != nil {
		p.RunTimeout = ptr(v.runTimeout("input.runTimeout", *in.RunTimeout))
	}
	if in.MinFileAge != nil {
		p.MinFileAge = ptr(v.minFileAge("input.minFileAge", *in.MinFileAge))
	}
	p.HashFiles = in.HashFiles
	if in.MaxFilesPerRun != nil {
		p.MaxFilesPerRun = ptr(v.maxFilesPerRun("input.maxFilesPerRun", *in.MaxFilesPerRun))
	}
	return p, v.err()
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
