package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/store"
)

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	opts, code := parseDevArgs(args, getenv, stderr)
	if code != 0 {
		return code
	}
	dev := &devSession{dir: opts.dir, noEtcd: opts.noEtcd, auth: opts.auth, getenv: getenv, stdout: stdout}
	defer dev.stop(ctx, stderr)

	if opts.stackOnly {
		if err := dev.start(ctx); err != nil {
			fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nStack ready. Add replicas with:\n  %s\nPress Ctrl-C to stop.\n", dev.moreReplicas())
		<-ctx.Done()
		return 0
	}

	logger, err := newLogger(stderr, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 2
	}
	cfg := &server.Config{
		HTTPAddr:  firstNonEmpty(opts.httpAddr, getenv("EZ_HTTP_ADDR"), server.DefaultHTTPAddr),
		ReplicaID: firstNonEmpty(getenv("EZ_REPLICA_ID"), server.DefaultReplicaID()),
		DataRoots: opts.roots,
		Logger:    logger,
		// Open on loopback unless --auth (parseDevArgs refuses other
		// addresses without it).
		InsecureNoAuth: !opts.auth,
		// The listener is already open here: /healthz and /readyz answer
		// while PostgreSQL and etcd start.
		Prepare: dev.prepare,
	}
	err = server.Run(ctx, cfg, func(r server.Ready) { dev.printReady(cfg, r) })
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}
	return 0
}

// devOptions are the arguments of `ezplatform dev`, checked.
type devOptions struct {
	dir       string // absolute
	httpAddr  string
	stackOnly bool
	noEtcd    bool            // --no-etcd: the caller runs etcd (scripts/cluster)
	auth      bool            // --auth: tokens required, and one made for the session
	roots     discovery.Roots // from EZ_DATA_ROOTS; empty means the inbox
}

// parseDevArgs reads the flags and EZ_DATA_ROOTS. A code other than zero
// is the exit code: the problem has been reported on stderr.
func parseDevArgs(args []string, getenv func(string) string, stderr io.Writer) (devOptions, int) {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", devstack.DefaultDataDir, "directory for the PostgreSQL cluster, etcd data, inbox and stack.env")
	httpAddr := fs.String("http", "", "listen address (overrides EZ_HTTP_ADDR; default "+server.DefaultHTTPAddr+")")
	stackOnly := fs.Bool("stack-only", false, "start PostgreSQL and etcd only, without a replica")
	noEtcd := fs.Bool("no-etcd", false, "with --stack-only: start no etcd (make cluster runs a cluster of its own)")
	withAuth := fs.Bool("auth", false, "require API tokens, and print an admin token for this session (default: open, on loopback only)")
	if err := fs.Parse(args); err != nil {
		return devOptions{}, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ezplatform dev: unexpected argument %q\n", fs.Arg(0))
		return devOptions{}, 2
	}
	if *noEtcd && !*stackOnly {
		fmt.Fprintln(stderr, "ezplatform dev: --no-etcd needs --stack-only: a replica cannot run without etcd")
		return devOptions{}, 2
	}
	opts := devOptions{httpAddr: *httpAddr, stackOnly: *stackOnly, noEtcd: *noEtcd, auth: *withAuth}
	if addr := firstNonEmpty(opts.httpAddr, getenv("EZ_HTTP_ADDR"), server.DefaultHTTPAddr); !opts.auth && !opts.stackOnly && !isLoopback(addr) {
		fmt.Fprintf(stderr, "ezplatform dev: %s is not a loopback address, and dev runs without authentication: add --auth, or listen on 127.0.0.1\n", addr)
		return devOptions{}, 2
	}
	var err error
	if opts.dir, err = filepath.Abs(*dataDir); err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return devOptions{}, 1
	}
	// Explicit data roots are checked before anything starts.
	if list := getenv("EZ_DATA_ROOTS"); list != "" {
		if opts.roots, err = discovery.ParseRoots(list); err != nil {
			fmt.Fprintf(stderr, "ezplatform dev: EZ_DATA_ROOTS: %v\n", err)
			return devOptions{}, 2
		}
	}
	return opts, 0
}

// devSession is the dev stack of one `ezplatform dev`: started once, by
// the replica's Prepare or by --stack-only, and stopped when dev returns.
type devSession struct {
	dir    string
	noEtcd bool
	auth   bool
	// token is the admin secret made for the session with --auth.
	token, tokenName string
	getenv           func(string) string
	stdout           io.Writer
	stack            *devstack.Stack // nil until started
}

// start starts PostgreSQL (unless EZ_DATABASE_URL names a database) and
// etcd, migrates, and prints where they are.
func (d *devSession) start(ctx context.Context) error {
	fmt.Fprintf(d.stdout, "Starting the EZ Platform dev stack in %s\n", d.dir)
	// With EZ_DATABASE_URL set, that database replaces the private cluster.
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: d.dir, Log: d.stdout, DatabaseURL: d.getenv("EZ_DATABASE_URL"), NoEtcd: d.noEtcd})
	if err != nil {
		return err
	}
	d.stack = stack
	if err := migrateUp(stack.DatabaseURL); err != nil {
		return err
	}
	envFile := filepath.Join(d.dir, devstack.EnvFileName)
	fmt.Fprintf(d.stdout, "\n  PostgreSQL  %s\n", redacted(stack.DatabaseURL))
	fmt.Fprintf(d.stdout, "  etcd        %s\n", strings.Join(stack.EtcdEndpoints, ","))
	fmt.Fprintf(d.stdout, "  stack.env   %s\n", envFile)
	fmt.Fprintf(d.stdout, "  psql        psql \"$(sed -n 's/^EZ_DATABASE_URL=//p' %s)\"\n", envFile)
	return nil
}

// prepare is the replica's server.Config.Prepare: it starts the stack and
// points the replica at it, with the inbox as the data root unless
// EZ_DATA_ROOTS named others.
func (d *devSession) prepare(ctx context.Context, cfg *server.Config) error {
	if err := d.start(ctx); err != nil {
		return err
	}
	cfg.DatabaseURL = d.stack.DatabaseURL
	cfg.EtcdEndpoints = d.stack.EtcdEndpoints
	if d.auth {
		if err := d.createSessionToken(ctx); err != nil {
			return err
		}
	}
	if len(cfg.DataRoots.List()) == 0 {
		inbox, err := discovery.NewRoots(d.stack.InboxDir)
		if err != nil {
			return err
		}
		cfg.DataRoots = inbox
	}
	return nil
}

func (d *devSession) printReady(cfg *server.Config, r server.Ready) {
	fmt.Fprintf(d.stdout, "  data roots  %s\n\n", strings.Join(cfg.DataRoots.List(), ":"))
	fmt.Fprintf(d.stdout, "  Web app     %s/\n", r.BaseURL)
	fmt.Fprintf(d.stdout, "  GraphQL     %s/graphql\n", r.BaseURL)
	fmt.Fprintf(d.stdout, "  Playground  %s/playground\n\n", r.BaseURL)
	if d.auth {
		fmt.Fprintf(d.stdout, "Authentication is on. An admin token for this session (revoked when dev stops):\n  %s\n\n", d.token)
	} else {
		fmt.Fprintf(d.stdout, "Authentication is off: open to anyone on this machine (loopback only). `ezplatform dev --auth` turns it on.\n\n")
	}
	fmt.Fprintf(d.stdout, "More replicas: %s\n", d.moreReplicas())
	fmt.Fprintf(d.stdout, "ezplatform dev is ready (replica %s); press Ctrl-C to stop.\n", r.ReplicaID)
}

// moreReplicas is the command that adds a replica to the started stack.
func (d *devSession) moreReplicas() string {
	return fmt.Sprintf("env $(cat %s) EZ_DATA_ROOTS=%s %s serve --http 127.0.0.1:8081",
		filepath.Join(d.dir, devstack.EnvFileName), d.stack.InboxDir, commandPath(os.Args[0]))
}

// stop stops the stack if it was started, even after ctx ended (it ends on
// Ctrl-C); the data stays for the next start.
func (d *devSession) stop(ctx context.Context, stderr io.Writer) {
	if d.stack == nil {
		return
	}
	stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	d.revokeSessionToken(stopCtx)
	if err := d.stack.Stop(stopCtx); err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: stopping the stack: %v\n", err)
		return
	}
	fmt.Fprintln(d.stdout, "Stopped. The data stays in "+d.dir+" for the next start.")
}

func migrateUp(databaseURL string) error {
	m, err := store.NewMigrator(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Up()
}

// commandPath says how to run this binary again from any directory: its
// invocation path made absolute (`make run` runs bin/ezplatform, which is
// not on PATH), or the bare name it was found by on PATH.
func commandPath(arg0 string) string {
	if arg0 == "" {
		return "ezplatform"
	}
	if !strings.ContainsRune(arg0, filepath.Separator) {
		return arg0
	}
	if abs, err := filepath.Abs(arg0); err == nil {
		return abs
	}
	return arg0
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
