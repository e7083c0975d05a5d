// Package chaos is the fault and load suite of issue 15: real processes on
// loopback (PostgreSQL, three etcd members, three replicas), a workload that
// runs throughout, faults injected into the processes it started, and the
// invariants of DESIGN.md checked from PostgreSQL and from what the
// subscribers recorded. It writes docs/RELIABILITY.md.
//
// The suite sits behind the build tag chaos, so that `make test` does not
// run it: `make chaos` does (go test -tags chaos ./internal/chaos/).
// Without the tag this package is this comment only.
package chaos
