package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/store"
)

const tokenUsage = `Usage:
  ezplatform token create --role viewer|editor|admin --name NAME [--expires-in DURATION]
        Create a token and print its secret once, as the last line (only its hash is stored).
  ezplatform token list
        Every token: name, role, created, last used, expires, revoked.
  ezplatform token revoke NAME
        Revoke the valid token of that name: every replica refuses it within a second.
  ezplatform token generate
        Print a new secret without storing it (for EZ_BOOTSTRAP_TOKEN_FILE).
create, list and revoke need EZ_DATABASE_URL only: whoever can write the database is an admin already.
`

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = io.WriteString(stderr, tokenUsage)
		return 2
	}
	if args[0] == "generate" {
		fmt.Fprintln(stdout, auth.NewSecret())
		return 0
	}
	run, ok := map[string]func(context.Context, *store.Store, []string, io.Writer) error{
		"create": tokenCreate, "list": tokenList, "revoke": tokenRevoke,
	}[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ezplatform token: unknown command %s\n\n%s", quote(args[0]), tokenUsage)
		return 2
	}
	url := strings.TrimSpace(getenv("EZ_DATABASE_URL"))
	if url == "" {
		fmt.Fprintln(stderr, "ezplatform token: EZ_DATABASE_URL is not set (for the dev stack: env $(cat .ezplatform/stack.env) ezplatform token …)")
		return 2
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := store.Open(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "ezplatform token: %v\n", err)
		return 1
	}
	defer pool.Close()
	if err := run(ctx, store.New(pool), args[1:], stdout); err != nil {
		fmt.Fprintf(stderr, "ezplatform token %s: %v\n", args[0], err)
		var usage usageError
		if errors.As(err, &usage) {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

func tokenCreate(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	role := fs.String("role", "", "viewer, editor or admin")
	name := fs.String("name", "", "a name to list and revoke it by")
	expiresIn := fs.Duration("expires-in", 0, "lifetime, such as 720h (default: never expires)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return usageError{errors.New("--role must be viewer, editor or admin")}
	}
	if err := auth.CheckName(*name); err != nil {
		return usageError{errors.New("--name must be 1-64 letters, digits, '.', '_' or '-'")}
	}
	params := auth.CreateParams{Name: *name, Role: r}
	if *expiresIn < 0 {
		return usageError{errors.New("--expires-in must be positive")}
	} else if *expiresIn > 0 {
		at := time.Now().Add(*expiresIn)
		params.ExpiresAt = &at
	}
	t, secret, err := auth.Create(ctx, st, params)
	if errors.Is(err, store.ErrNameTaken) {
		return fmt.Errorf("a valid token is already named %q: revoke it first (ezplatform token revoke %s), or pick another name", *name, *name)
	}
	if err != nil {
		return err
	}
	expiry := "never expires"
	if t.ExpiresAt != nil {
		expiry = "expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(stdout, "Created the %s token %q (%s). Its secret is shown once; only its hash is stored:\n%s\n", t.Role, t.Name, expiry, secret)
	return nil
}

func tokenList(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	tokens, err := st.TokenList(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tROLE\tCREATED\tLAST USED\tEXPIRES\tREVOKED")
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, t := range tokens {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Role, when(&t.CreatedAt), when(t.LastUsedAt), when(t.ExpiresAt), when(t.RevokedAt))
	}
	return w.Flush()
}

func tokenRevoke(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{errors.New("name the token: ezplatform token revoke NAME")}
	}
	t, err := st.TokenRevoke(ctx, args[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no valid token is named %q (ezplatform token list shows them)", args[0])
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Revoked %q: every replica refuses it within a second.\n", t.Name)
	return nil
}

// createSessionToken makes the admin token that `dev --auth` prints.
func (d *devSession) createSessionToken(ctx context.Context) error {
	pool, err := store.Open(ctx, d.stack.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	d.tokenName = "dev-" + time.Now().UTC().Format("20060102-150405")
	_, d.token, err = auth.Create(ctx, store.New(pool), auth.CreateParams{Name: d.tokenName, Role: auth.Admin})
	return err
}

// revokeSessionToken revokes it when dev stops.
func (d *devSession) revokeSessionToken(ctx context.Context) {
	if d.token == "" {
		return
	}
	pool, err := store.Open(ctx, d.stack.DatabaseURL)
	if err != nil {
		return
	}
	defer pool.Close()
	_, _ = store.New(pool).TokenRevoke(ctx, d.tokenName)
}

// isLoopback reports whether addr (host:port) listens on loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
