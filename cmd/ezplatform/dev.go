package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/internal/devstack"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/store"
)

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", ".ezplatform", "directory for the PostgreSQL cluster, etcd data, inbox and stack.env")
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
	fmt.Fprintf(stdout, "Starting the EZ Platform dev stack in %s\n", dir)
	// With EZ_DATABASE_URL set, that database replaces the private cluster.
	stack, err := devstack.Start(ctx, devstack.Options{DataDir: dir, Log: stdout, DatabaseURL: getenv("EZ_DATABASE_URL")})
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := stack.Stop(stopCtx); err != nil {
			fmt.Fprintf(stderr, "ezplatform dev: stopping the stack: %v\n", err)
			return
		}
		fmt.Fprintln(stdout, "Stopped. The data stays in "+dir+" for the next start.")
	}()

	m, err := store.NewMigrator(stack.DatabaseURL)
	if err == nil {
		err = m.Up()
		_ = m.Close()
	}
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}

	envFile := filepath.Join(dir, "stack.env")
	fmt.Fprintf(stdout, "\n  PostgreSQL  %s\n", redacted(stack.DatabaseURL))
	fmt.Fprintf(stdout, "  etcd        %s\n", stack.EtcdEndpoints[0])
	fmt.Fprintf(stdout, "  stack.env   %s\n", envFile)
	fmt.Fprintf(stdout, "  psql        psql \"$(sed -n 's/^EZ_DATABASE_URL=//p' %s)\"\n", envFile)

	if *stackOnly {
		fmt.Fprintf(stdout, "\nStack ready. Add replicas with:\n  env $(cat %s) EZ_DATA_ROOTS=%s ezplatform serve --http 127.0.0.1:8081\n", envFile, stack.InboxDir)
		fmt.Fprintln(stdout, "Press Ctrl-C to stop.")
		<-ctx.Done()
		return 0
	}

	cfg, err := devConfig(getenv, stack)
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}
	if *httpAddr != "" {
		cfg.HTTPAddr = *httpAddr
	}
	cfg.Logger = newLogger(stderr)
	err = server.Run(ctx, cfg, func(r server.Ready) {
		fmt.Fprintf(stdout, "  data roots  %v\n\n", cfg.DataRoots.List())
		fmt.Fprintf(stdout, "  Web app     %s/\n", r.BaseURL)
		fmt.Fprintf(stdout, "  GraphQL     %s/graphql\n", r.BaseURL)
		fmt.Fprintf(stdout, "  Playground  %s/playground\n\n", r.BaseURL)
		fmt.Fprintf(stdout, "More replicas: env $(cat %s) EZ_DATA_ROOTS=%s ezplatform serve --http 127.0.0.1:8081\n", envFile, stack.InboxDir)
		fmt.Fprintf(stdout, "ezplatform dev is ready (replica %s); press Ctrl-C to stop.\n", r.ReplicaID)
	})
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform dev: %v\n", err)
		return 1
	}
	return 0
}

// devConfig is serve's configuration with the dev stack's defaults: its
// database, its etcd and its inbox as the data root.
func devConfig(getenv func(string) string, stack *devstack.Stack) (*server.Config, error) {
	env := func(key string) string {
		switch v := getenv(key); {
		case v != "":
			return v
		case key == "EZ_DATABASE_URL":
			return stack.DatabaseURL
		case key == "EZ_ETCD_ENDPOINTS":
			return strings.Join(stack.EtcdEndpoints, ",")
		case key == "EZ_DATA_ROOTS":
			return stack.InboxDir
		}
		return ""
	}
	return server.ConfigFromEnv(env)
}
