// Package discoverytest holds what tests of file discovery share across
// packages: running a test unprivileged, so that file permissions apply.
package discoverytest
