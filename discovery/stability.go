package discovery

import "time"

// stability decides whether a file is complete. The rule, and why, is in the
// package documentation under "Stable files".
type stability struct {
	now      time.Time
	minAge   time.Duration // > 0, or < 0 for no age condition
	previous func(relPath string) (size int64, mtime time.Time, ok bool)
}

func (s stability) isStable(f FileInfo) bool {
	// A file with an mtime in the future (clock skew, touch -d) counts as
	// too young until the clock catches up.
	if s.minAge > 0 && s.now.Sub(f.ModTime) < s.minAge {
		return false
	}
	if s.previous == nil {
		return s.minAge > 0
	}
	size, mtime, ok := s.previous(f.RelPath)
	if !ok {
		// Untouched for minAge: writers update the mtime as they write, so
		// the file is done. Without an age condition only a second, equal
		// look can tell.
		return s.minAge > 0
	}
	return size == f.Size && sameMTime(mtime, f.ModTime)
}

// sameMTime compares modification times to the microsecond: PostgreSQL
// keeps microseconds, truncating or rounding the rest, so a time the caller
// stored and read back differs from the file's by less than that.
func sameMTime(a, b time.Time) bool {
	d := a.Sub(b)
	return -time.Microsecond < d && d < time.Microsecond
}
