package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/auth"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/gqltest"
	"github.com/ezplatform/ezplatform/internal/server"
	"github.com/ezplatform/ezplatform/store"
)

// TestWebAppSignIn: the web app against a replica with authentication on,
// in real headless Chromium. The sign-in form comes first and a bad token
// is refused with a message; a viewer sees the datasources without a single
// control that changes them; an editor sees them all; an admin creates a
// token on the Tokens screen (its secret shown once, and working), and
// revokes it; a token revoked while its tab is open sends that tab back to
// the sign-in form. Every token stays in the tab's sessionStorage, nowhere
// else.
func TestWebAppSignIn(t *testing.T) {
	t.Parallel()
	browser := newAppBrowser(t)
	root, err := os.MkdirTemp("", "ezdata-")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(root)) })
	require.NoError(t, os.Mkdir(filepath.Join(root, "weather"), 0o755))
	cluster := newAuthAppCluster(t, root, "a")
	a := cluster.url("a")

	admin := authToken(t, cluster, "ops-admin", auth.Admin)
	editor := authToken(t, cluster, "dana-editor", auth.Editor)
	viewer := authToken(t, cluster, "vic-viewer", auth.Viewer)
	for _, secret := range []string{admin, editor, viewer} {
		authWaitAccepted(t, a, secret)
	}
	id := authDo(t, a, admin, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`, map[string]any{"input": map[string]any{
		"name": "met-office-forecasts", "supplierName": "Met Office", "category": "weather",
		"path": filepath.Join(root, "weather"), "filePattern": "**/*.json",
		"schedule": map[string]any{"cron": "0 0 6 * * ?", "timezone": "Europe/London"},
	}})["createDataSource"].(map[string]any)["id"].(string)

	// 1. No token: the sign-in form, with how to make a token. A bad token
	// is refused, saying so, and kept nowhere.
	page := browser.tab("main", a)
	page.open("/")
	page.waitFor("the sign-in form", authSignInForm)
	require.Contains(t, appEval[string](page, `document.querySelector('.signin').innerText`), "ezplatform token create --role viewer --name you")
	page.fill("API token", auth.NewSecret())
	page.click("Sign in", appButton("Sign in"))
	page.waitFor("the refusal", `document.querySelector('.signin-error')?.textContent.includes('The server refused this token')`)
	require.Equal(t, "true", appEval[string](page, appLabelled("API token")+`.getAttribute('aria-invalid')`), "the field is marked invalid for screen readers")
	authRequireStored(t, page, "")
	browser.axe(page, "the sign-in form with a refused token")
	browser.screenshot(page, "signin")

	// 2. A viewer: the list and the datasource's page, without any control
	// that changes them; the create and edit addresses say the role cannot.
	authSignIn(page, viewer)
	page.waitFor("the datasource in the list", `document.querySelector('table.datasources tbody tr[data-id="`+id+`"]') !== null`)
	page.waitFor("the viewer in the header", `document.querySelector('[data-account="VIEWER"] .account-name')?.textContent === 'vic-viewer'`)
	authRequireStored(t, page, viewer)
	require.False(t, appEval[bool](page, appLink("New datasource")+` !== null`), "a viewer is offered no New datasource link")
	require.False(t, appEval[bool](page, appLink("Tokens")+` !== null`), "a viewer has no Tokens link")
	page.click("the datasource", `document.querySelector('table.datasources a.name')`)
	page.waitFor("the datasource's page", `document.querySelector('.facts') !== null`)
	for _, control := range []string{"Pause", "Resume", "Run now", "Disable", "Enable", "Delete"} {
		require.False(t, appEval[bool](page, appButton(control)+` !== null`), "a viewer sees no %s button", control)
	}
	require.False(t, appEval[bool](page, appLink("Edit")+` !== null`), "a viewer sees no Edit link")
	require.False(t, appEval[bool](page, `document.querySelector('[aria-label="Datasource actions"]') !== null`))
	authGo(page, "/datasources/new")
	page.waitFor("the role's refusal instead of the form", `document.querySelector('[data-forbidden="editDataSources"]')?.textContent.includes('Your role cannot create datasources')`)
	require.False(t, appEval[bool](page, appLabelled("Name")+` !== null`), "no form for a viewer")
	authGo(page, "/datasources/"+id+"/edit")
	page.waitFor("the role's refusal instead of the edit form", `document.querySelector('[data-forbidden="editDataSources"]')?.textContent.includes('Your role cannot edit datasources')`)
	authGo(page, "/tokens")
	page.waitFor("the role's refusal instead of the tokens", `document.querySelector('[data-forbidden="manageTokens"]') !== null`)

	// 3. Signing out forgets the token and closes the socket; an editor sees
	// every control.
	closed := authSocketsClosed(page)
	page.click("Sign out", appButton("Sign out"))
	page.waitFor("the sign-in form", authSignInForm)
	authRequireStored(t, page, "")
	appEventually(t, "the socket closed on sign-out", func() bool { return authSocketsClosed(page) > closed })
	authSignIn(page, editor)
	page.waitFor("the editor in the header", `document.querySelector('[data-account="EDITOR"] .account-name')?.textContent === 'dana-editor'`)
	authGo(page, "/")
	page.waitFor("the New datasource link", appLink("New datasource")+` !== null`)
	require.False(t, appEval[bool](page, appLink("Tokens")+` !== null`), "an editor has no Tokens link")
	authGo(page, "/datasources/"+id)
	for _, control := range []string{"Pause", "Run now", "Disable", "Delete"} {
		page.waitFor("the "+control+" button", appButton(control)+` !== null`)
	}
	page.waitFor("the Edit link", appLink("Edit")+` !== null`)
	page.click("Pause", appButton("Pause"))
	page.waitFor("the Resume button", appButton("Resume")+` !== null`)
	authGo(page, "/datasources/new")
	page.waitFor("the form", appLabelled("Name")+` !== null`)

	// 4. An admin: the Tokens screen lists every token; a new one's secret is
	// shown once and works; revoked, it stops working.
	page.click("Sign out", appButton("Sign out"))
	page.waitFor("the sign-in form", authSignInForm)
	authSignIn(page, admin)
	page.click("the Tokens link", appLink("Tokens"))
	page.waitFor("the three tokens", `document.querySelectorAll('table.tokens tbody tr[data-token][data-state="active"]').length === 3`)
	page.fill("Token name", "ci-bot")
	authSelect(page, "Role", "EDITOR")
	page.click("Create token", appButton("Create token"))
	page.waitFor("the new token's secret", `document.querySelector('.secret-panel code[data-secret]') !== null`)
	secret := appEval[string](page, `document.querySelector('.secret-panel code[data-secret]').dataset.secret`)
	require.NoError(t, auth.CheckSecret(secret))
	require.Contains(t, appEval[string](page, `document.querySelector('.secret-panel').innerText`), "only time it is shown")
	page.click("Copy", appButton("Copy"))
	page.waitFor("copied, or told to copy by hand", appButton("Copied")+` !== null || document.querySelector('.secret-panel').innerText.includes('copy it by hand')`)
	page.waitFor("the new token in the list", `document.querySelector('table.tokens tbody tr[data-token="ci-bot"][data-state="active"]') !== null`)
	authWaitAccepted(t, a, secret)
	require.Equal(t, map[string]any{"role": "EDITOR", "tokenName": "ci-bot"}, authDo(t, a, secret, `{ viewer { role tokenName } }`, nil)["viewer"])
	browser.axe(page, "the tokens screen")
	browser.screenshot(page, "tokens")

	page.click("I have copied it", appButton("I have copied it"))
	page.waitFor("the secret gone", `document.querySelector('.secret-panel') === null`)
	page.click("Revoke ci-bot", `document.querySelector('button[aria-label="Revoke ci-bot"]')`)
	page.waitFor("the confirmation", `document.querySelector('dialog[open]')?.textContent.includes('Revoke ci-bot?')`)
	page.click("Revoke token", appButton("Revoke token"))
	page.waitFor("ci-bot revoked", `document.querySelector('table.tokens tbody tr[data-token="ci-bot"]')?.dataset.state === 'revoked'`)
	appEventually(t, "the revoked token refused", func() bool { return authStatus(t, a, secret) == http.StatusUnauthorized })

	// 5. The viewer's token revoked while a tab uses it: that tab is back at
	// the sign-in form, saying why.
	other := browser.tab("viewer", a)
	other.open("/")
	other.waitFor("the sign-in form", authSignInForm)
	authSignIn(other, viewer)
	other.waitFor("the live list", `document.querySelector('[data-connection]')?.dataset.connection === 'live' && document.querySelector('table.datasources tbody tr[data-id]') !== null`)
	page.click("Revoke vic-viewer", `document.querySelector('button[aria-label="Revoke vic-viewer"]')`)
	page.click("Revoke token", appButton("Revoke token"))
	page.waitFor("vic-viewer revoked", `document.querySelector('table.tokens tbody tr[data-token="vic-viewer"]')?.dataset.state === 'revoked'`)
	other.waitFor("the sign-in form after the revocation", authSignInForm+` && document.querySelector('.signin-error')?.textContent.includes('Your session ended')`)
	authRequireStored(t, other, "")

	authRequireOnlyOwnOrigin(browser)
}

// TestWebAppOpenAccess: on a replica without authentication the app asks
// for no token, offers no sign-out, and says "open access" in the header;
// everyone is an admin, so every control and the Tokens screen are there.
func TestWebAppOpenAccess(t *testing.T) {
	t.Parallel()
	browser := newAppBrowser(t)
	root, err := os.MkdirTemp("", "ezdata-")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(root)) })
	cluster := newAppCluster(t, root, "a") // runs open
	a := cluster.url("a")
	require.Equal(t, map[string]any{"authEnabled": false, "role": "ADMIN", "tokenName": nil},
		gqltest.Do(t, a, `{ viewer { authEnabled role tokenName } }`, nil)["viewer"])

	page := browser.tab("open", a)
	page.open("/")
	page.waitFor("the list", `document.querySelector('[data-account="open"]')?.textContent.trim() === 'open access' && `+appLink("New datasource")+` !== null`)
	require.False(t, appEval[bool](page, authSignInForm), "no sign-in form")
	require.False(t, appEval[bool](page, appButton("Sign out")+` !== null`), "no sign-out")
	page.click("the Tokens link", appLink("Tokens"))
	page.waitFor("the tokens screen", `document.querySelector('#tokens-title') !== null && document.body.innerText.includes('No tokens yet')`)
	authRequireStored(t, page, "")
}

// authSocketsClosed counts the WebSockets the tab has seen close.
func authSocketsClosed(p *appTab) int {
	p.browser.mu.Lock()
	defer p.browser.mu.Unlock()
	n := 0
	for _, line := range p.console {
		if strings.HasSuffix(line, "WebSocket closed") {
			n++
		}
	}
	return n
}

// authRequireOnlyOwnOrigin is appBrowser.requireOnlyOwnOrigin, except for
// data: URLs, which load nothing: Chromium's own stylesheet draws the
// calendar icon of the Tokens screen's expiry field with one.
func authRequireOnlyOwnOrigin(b *appBrowser) {
	b.t.Helper()
	b.mu.Lock()
	for tab, urls := range b.requests {
		b.requests[tab] = slices.DeleteFunc(slices.Clone(urls), func(u string) bool { return strings.HasPrefix(u, "data:") })
	}
	b.mu.Unlock()
	b.requireOnlyOwnOrigin()
}

// authSignInForm holds when the sign-in form shows.
const authSignInForm = `document.querySelector('.signin form') !== null`

// authSignIn pastes secret into the sign-in form and waits until the app shows.
func authSignIn(p *appTab, secret string) {
	p.t.Helper()
	p.fill("API token", secret)
	p.click("Sign in", appButton("Sign in"))
	p.waitFor("the app after signing in", `document.querySelector('.signin') === null && document.querySelector('header.top nav') !== null`)
}

// authRequireStored fails unless the tab's sessionStorage holds secret (""
// for nothing) and localStorage and cookies hold nothing.
func authRequireStored(t *testing.T, p *appTab, secret string) {
	t.Helper()
	type stored struct {
		Session map[string]string
		Local   int
		Cookie  string
	}
	got := appEval[stored](p, `({session: Object.fromEntries(Object.entries(sessionStorage)), local: localStorage.length, cookie: document.cookie})`)
	want := map[string]string{}
	if secret != "" {
		want["ezplatform.token"] = secret
	}
	require.Equal(t, want, got.Session, "%s: sessionStorage", p.name)
	require.Zero(t, got.Local, "%s: localStorage holds nothing", p.name)
	require.Empty(t, got.Cookie, "%s: no cookie", p.name)
}

// authGo moves the app to path as a link would (no reload: the tab keeps
// its session and socket).
func authGo(p *appTab, path string) {
	p.t.Helper()
	appEval[bool](p, `(history.pushState(null, '', `+appJSON(path)+`), dispatchEvent(new PopStateEvent('popstate')), true)`)
	p.waitFor("the address "+path, `location.pathname === `+appJSON(path))
}

// authSelect picks value in the select labelled label, as React sees a user do.
func authSelect(p *appTab, label, value string) {
	p.t.Helper()
	input := appLabelled(label)
	p.waitFor("the field "+label, input+` !== null`)
	require.True(p.t, appEval[bool](p, `(el => {
		Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(el, `+appJSON(value)+`);
		el.dispatchEvent(new Event('change', {bubbles: true}));
		return el.value === `+appJSON(value)+` })(`+input+`)`), "%s: select %s in %s", p.name, value, label)
}

// authToken creates a token straight in the cluster's database, as
// `ezplatform token create` does, and returns its secret.
func authToken(t *testing.T, c *appCluster, name string, role auth.Role) string {
	t.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, c.dbURL)
	require.NoError(t, err)
	defer pool.Close()
	_, secret, err := auth.Create(ctx, store.New(pool), auth.CreateParams{Name: name, Role: role})
	require.NoError(t, err)
	return secret
}

// authWaitAccepted waits until the replica accepts secret (replicas reload
// the tokens every half second).
func authWaitAccepted(t *testing.T, base, secret string) {
	t.Helper()
	appEventually(t, "the token accepted", func() bool { return authStatus(t, base, secret) == http.StatusOK })
}

// authPost posts a query with secret as the bearer token.
func authPost(t *testing.T, base, secret, query string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, data
}

func authStatus(t *testing.T, base, secret string) int {
	t.Helper()
	status, _ := authPost(t, base, secret, `{ viewer { role } }`, nil)
	return status
}

// authDo is gqltest.Do with a bearer token.
func authDo(t *testing.T, base, secret, query string, vars map[string]any) map[string]any {
	t.Helper()
	status, data := authPost(t, base, secret, query, vars)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(data, &out), "%s", data)
	require.Empty(t, out.Errors)
	require.Equal(t, http.StatusOK, status, "%s", data)
	return out.Data
}

// newAuthAppCluster starts replicas ids of a new cluster with
// authentication on: appCluster.start runs them open.
func newAuthAppCluster(t *testing.T, root string, ids ...string) *appCluster {
	t.Helper()
	return startAppCluster(t, root, authStart, ids...)
}

// authStart runs replica id of c, with authentication on (the default),
// until c.stop or the end of the test.
func authStart(c *appCluster, id string) {
	c.t.Helper()
	r := &appReplica{addr: "127.0.0.1:0"}
	c.replicas[id] = r
	cfg := &server.Config{
		DatabaseURL: c.dbURL, EtcdEndpoints: etcdtest.Endpoints(c.t), EtcdPrefix: c.etcdPrefix, HTTPAddr: r.addr, ReplicaID: id, DataRoots: c.roots,
		ShutdownTimeout: 5 * time.Second, SessionTTL: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("test", c.t.Name()),
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan server.Ready, 1)
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, cfg, func(r server.Ready) { ready <- r }) }()
	select {
	case ready := <-ready:
		r.addr = strings.TrimPrefix(ready.BaseURL, "http://")
	case err := <-done:
		cancel()
		c.t.Fatalf("replica %s did not start: %v", id, err)
	case <-time.After(time.Minute):
		cancel()
		c.t.Fatalf("replica %s did not start within a minute", id)
	}
	r.cancel, r.done = cancel, done
}
