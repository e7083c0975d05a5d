package auth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/store"
)

func start(t *testing.T) (*auth.Authenticator, *store.Store, context.Context) {
	t.Helper()
	st, _ := pgtest.NewStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	a := auth.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return a, st, ctx
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s := auth.NewSecret()
		require.NoError(t, auth.CheckSecret(s))
		require.False(t, seen[s])
		seen[s] = true
	}
	s := auth.NewSecret()
	for _, bad := range []string{"", "ezp_", s[:len(s)-1], s + "x", "xyz" + s[3:], s[:10] + "!" + s[11:], strings.Repeat("a", 1<<16)} {
		require.ErrorIs(t, auth.CheckSecret(bad), auth.ErrMalformed, "%.40q", bad)
	}
	for header, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "BEARER abc": "abc"} {
		got, ok := auth.BearerToken(header)
		require.True(t, ok, header)
		require.Equal(t, want, got)
	}
	for _, header := range []string{"", "Bearer", "Bearer ", "Basic abc", "abc", "Token abc"} {
		_, ok := auth.BearerToken(header)
		require.False(t, ok, header)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for _, r := range []auth.Role{auth.Viewer, auth.Editor, auth.Admin} {
		parsed, err := auth.ParseRole(r.String())
		require.NoError(t, err)
		require.Equal(t, r, parsed)
	}
	_, err := auth.ParseRole("root")
	require.Error(t, err)
	require.True(t, auth.Admin.Allows(auth.Editor))
	require.True(t, auth.Editor.Allows(auth.Editor))
	require.False(t, auth.Viewer.Allows(auth.Editor))
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	a, st, ctx := start(t)
	tok, secret, err := auth.Create(ctx, st, auth.CreateParams{Name: "ci-bot", Role: auth.Editor})
	require.NoError(t, err)
	require.Equal(t, "editor", tok.Role)

	// Only the hash is stored.
	var stored []byte
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT token_sha256 FROM api_tokens WHERE name = 'ci-bot'`).Scan(&stored))
	hash := sha256.Sum256([]byte(secret))
	require.Equal(t, hash[:], stored)
	var leaked bool
	require.NoError(t, st.Pool().QueryRow(ctx, `SELECT position($1 in (SELECT string_agg(t::text, '') FROM api_tokens t)) > 0`, secret).Scan(&leaked))
	require.False(t, leaked)

	// A new token works at once (an unknown token reloads the set).
	p, err := a.Authenticate(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, "ci-bot", p.TokenName)
	require.Equal(t, auth.Editor, p.Role)

	for name, bad := range map[string]string{"malformed": "hello", "unknown": auth.NewSecret(), "empty": ""} {
		_, err := a.Authenticate(ctx, bad)
		require.ErrorIs(t, err, auth.ErrUnauthenticated, name)
	}

	_, _, err = auth.Create(ctx, st, auth.CreateParams{Name: "ci-bot", Role: auth.Viewer})
	require.ErrorIs(t, err, store.ErrNameTaken, "one valid token per name")
	_, _, err = auth.Create(ctx, st, auth.CreateParams{Name: "bad name!", Role: auth.Viewer})
	require.Error(t, err)
	_, _, err = auth.Create(ctx, st, auth.CreateParams{Name: strings.Repeat("n", 65), Role: auth.Viewer})
	require.Error(t, err)
}

func TestRevocationEndsBoundStreams(t *testing.T) {
	t.Parallel()
	a, st, ctx := start(t)
	_, secret, err := auth.Create(ctx, st, auth.CreateParams{Name: "viewer", Role: auth.Viewer})
	require.NoError(t, err)
	p, err := a.Authenticate(ctx, secret)
	require.NoError(t, err)
	streams := make([]context.Context, 3)
	for i := range streams {
		streams[i] = a.Bind(ctx, p)
	}
	other, otherSecret, err := auth.Create(ctx, st, auth.CreateParams{Name: "other", Role: auth.Viewer})
	require.NoError(t, err)
	op, err := a.Authenticate(ctx, otherSecret)
	require.NoError(t, err)
	otherStream := a.Bind(ctx, op)

	revoked, err := st.TokenRevoke(ctx, "viewer")
	require.NoError(t, err)
	require.NotNil(t, revoked.RevokedAt)
	for _, s := range streams {
		select {
		case <-s.Done():
		case <-time.After(10 * auth.RefreshInterval):
			t.Fatal("a bound stream outlived its token's revocation")
		}
		require.ErrorIs(t, context.Cause(s), auth.ErrRevoked)
	}
	require.NoError(t, otherStream.Err(), "%s's stream goes on", other.Name)
	require.Eventually(t, func() bool {
		_, err := a.Authenticate(ctx, secret)
		return errors.Is(err, auth.ErrUnauthenticated)
	}, 10*time.Second, 50*time.Millisecond)

	// Revoked already: binding ends at once.
	require.ErrorIs(t, context.Cause(a.Bind(ctx, p)), auth.ErrRevoked)
	_, err = st.TokenRevoke(ctx, "viewer")
	require.ErrorIs(t, err, store.ErrNotFound)
	// The name is free again.
	_, _, err = auth.Create(ctx, st, auth.CreateParams{Name: "viewer", Role: auth.Viewer})
	require.NoError(t, err)
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	a, st, ctx := start(t)
	soon := time.Now().Add(2 * time.Second)
	_, secret, err := auth.Create(ctx, st, auth.CreateParams{Name: "short", Role: auth.Viewer, ExpiresAt: &soon})
	require.NoError(t, err)
	p, err := a.Authenticate(ctx, secret)
	require.NoError(t, err)
	stream := a.Bind(ctx, p)
	select {
	case <-stream.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the stream outlived its token")
	}
	require.ErrorIs(t, context.Cause(stream), auth.ErrRevoked)
	_, err = a.Authenticate(ctx, secret)
	require.ErrorIs(t, err, auth.ErrUnauthenticated)

	past := time.Now().Add(-time.Minute)
	_, _, err = auth.Create(ctx, st, auth.CreateParams{Name: "past", Role: auth.Viewer, ExpiresAt: &past})
	require.Error(t, err)
}

func TestConcurrentAuthentication(t *testing.T) {
	t.Parallel()
	a, st, ctx := start(t)
	_, secret, err := auth.Create(ctx, st, auth.CreateParams{Name: "busy", Role: auth.Admin})
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Go(func() {
			s := secret
			if i%2 == 1 {
				s = auth.NewSecret() // guesses: coalesced reloads, never a hang
			}
			_, err := a.Authenticate(ctx, s)
			if (i%2 == 0) != (err == nil) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("unexpected result: %v", err)
	}
}

func TestLastUsed(t *testing.T) {
	t.Parallel()
	a, st, ctx := start(t)
	_, secret, err := auth.Create(ctx, st, auth.CreateParams{Name: "used", Role: auth.Viewer})
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, secret)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		tokens, err := st.TokenList(ctx)
		require.NoError(t, err)
		return tokens[0].LastUsedAt != nil
	}, 30*time.Second, 100*time.Millisecond)
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	a, st, ctx := start(t)
	file := filepath.Join(t.TempDir(), "token")
	secret := auth.NewSecret()
	require.NoError(t, os.WriteFile(file, []byte(secret+"\n"), 0o600))
	created, err := auth.Bootstrap(ctx, st, file)
	require.NoError(t, err)
	require.True(t, created)
	created, err = auth.Bootstrap(ctx, st, file)
	require.NoError(t, err)
	require.False(t, created, "once")
	p, err := a.Authenticate(ctx, secret)
	require.NoError(t, err)
	require.Equal(t, auth.Admin, p.Role)

	// Revoked stays revoked across restarts.
	_, err = st.TokenRevoke(ctx, auth.BootstrapName)
	require.NoError(t, err)
	created, err = auth.Bootstrap(ctx, st, file)
	require.NoError(t, err)
	require.False(t, created)

	require.NoError(t, os.WriteFile(file, []byte("not a token"), 0o600))
	_, err = auth.Bootstrap(ctx, st, file)
	require.ErrorContains(t, err, "ezplatform token generate")
	_, err = auth.Bootstrap(ctx, st, filepath.Join(t.TempDir(), "missing"))
	require.Error(t, err)
}
