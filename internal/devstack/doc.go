// Package devstack runs the services ezplatform needs on a developer machine:
// a private PostgreSQL cluster built from the machine's PostgreSQL server
// binaries and an embedded single-member etcd. `ezplatform dev` uses [Start];
// the test suite uses [StartPostgres] on its own. [StartMember] runs one
// member of a multi-member etcd cluster, for `ezplatform etcd`, which
// `make cluster` runs three of (docs/CLUSTER.md).
//
// Nothing here needs Docker or network access. Everything lives under one
// data directory (by default ./.ezplatform):
//
//	.ezplatform/
//	  postgres/       PostgreSQL cluster (initdb'ed on first start, mode 0700),
//	                  with ezplatform.json: generated password and last port
//	  postgres.log    PostgreSQL's own log (output of initdb and postgres)
//	  etcd/           etcd member data, etcd.log and ports.json
//	  inbox/          default data root of ezplatform serve
//	  stack.env       EZ_DATABASE_URL=... and EZ_ETCD_ENDPOINTS=... (mode 0600)
//
// A second start on the same directory reuses the data, the generated
// PostgreSQL password and, when they are still free, the same ports, so URLs
// that a developer copied keep working.
//
// PostgreSQL refuses to run as root. When the calling process is root, initdb
// and postgres run as the "postgres" system user (or "nobody" if there is no
// such user); the cluster directory is owned by that user and its parent
// directories must be searchable by it.
//
// The package supports Linux and other Unix systems; orphan and stale-lock
// detection is most precise on Linux, where /proc is available.
package devstack
