//go:build !unix

package discovery

// Elsewhere than on Unix, symlinks and named pipes are left to the checks
// after opening.
const (
	openNoFollow = 0
	openNonBlock = 0
)
