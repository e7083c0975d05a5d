package server_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/internal/gqltest"
)

// River UI, opened in a browser, lists our run's job from what the replica
// serves alone: every request goes to the replica (its assets are embedded
// in the binary), none to another host.
func TestRiverUIInBrowser(t *testing.T) {
	t.Parallel()
	browser := chromium(t)
	root := t.TempDir()
	dir := filepath.Join(root, "inbox")
	require.NoError(t, os.Mkdir(dir, 0o755))
	urls, _ := startReplicas(t, 1, root)
	base := urls[0]
	id := gqltest.Do(t, base, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": map[string]any{
			"name": "riverui-browser", "supplierName": "ACME", "path": dir, "filePattern": "*.csv",
			"schedule": map[string]any{"interval": "1h"},
		}})["createDataSource"].(map[string]any)["id"].(string)
	gqltest.Do(t, base, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": id})

	var (
		mu       sync.Mutex
		requests []string
	)
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), allocatorOptions(t, browser)...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			defer mu.Unlock()
			requests = append(requests, ev.Request.URL)
		}
	}))
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/riverui/jobs?state=completed"),
		chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.body.innerText.includes('ezplatform.run')`,
				chromedp.WithPollingTimeout(time.Minute))(ctx, target)
			return err
		}),
	), "River UI shows the completed run's job")

	mu.Lock()
	defer mu.Unlock()
	host := url.URL{Scheme: "http", Host: mustHost(t, base)}
	require.NotEmpty(t, requests)
	for _, raw := range requests {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.True(t, u.Scheme == "data" || (u.Scheme == host.Scheme && u.Host == host.Host), "River UI requested %s", raw)
	}
	t.Logf("River UI made %d requests, all to %s", len(requests), host.Host)
}

func mustHost(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	require.NoError(t, err)
	return u.Host
}
