package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"runtime/debug"
	"strconv"

	"github.com/ezplatform/ezplatform/internal/server"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	httpAddr := fs.String("http", "", "listen address (overrides EZ_HTTP_ADDR; default "+server.DefaultHTTPAddr+")")
	migrate := fs.Bool("migrate", false, "apply pending database migrations before serving")
	insecure := fs.Bool("insecure-no-auth", false, "serve without authentication: anyone who reaches the replica is an admin")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ezplatform serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg, err := server.ConfigFromEnv(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform serve: configuration is incomplete:\n%s\n", indent(err.Error()))
		return 2
	}
	if *httpAddr != "" {
		cfg.HTTPAddr = *httpAddr
	}
	cfg.Migrate = *migrate
	cfg.InsecureNoAuth = cfg.InsecureNoAuth || *insecure
	if cfg.Logger, err = newLogger(stderr, getenv); err != nil {
		fmt.Fprintf(stderr, "ezplatform serve: %v\n", err)
		return 2
	}

	err = server.Run(ctx, cfg, func(r server.Ready) {
		fmt.Fprintf(stdout, "ezplatform serving on %s (replica %s)\n", r.BaseURL, r.ReplicaID)
		fmt.Fprintf(stdout, "  GraphQL     %s/graphql\n  Playground  %s/playground\n", r.BaseURL, r.BaseURL)
		fmt.Fprintln(stdout, "ready")
	})
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform serve: %v\n", err)
		return 1
	}
	return 0
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}

func quote(s string) string { return strconv.Quote(s) }

func indent(s string) string {
	out := "  "
	for _, r := range s {
		out += string(r)
		if r == '\n' {
			out += "  "
		}
	}
	return out
}

// redacted hides the password of a URL for printing.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unprintable URL)"
	}
	return u.Redacted()
}
