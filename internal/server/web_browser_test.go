package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/gqltest"
)

// A user opens the web app on a replica, under the Content-Security-Policy
// web.Handler sends: each page renders, the list shows the datasources it
// fetched from the API, and the browser blocks nothing and throws nothing.
func TestWebAppUnderCSPInBrowser(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "inbox"), 0o755))
	urls, _ := startReplicas(t, 1, root)
	gqltest.Do(t, urls[0], `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "csp-inbox", "path": filepath.Join(root, "inbox"), "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1h"},
		}})

	ctx := browse(t, browser)
	// Installed before any page script runs, so that nothing goes unseen.
	require.NoError(t, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.problems = [];
				document.addEventListener('securitypolicyviolation', e => problems.push('CSP ' + e.violatedDirective + ' blocked ' + e.blockedURI));
				window.addEventListener('error', e => problems.push('error: ' + e.message));
				window.addEventListener('unhandledrejection', e => problems.push('unhandled rejection: ' + e.reason));`,
		})
		return err
	})))

	for path, shows := range map[string]string{"/": "csp-inbox", "/cluster": "", "/datasources/new": ""} {
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate(urls[0]+path),
			// The app rendered (the markup has an empty #root), and shows
			// what it fetched.
			chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
				_, err := chromedp.Poll[bool](`document.querySelector('#root')?.childElementCount > 0 && `+
					`document.body.innerText.includes(`+jsString(shows)+`)`, chromedp.WithPollingTimeout(30*time.Second))(ctx, target)
				return err
			}),
		), path)
		time.Sleep(500 * time.Millisecond) // late requests: a subscription, a lazy chunk
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.problems`))
		require.NoError(t, err)
		require.Empty(t, problems, path)
	}
}

func jsString(s string) string {
	return "'" + s + "'" // the test's own strings: no quotes to escape
}
