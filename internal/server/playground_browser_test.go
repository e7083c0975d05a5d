package server_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/gqltest"
)

// A user opens the playground of one replica in a real browser, subscribes
// to scheduleEvents, and runs the datasource through another replica: the
// playground shows the run live. The playground's scripts come from the
// replica itself; this machine cannot reach a CDN.
func TestPlaygroundSubscriptionInBrowser(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "inbox"), 0o755))
	urls, _ := startReplicas(t, 2, root)
	a, b := urls[0], urls[1]

	created := gqltest.Do(t, b, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "browser", "path": filepath.Join(root, "inbox"), "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1h"},
		}})["createDataSource"].(map[string]any)
	id := created["id"].(string)

	ctx := browse(t, browser)
	query := `subscription { scheduleEvents(dataSourceIds: ["` + id + `"]) { kind run { id status } } }`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(a+"/playground?query="+url.QueryEscape(query)),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
	))
	// showing waits until the response pane shows all of texts.
	showing := func(what string, texts ...string) {
		t.Helper()
		var pane string
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			var err error
			pane, err = chromedp.Run(ctx, chromedp.Evaluate[string](
				`document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? ''`))
			require.NoError(t, err)
			if all(pane, texts) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("the playground does not show %s; it shows:\n%s", what, pane)
	}
	// Without a cursor, a subscription starts with a snapshot: once it
	// shows, the subscription is live.
	showing("the subscription's snapshot", `"SNAPSHOT"`)
	// The pane shows the latest event only: keep every one it shows.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const cm = document.querySelector('.result-window .CodeMirror').CodeMirror;
		window.shown = [];
		cm.on('change', () => window.shown.push(cm.getValue()));
		return true;
	})()`))
	require.NoError(t, err)

	run := gqltest.Do(t, b, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": id})["triggerRun"].(map[string]any)
	runID := `"` + run["id"].(string) + `"`
	showing("the run's finish", `"RUN_SUCCEEDED"`, runID)
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.shown`))
	require.NoError(t, err)
	var kinds []string
	for _, pane := range shown {
		if strings.Contains(pane, runID) {
			kinds = append(kinds, regexp.MustCompile(`"kind": "(\w+)"`).FindStringSubmatch(pane)[1])
		}
	}
	// A quick run records its start with its result, without RUN_STARTED;
	// on a loaded machine one that took a second shows it too.
	kinds = slices.DeleteFunc(slices.Compact(kinds), func(k string) bool { return k == "RUN_STARTED" })
	require.Equal(t, []string{"RUN_SCHEDULED", "RUN_SUCCEEDED"}, kinds, "each run event, in order")
}

// The playground opens on a working example: the query editor holds it,
// and running it lists the datasources.
func TestPlaygroundExampleInBrowser(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "inbox"), 0o755))
	urls, _ := startReplicas(t, 1, root)
	gqltest.Do(t, urls[0], `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "example-inbox", "path": filepath.Join(root, "inbox"), "filePattern": "*.csv",
			"schedule": map[string]any{"cron": "0 */5 * * * ?"},
		}})

	ctx := browse(t, browser)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(urls[0]+"/playground"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-execute-button`)),
	))
	editor, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.graphiql-execute-button`))))
	require.Contains(t, editor, "dataSources(first: 10)")
	require.Contains(t, editor, "# subscription { scheduleEvents")

	var pane string
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		pane, err = chromedp.Run(ctx, chromedp.Evaluate[string](
			`document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? ''`))
		require.NoError(t, err)
		if all(pane, []string{`"totalCount": 1`, `"name": "example-inbox"`, `"cron": "0 */5 * * * ?"`}) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the example's result does not show the datasource; the pane shows:\n%s", pane)
}

// browse starts a headless Chromium for the test and returns its context.
func browse(t *testing.T, browser string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), allocatorOptions(t, browser)...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func all(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// allocatorOptions start a test's headless Chromium at path. Chromium keeps
// its singleton socket in a directory of its own under TMPDIR, which stays
// behind when chromedp kills it: it gets a TMPDIR that the test removes once
// the browser is gone. Not t.TempDir: a socket's path has at most 107 bytes.
func allocatorOptions(t *testing.T, path string, more ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	t.Helper()
	tmp, err := os.MkdirTemp("", "ezchromium-")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(tmp)) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Env("TMPDIR="+tmp))
	return append(opts, more...)
}

// chromium finds a Chromium to drive: EZ_CHROMIUM, or chromium on the
// PATH. CI installs it (.ci/run); elsewhere the test is skipped without one.
func chromium(t *testing.T) string {
	t.Helper()
	if path := os.Getenv("EZ_CHROMIUM"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on the PATH: .ci/run installs Debian's chromium package")
	}
	t.Skip("no Chromium on the PATH (apt-get install chromium, or set EZ_CHROMIUM)")
	return ""
}
