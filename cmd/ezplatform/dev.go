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

	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/scheduler"
	"github.com/ezplatform/ezplatform/store"
)

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", devstack.DefaultDataDir, "directory for the PostgreSQL cluster, etcd data, inbox and stack.env")
	httpAddr := fs.String("http", "", "listen address (overrides EZ_HTTP_ADDR; default "+server.DefaultHTTPAddr+")")
	stackOnly := fs.Bool("stack-only", false, "start PostgreSQL and etcd only, without a replica")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ezplatform dev: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}
	// Explicit data roots are checked before anything starts.
	var roots scheduler.Roots
	if list := getenv("EZ_DATA_ROOTS"); list != "" {
		if roots, err = scheduler.ParseRoots(list); err != nil {
			fmt.Fprintf(stderr, "ezplatform dev: EZ_DATA_ROOTS: %v\n", err)
			return 2
		}
	}

	var stack *devstack.Stack
	defer func() {
		if stack == nil {
			return
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := stack.Stop(stopCtx); err != nil {
			fmt.Fprintf(stderr, "ezplatform dev: stopping the stack: %v\n", err)
			return
		}
		fmt.Fprintln(stdout, "Stopped. The data stays in "+dir+" for the next start.")
	}()
	startStack := func(ctx context.Context) error {
		fmt.Fprintf(stdout, "Starting the EZ Platform dev stack in %s\n", dir)
		// With EZ_DATABASE_URL set, that database replaces the private cluster.
		var err error
		stack, err = devstack.Start(ctx, devstack.Options{DataDir: dir, Log: stdout, DatabaseURL: getenv("EZ_DATABASE_URL")})
		if err != nil {
			return err
		}
		if err := migrateUp(stack.DatabaseURL); err != nil {
			return err
		}
		envFile := filepath.Join(dir, devstack.EnvFileName)
		fmt.Fprintf(stdout, "\n  PostgreSQL  %s\n", redacted(stack.DatabaseURL))
		fmt.Fprintf(stdout, "  etcd        %s\n", strings.Join(stack.EtcdEndpoints, ","))
		fmt.Fprintf(stdout, "  stack.env   %s\n", envFile)
		fmt.Fprintf(stdout, "  psql        psql \"$(sed -n 's/^EZ_DATABASE_URL=//p' %s)\"\n", envFile)
		return nil
	}
	moreReplicas := func() string {
		return fmt.Sprintf("env $(cat %s) EZ_DATA_ROOTS=%s %s serve --http 127.0.0.1:8081",
			filepath.Join(dir, devstack.EnvFileName), stack.InboxDir, commandPath(os.Args[0]))
	}

	if *stackOnly {
		if err := startStack(ctx); err != nil {
			fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nStack ready. Add replicas with:\n  %s\nPress Ctrl-C to stop.\n", moreReplicas())
		<-ctx.Done()
		return 0
	}

	cfg := &server.Config{
		HTTPAddr:  firstNonEmpty(*httpAddr, getenv("EZ_HTTP_ADDR"), server.DefaultHTTPAddr),
		ReplicaID: firstNonEmpty(getenv("EZ_REPLICA_ID"), server.DefaultReplicaID()),
		DataRoots: roots,
		Logger:    newLogger(stderr),
		// The listener is already open here: /healthz and /readyz answer
		// while PostgreSQL and etcd start.
		Prepare: func(ctx context.Context, cfg *server.Config) error {
			if err := startStack(ctx); err != nil {
				return err
			}
			cfg.DatabaseURL = stack.DatabaseURL
			cfg.EtcdEndpoints = stack.EtcdEndpoints
			if len(cfg.DataRoots.List()) == 0 {
				inbox, err := scheduler.NewRoots(stack.InboxDir)
				if err != nil {
					return err
				}
				cfg.DataRoots = inbox
			}
			return nil
		},
	}
	err = server.Run(ctx, cfg, func(r server.Ready) {
		fmt.Fprintf(stdout, "  data roots  %s\n\n", strings.Join(cfg.DataRoots.List(), ":"))
		fmt.Fprintf(stdout, "  Web app     %s/\n", r.BaseURL)
		fmt.Fprintf(stdout, "  GraphQL     %s/graphql\n", r.BaseURL)
		fmt.Fprintf(stdout, "  Playground  %s/playground\n\n", r.BaseURL)
		fmt.Fprintf(stdout, "More replicas: %s\n", moreReplicas())
		fmt.Fprintf(stdout, "ezplatform dev is ready (replica %s); press Ctrl-C to stop.\n", r.ReplicaID)
	})
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}
	return 0
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
