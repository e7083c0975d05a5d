package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/internal/pgtest"
)

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"EZ_DATABASE_URL": pgtest.NewDatabase(t)}
	cli := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"token"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	code, out, errOut := cli("create", "--role", "editor", "--name", "ci-bot")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	secret := lines[len(lines)-1]
	require.NoError(t, auth.CheckSecret(secret), "the secret is the last line")

	code, out, _ = cli("create", "--role", "viewer", "--name", "temp", "--expires-in", "1h")
	require.Equal(t, 0, code)
	require.Contains(t, out, "expires ")

	code, out, _ = cli("list")
	require.Equal(t, 0, code)
	require.Regexp(t, regexp.MustCompile(`(?m)^ci-bot\s+editor\s`), out)
	require.Regexp(t, regexp.MustCompile(`(?m)^temp\s+viewer\s`), out)
	require.NotContains(t, out, secret, "secrets are shown once")

	for name, c := range map[string]struct {
		args []string
		code int
		msg  string
	}{
		"taken":       {[]string{"create", "--role", "admin", "--name", "ci-bot"}, 1, "already named"},
		"no role":     {[]string{"create", "--name", "x"}, 2, "--role"},
		"bad role":    {[]string{"create", "--role", "root", "--name", "x"}, 2, "--role"},
		"bad name":    {[]string{"create", "--role", "viewer", "--name", "a b"}, 2, "--name"},
		"huge name":   {[]string{"create", "--role", "viewer", "--name", strings.Repeat("n", 65)}, 2, "--name"},
		"past":        {[]string{"create", "--role", "viewer", "--name", "x", "--expires-in", "-1h"}, 2, "--expires-in"},
		"unknown":     {[]string{"revoke", "nobody"}, 1, "no valid token"},
		"no name":     {[]string{"revoke"}, 2, "name the token"},
		"bad command": {[]string{"rotate"}, 2, "unknown command"},
	} {
		code, _, errOut := cli(c.args...)
		require.Equal(t, c.code, code, name)
		require.Contains(t, errOut, c.msg, name)
	}

	code, out, _ = cli("revoke", "ci-bot")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Revoked")
	code, out, _ = cli("list")
	require.Equal(t, 0, code)
	require.NotRegexp(t, regexp.MustCompile(`(?m)^ci-bot\s+editor\s+\S+\s+\S+\s+\S+\s+-$`), out, "listed as revoked")

	code, out, _ = cli("generate")
	require.Equal(t, 0, code)
	require.NoError(t, auth.CheckSecret(strings.TrimSpace(out)))

	delete(env, "EZ_DATABASE_URL")
	code, _, errOut = cli("list")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "EZ_DATABASE_URL")
}

// TestDevAuth: dev --auth requires tokens and prints one for the session;
// dev without it serves loopback only.
func TestDevAuth(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"dev", "--data-dir", filepath.Join(tempDir(t), "x"), "--http", "0.0.0.0:0"},
		func(string) string { return "" }, &stdout, &stderr)
	require.Equal(t, 2, code)
	require.Contains(t, stderr.String(), "--auth")

	dev := start(t, []string{"dev", "--auth", "--data-dir", filepath.Join(tempDir(t), "stack"), "--http", "127.0.0.1:0"}, nil)
	base := dev.waitFor(t, graphqlURL)[1]
	secret := dev.waitFor(t, regexp.MustCompile(`(?m)^  (ezp_\S+)$`))[1]
	require.Contains(t, dev.stdout.String(), "Authentication is on")
	status, _ := get(t, base+"/metrics")
	require.Equal(t, http.StatusUnauthorized, status)
	req, err := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, 0, dev.stop(t))
}
