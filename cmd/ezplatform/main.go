// Command ezplatform is EZ Platform's single binary: the server (serve), the
// one-command local stack (dev) and the schema tool (migrate).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	_ "time/tzdata" // schedules name IANA zones; don't depend on the host's zoneinfo
)

// defaultGCPercent is the garbage collector's target unless GOGC is set.
// A replica's live heap is small (tens of MB) and requests allocate fast,
// so at Go's default of 100 a busy replica collects many times a second:
// a quarter of a list request's CPU (docs/BENCHMARKS.md). At 400 the heap
// may grow to five times what is live; GOMEMLIMIT, which the Kubernetes
// manifests set from the memory limit, still makes the runtime collect
// harder before the limit.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `ezplatform: datasources, schedules and file discovery.

Usage:
  ezplatform serve [--http ADDR] [--migrate] [--insecure-no-auth]
        Run one replica. Needs EZ_DATABASE_URL, EZ_ETCD_ENDPOINTS and EZ_DATA_ROOTS.
        Every request needs an API token, unless --insecure-no-auth.
  ezplatform dev [--data-dir DIR] [--http ADDR] [--auth] [--stack-only [--no-etcd]]
        Start a private PostgreSQL and an embedded etcd under DIR (default ./.ezplatform),
        migrate, and run one replica on 127.0.0.1:8080: open to this machine, or with
        --auth requiring tokens (it prints an admin token for the session).
  ezplatform token create --role viewer|editor|admin --name NAME | list | revoke NAME | generate
        Manage API tokens in EZ_DATABASE_URL's database.
  ezplatform migrate up | down N | version | force V
        Manage the database schema of EZ_DATABASE_URL.
  ezplatform etcd --name NAME --data-dir DIR --client-url URL --peer-url URL --initial-cluster NAME=URL,...
        Run one member of a multi-member etcd cluster (a dev and test tool: make cluster runs three).
  ezplatform version

Environment:
  EZ_DATABASE_URL     PostgreSQL URL
  EZ_ETCD_ENDPOINTS   etcd endpoints, comma-separated
  EZ_HTTP_ADDR        listen address (default 127.0.0.1:8080)
  EZ_REPLICA_ID       replica name (default host-pid)
  EZ_DATA_ROOTS       ':'-separated directories datasources may watch
  EZ_BOOTSTRAP_TOKEN_FILE  file with the secret of a first admin token, created at start
  EZ_ALLOWED_ORIGINS  host patterns of other origins allowed to call the API (CORS, WebSocket)
  EZ_METRICS_PUBLIC   true: /metrics without a token
  EZ_INTROSPECTION    false: no GraphQL introspection nor field suggestions
  EZ_ADVERTISE_URL    how others reach this replica (default http://EZ_HTTP_ADDR)
  EZ_ETCD_PREFIX      etcd key prefix of the cluster (default /ezplatform)
  EZ_LOG_FORMAT       text (default) or json; EZ_LOG_LEVEL debug, info (default), warn, error
Flags take precedence over the environment.
`

// run is main without the process: testable, with its own arguments,
// environment and output.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = io.WriteString(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "dev":
		return runDev(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(args[1:], getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args[1:], getenv, stdout, stderr)
	case "etcd":
		return runEtcd(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		_, _ = io.WriteString(stdout, "ezplatform "+version()+"\n")
		return 0
	case "help", "-h", "--help":
		_, _ = io.WriteString(stdout, usage)
		return 0
	default:
		_, _ = io.WriteString(stderr, "ezplatform: unknown command "+quote(args[0])+"\n\n"+usage)
		return 2
	}
}
