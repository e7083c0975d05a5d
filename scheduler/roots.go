package scheduler

import "github.com/ezplatform/ezplatform/discovery"

// Roots are the directories datasources may watch (EZ_DATA_ROOTS). The API
// checks a datasource's path against them when it is saved, and every run
// checks it again (DiscoveryWork): one rule, kept here with the work that
// relies on it, so that the API need not reach into package discovery.
type Roots = discovery.Roots

// ParseRoots reads a ':'-separated list of existing directories.
func ParseRoots(list string) (Roots, error) { return discovery.ParseRoots(list) }

// NewRoots makes Roots of existing directories.
func NewRoots(dirs ...string) (Roots, error) { return discovery.NewRoots(dirs...) }

// What Roots.Resolve wraps when a path cannot be used.
var (
	ErrPathNotFound = discovery.ErrPathNotFound
	ErrNotDirectory = discovery.ErrNotDirectory
	ErrOutsideRoots = discovery.ErrOutsideRoots
)

// PatternError says where and why a file pattern is invalid.
type PatternError = discovery.PatternError

// CheckPattern reports whether pattern is a valid file pattern (a glob with
// **, {a,b} and classes); its error is a *PatternError.
func CheckPattern(pattern string) error {
	_, err := discovery.CompilePattern(pattern)
	return err
}
