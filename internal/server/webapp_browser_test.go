package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/discovery"
	"github.com/ezplatform/ezplatform/internal/etcdtest"
	"github.com/ezplatform/ezplatform/internal/gqltest"
	"github.com/ezplatform/ezplatform/internal/pgtest"
	"github.com/ezplatform/ezplatform/internal/server"
)

// The web app end to end: real headless Chromium, real replicas, real
// PostgreSQL and etcd. TestWebAppOperatorFlow is an operator's day on one
// replica; TestWebAppFailover is a cluster losing replicas under the
// operator's eyes. On the way, axe-core checks the main screens, every request
// the browser makes must go to the replica that served the page, and, when
// EZ_SCREENSHOTS names a directory (make screenshots), the main screens are
// saved there as PNG.

// appWait bounds every wait for the page: generous, for a loaded 2-core
// machine running the race detector. Nothing asserts how fast things are.
const appWait = 90 * time.Second

// TestWebAppOperatorFlow: an operator creates a datasource through the form
// (the server's errors show at their fields first), watches its runs live on
// its page and in the list, sees a dropped file with its record count, pauses
// and resumes it, and edits it in two tabs at once.
func TestWebAppOperatorFlow(t *testing.T) {
	t.Parallel()
	browser := newAppBrowser(t)
	// A data root with a short name: it shows on the screenshots.
	root, err := os.MkdirTemp("", "ezdata-")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(root)) })
	inbox := filepath.Join(root, "inbox")
	for _, dir := range []string{inbox, filepath.Join(root, "weather"), filepath.Join(root, "invoices")} {
		require.NoError(t, os.Mkdir(dir, 0o755))
	}
	cluster := newAppCluster(t, root, "a")
	a := cluster.url("a")

	// A few datasources already there, one with a finished run.
	weather := appCreate(t, a, map[string]any{
		"name": "met-office-forecasts", "supplierName": "Met Office", "category": "weather",
		"path": filepath.Join(root, "weather"), "filePattern": "**/*.json",
		"schedule": map[string]any{"cron": "0 0 6 * * ?", "timezone": "Europe/London"},
	})
	appCreate(t, a, map[string]any{
		"name": "partner-invoices", "supplierName": "Globex", "category": "finance",
		"path": filepath.Join(root, "invoices"), "filePattern": "*.csv",
		"schedule": map[string]any{"interval": "1h"},
	})
	gqltest.Do(t, a, `mutation($id: ID!) { triggerRun(id: $id) { id } }`, map[string]any{"id": weather})

	// A second tab keeps the list open from before the datasource exists.
	list := browser.tab("list", a)
	list.open("/")
	list.waitFor("the live connection", `document.querySelector('[data-connection]')?.dataset.connection === 'live'`)
	list.waitFor("the two datasources", `document.querySelectorAll('table.datasources tbody tr[data-id]').length === 2`)

	page := browser.tab("main", a)
	page.open("/")
	page.click("the New datasource link", appLink("New datasource"))
	page.waitFor("the empty form", `location.pathname === '/datasources/new' && `+appLabelled("Name")+` !== null`)

	// 1. Two mistakes at once: a cron expression with second 99, and a
	// directory outside the data roots. The server names both, each at its
	// field, and creates nothing.
	page.fill("Name", "orders-inbox")
	page.fill("Description", "Orders dropped by Acme's nightly SFTP job")
	page.fill("Supplier", "Acme")
	page.fill("Category", "orders")
	page.fill("Directory", "/etc")
	page.fill("File pattern", "**/*.csv")
	page.fill("Cron expression", "99 * * * * ?")
	page.click("Create datasource", appButton("Create datasource"))
	page.waitFor("errors at Directory and at Cron expression",
		`(f => 'Directory' in f && 'Cron expression' in f)(`+appInvalidFields+`)`)
	invalid := appEval[map[string][]string](page, appInvalidFields)
	require.ElementsMatch(t, []string{"Directory", "Cron expression"}, slices.Collect(maps.Keys(invalid)), "fields marked invalid: %v", invalid)
	for field, messages := range invalid {
		require.NotEmpty(t, messages, field)
		require.NotEmpty(t, messages[0], field)
		require.Equal(t, "true", appEval[string](page, appLabelled(field)+`.getAttribute('aria-invalid')`), "%s is marked invalid for screen readers", field)
	}
	t.Logf("inline errors: %v", invalid)
	require.Equal(t, float64(2), appList(t, a, "")["totalCount"], "the refused datasource was not created")
	require.Equal(t, float64(0), appList(t, a, "orders")["totalCount"], "the refused datasource was not created")
	browser.axe(page, "the form with errors")
	browser.screenshot(page, "form-errors")

	// The fixed form creates it, and the app opens its page. Watchers record
	// every status the page and the list show from now on.
	page.fill("Directory", inbox)
	page.fill("Cron expression", "*/2 * * * * ?")
	page.watch("status", `() => { const b = document.querySelector('.facts .badge'); return b ? (b.dataset.status ?? 'NONE') : null }`)
	list.watch("status", `() => {
		const row = [...document.querySelectorAll('table.datasources tbody tr')].find(r => r.querySelector('a.name')?.textContent === 'orders-inbox');
		const b = row?.querySelector('.status-cell .badge');
		return b ? (b.dataset.status ?? 'NONE') : null }`)
	page.click("Create datasource", appButton("Create datasource"))
	page.waitFor("the datasource's page", `/^\/datasources\/[^/]+$/.test(location.pathname) && document.querySelector('.facts') !== null`)
	id := strings.TrimPrefix(appEval[string](page, `location.pathname`), "/datasources/")
	created := gqltest.Do(t, a, `query($id: ID!) { dataSource(id: $id) { name description supplierName category path filePattern schedule { cron } } }`,
		map[string]any{"id": id})["dataSource"]
	require.Equal(t, map[string]any{
		"name": "orders-inbox", "description": "Orders dropped by Acme's nightly SFTP job", "supplierName": "Acme", "category": "orders", "path": inbox, "filePattern": "**/*.csv",
		"schedule": map[string]any{"cron": "*/2 * * * * ?"},
	}, created)

	// 2. Its runs show live, on its page and in the list that was open
	// before it existed. A run of an empty directory takes milliseconds, so
	// RUNNING may never reach the screen; SUCCEEDED must. Then the
	// directory disappears: runs fail and retry, and both pages say so; it
	// comes back, and the next attempt or run succeeds.
	page.waitFor("a succeeded run on the datasource's page", `document.querySelector('.facts [data-status]')?.dataset.status === 'SUCCEEDED'`)
	list.waitFor("a succeeded run in the list", appRowStatus(id)+` === 'SUCCEEDED'`)
	require.NoError(t, os.RemoveAll(inbox))
	failing := `['RETRYING', 'FAILED'].includes(%s)`
	page.waitFor("the failing run on the datasource's page", fmt.Sprintf(failing, `document.querySelector('.facts [data-status]')?.dataset.status`))
	list.waitFor("the failing run in the list", fmt.Sprintf(failing, appRowStatus(id)))
	require.NoError(t, os.Mkdir(inbox, 0o755))
	page.waitFor("a succeeded run on the datasource's page", `document.querySelector('.facts [data-status]')?.dataset.status === 'SUCCEEDED'`)
	list.waitFor("a succeeded run in the list", appRowStatus(id)+` === 'SUCCEEDED'`)
	for _, tab := range []*appTab{page, list} {
		seen := tab.seen("status")
		t.Logf("%s: statuses shown, in order: %v", tab.name, seen)
		require.True(t, appInOrder(seen, []string{"SUCCEEDED"}, []string{"RETRYING", "FAILED"}, []string{"SUCCEEDED"}),
			"%s shows a run succeed, then fail, then succeed: %v", tab.name, seen)
		if i := slices.Index(seen, "RUNNING"); i >= 0 {
			require.Contains(t, seen[i:], "SUCCEEDED", "%s: RUNNING is followed by SUCCEEDED", tab.name)
		}
		tab.requireNoReload()
	}

	// 3. A CSV file dropped in a subdirectory (old enough to count at once,
	// and renamed into place complete) shows with its record count: the
	// header is not a record, a quoted newline does not end one.
	dir := filepath.Join(inbox, "2026", "01")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	part := filepath.Join(dir, "orders.csv.part")
	require.NoError(t, os.WriteFile(part, []byte("id,note\n1,\"two\nlines\"\n2,plain\n3,\"a \"\"quoted\"\" word\"\n"), 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(part, old, old))
	require.NoError(t, os.Rename(part, filepath.Join(dir, "orders.csv")))
	page.waitFor("the file with 3 records", `document.querySelector('table.files tbody tr[data-path="2026/01/orders.csv"] td[data-records]')?.dataset.records === '3'`)
	page.requireNoReload()

	// 4. Paused, it plans nothing: no run row appears for three slots, and
	// the database agrees. Resumed, runs appear again.
	page.click("Pause", appButton("Pause"))
	page.waitFor("the Resume button", appButton("Resume")+` !== null && document.querySelector('.facts .pill-paused') !== null`)
	appEventually(t, "the runs in flight to finish, and the page to show the last", func() bool {
		if appRunCount(t, a, id, "SCHEDULED", "RUNNING", "RETRYING") > 0 {
			return false
		}
		rows, runs := appRunRows(page), appRuns(t, a, id)
		return len(rows) > 0 && rows[0].ID == runs[0].ID && rows[0].Status == runs[0].Status
	})
	before := appRunRows(page)
	total := appRunCount(t, a, id)
	time.Sleep(3 * 2 * time.Second) // three slots
	require.Equal(t, appIDs(before), appIDs(appRunRows(page)), "no run row appears while paused")
	require.Equal(t, total, appRunCount(t, a, id), "no run is planned while paused")
	page.click("Resume", appButton("Resume"))
	page.waitFor("the Pause button", appButton("Pause")+` !== null && document.querySelector('.facts .pill-paused') === null`)
	known := appJSON(appIDs(before))
	page.waitFor("a new succeeded run after resuming", `[...document.querySelectorAll('table.runs tbody tr[data-run-id]')].some(r => !`+known+`.includes(r.dataset.runId) && r.dataset.status === 'SUCCEEDED')`)

	// The main screens, checked and saved (before step 5, which leaves the
	// list tab on a form).
	page.waitFor("runs and files on the datasource's page", `document.querySelectorAll('table.runs tbody tr[data-run-id]').length > 3 && `+
		`document.querySelector('table.files tbody tr[data-path]') !== null && document.querySelector('.timeline li[data-status]') !== null`)
	browser.axe(page, "the datasource's page")
	browser.screenshot(page, "datasource")
	list.waitFor("every datasource with its live status", `document.querySelectorAll('table.datasources tbody tr[data-id]').length === 3 && `+
		`document.querySelectorAll('table.datasources tbody .status-cell .badge').length === 3`)
	browser.axe(list, "the datasources")
	browser.screenshot(list, "datasources")

	// 5. Two tabs edit it. The first saves; the second's save is refused,
	// and it says what the first changed. Reloading their version keeps
	// their change, and the second tab's edit then saves on top of it.
	page.click("Edit", appLink("Edit"))
	page.waitFor("the edit form", `location.pathname === '/datasources/`+id+`/edit' && `+appLabelled("Name")+`?.value === 'orders-inbox'`)
	list.open("/datasources/" + id + "/edit")
	list.waitFor("the edit form", appLabelled("Name")+`?.value === 'orders-inbox'`)
	page.fill("Description", "Orders from Acme's SFTP drop, hourly")
	page.fill("Supplier", "Acme Corp")
	page.click("Save changes", appButton("Save changes"))
	page.waitFor("the datasource's page", `location.pathname === '/datasources/`+id+`'`)
	list.fill("Category", "sales")
	list.click("Save changes", appButton("Save changes"))
	list.waitFor("the conflict", `document.querySelector('.conflict') !== null`)
	conflict := appEval[string](list, `document.querySelector('.conflict').innerText`)
	t.Logf("conflict: %s", conflict)
	require.Contains(t, conflict, "Description")
	require.Contains(t, conflict, "Supplier")
	require.NotContains(t, conflict, "Category", "the second tab's own change is not theirs")
	// Reloading takes their changes and keeps this tab's own (Category).
	list.click("Reload their version", appButton("Reload their version"))
	list.waitFor("their version in the form, with this tab's change kept", `document.querySelector('.conflict') === null && `+
		appLabelled("Description")+`.value === "Orders from Acme's SFTP drop, hourly" && `+
		appLabelled("Supplier")+`.value === 'Acme Corp' && `+appLabelled("Category")+`.value === 'sales'`)
	list.click("Save changes", appButton("Save changes"))
	list.waitFor("the datasource's page", `location.pathname === '/datasources/`+id+`'`)
	saved := gqltest.Do(t, a, `query($id: ID!) { dataSource(id: $id) { description supplierName category } }`, map[string]any{"id": id})["dataSource"]
	require.Equal(t, map[string]any{"description": "Orders from Acme's SFTP drop, hourly", "supplierName": "Acme Corp", "category": "sales"}, saved)

	// The list's search writes the address and filters.
	list.click("the Datasources link", appLink("Datasources"))
	list.fill("Search by name", "orders")
	list.waitFor("the search in the address and the list", `new URLSearchParams(location.search).get('q') === 'orders' && `+
		`[...document.querySelectorAll('table.datasources tbody tr[data-id]')].map(r => r.dataset.id).join() === '`+id+`'`)

	// 8. Nothing left the replica.
	browser.requireOnlyOwnOrigin()
}

// TestWebAppFailover: with three replicas, the leader stops. The cluster page
// (on another replica) shows the new leader, and a datasource's page (on a
// third) keeps showing runs. Then the replica that page talks to restarts:
// the page says it is reconnecting, comes back live, and shows every run that
// happened while it was away.
func TestWebAppFailover(t *testing.T) {
	t.Parallel()
	browser := newAppBrowser(t)
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "inbox"), 0o755))
	cluster := newAppCluster(t, root, "a", "b", "c")
	id := appCreate(t, cluster.url("a"), map[string]any{
		"name": "every-second", "path": filepath.Join(root, "inbox"), "filePattern": "*.csv",
		"schedule": map[string]any{"interval": "1s"},
	})
	leader := cluster.leader("a")
	var others []string
	for _, r := range []string{"a", "b", "c"} {
		if r != leader {
			others = append(others, r)
		}
	}
	// x keeps running throughout; the datasource's page is on y.
	x, y := others[0], others[1]
	t.Logf("leader %s; the cluster page is on %s, the datasource's page on %s", leader, x, y)

	clusterPage := browser.tab("cluster", cluster.url(x))
	clusterPage.open("/cluster")
	clusterPage.waitFor("the leader and three replicas", `document.querySelector('.leader-card')?.dataset.leader === '`+leader+`' && `+
		`document.querySelectorAll('table.replicas tr[data-replica]').length === 3`)
	page := browser.tab("datasource", cluster.url(y))
	page.open("/datasources/" + id)
	page.waitFor("the live connection", `document.querySelector('[data-connection]')?.dataset.connection === 'live'`)
	page.waitFor("a succeeded run", `document.querySelector('table.runs tbody tr[data-status="SUCCEEDED"]') !== null`)
	page.watch("connection", `() => document.querySelector('[data-connection]')?.dataset.connection ?? null`)

	// 6. The leader stops.
	cluster.stop(leader)
	stopped := time.Now() // slots after this one, the new leader plans
	clusterPage.waitFor("a new leader", `['`+x+`', '`+y+`'].includes(document.querySelector('.leader-card')?.dataset.leader) && `+
		`document.querySelector('table.replicas tr[data-replica="`+leader+`"]') === null`)
	newLeader := appEval[string](clusterPage, `document.querySelector('.leader-card').dataset.leader`)
	require.Equal(t, newLeader, cluster.leader(x), "the cluster page shows the leader the API reports")
	page.waitFor("runs planned by the new leader", fmt.Sprintf(`%s.filter(r => r.status === 'SUCCEEDED' && Date.parse(r.slot) > %d).length >= 2`,
		appRunRowsJS, stopped.UnixMilli()))
	page.waitFor("the new leader in the header", `document.querySelector('[data-header-leader]')?.dataset.headerLeader === '`+newLeader+`'`)
	clusterPage.waitFor("the leadership history with the new leader", `document.querySelector('table.leaders tbody tr td:nth-child(2)')?.textContent === '`+newLeader+`'`)
	browser.axe(clusterPage, "the cluster page")
	browser.screenshot(clusterPage, "cluster")

	// 7. The page's own replica restarts on the same address. Runs go on
	// meanwhile, on x.
	away := time.Now()
	cluster.stop(y)
	page.waitFor("the lost connection", `['reconnecting', 'offline'].includes(document.querySelector('[data-connection]')?.dataset.connection)`)
	appEventually(t, "three runs while the page's replica is away", func() bool {
		n := 0
		for _, r := range appRuns(t, cluster.url(x), id) {
			if r.ScheduledFor.After(away) && r.Status == "SUCCEEDED" {
				n++
			}
		}
		return n >= 3
	})
	back := time.Now()
	cluster.start(y)
	page.waitFor("the connection live again", `document.querySelector('[data-connection]')?.dataset.connection === 'live'`)
	var missing []string
	appEventually(t, "every run of the outage on the page, as the database has it", func() bool {
		shown := map[string]string{}
		for _, r := range appRunRows(page) {
			shown[r.ID] = r.Status
		}
		missing = missing[:0]
		for _, r := range appRuns(t, cluster.url(x), id) {
			if r.ScheduledFor.After(away) && !r.ScheduledFor.After(back) && shown[r.ID] != r.Status {
				missing = append(missing, fmt.Sprintf("%s %s %s (page: %q)", r.ID, r.ScheduledFor.Format(time.StampMilli), r.Status, shown[r.ID]))
			}
		}
		return len(missing) == 0
	}, func() string { return strings.Join(missing, "\n") })
	connection := page.seen("connection")
	t.Logf("connection states shown, in order: %v", connection)
	require.True(t, appInOrder(connection, []string{"live"}, []string{"reconnecting", "offline"}, []string{"live"}), "%v", connection)
	page.requireNoReload()

	// 8. Nothing left the replicas.
	browser.requireOnlyOwnOrigin()
}

// appCluster runs replicas of one cluster (one database, one etcd key
// prefix) that a test can stop and start again, each on the address of its
// first start.
type appCluster struct {
	t          *testing.T
	dbURL      string
	etcdPrefix string
	roots      discovery.Roots
	replicas   map[string]*appReplica
}

type appReplica struct {
	addr   string             // host:port; 127.0.0.1:0 until the first start
	cancel context.CancelFunc // nil while stopped
	done   chan error
}

// newAppCluster starts replicas ids of a new cluster with data root root.
// The clusters of parallel tests share etcdtest's server, each under a key
// prefix of its own, so that each elects its own leader.
func newAppCluster(t *testing.T, root string, ids ...string) *appCluster {
	t.Helper()
	return startAppCluster(t, root, (*appCluster).start, ids...)
}

// startAppCluster is newAppCluster with each replica started by start.
func startAppCluster(t *testing.T, root string, start func(c *appCluster, id string), ids ...string) *appCluster {
	t.Helper()
	roots, err := discovery.NewRoots(root)
	require.NoError(t, err)
	c := &appCluster{t: t, dbURL: pgtest.NewDatabase(t), etcdPrefix: etcdtest.Prefix(), roots: roots, replicas: map[string]*appReplica{}}
	t.Cleanup(func() {
		for id, r := range c.replicas {
			if r.cancel != nil {
				c.stop(id)
			}
		}
	})
	for _, id := range ids {
		start(c, id)
	}
	return c
}

// start runs replica id until stop or the end of the test, on the address
// it had before, if any.
func (c *appCluster) start(id string) {
	c.t.Helper()
	r := c.replicas[id]
	if r == nil {
		r = &appReplica{addr: "127.0.0.1:0"}
		c.replicas[id] = r
	}
	require.Nil(c.t, r.cancel, "replica %s is running", id)
	cfg := &server.Config{
		InsecureNoAuth: true, // these tests are about other things; auth_test.go covers tokens
		DatabaseURL:    c.dbURL, EtcdEndpoints: etcdtest.Endpoints(c.t), EtcdPrefix: c.etcdPrefix, HTTPAddr: r.addr, ReplicaID: id, DataRoots: c.roots,
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
		c.t.Fatalf("replica %s did not start on %s: %v", id, r.addr, err)
	case <-time.After(time.Minute):
		cancel()
		c.t.Fatalf("replica %s did not start on %s within a minute", id, r.addr)
	}
	r.cancel, r.done = cancel, done
}

// stop shuts replica id down and waits until it has.
func (c *appCluster) stop(id string) {
	c.t.Helper()
	r := c.replicas[id]
	require.NotNil(c.t, r.cancel, "replica %s is not running", id)
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		require.NoError(c.t, err, "replica %s", id)
	case <-time.After(time.Minute):
		c.t.Fatalf("replica %s did not stop within a minute", id)
	}
}

func (c *appCluster) url(id string) string { return "http://" + c.replicas[id].addr }

// leader waits until replica id's API reports a leader, and returns it.
func (c *appCluster) leader(id string) string {
	c.t.Helper()
	var leader string
	appEventually(c.t, "a leader", func() bool {
		l, _ := gqltest.Do(c.t, c.url(id), `{ cluster { leader { replicaId } } }`, nil)["cluster"].(map[string]any)["leader"].(map[string]any)
		leader, _ = l["replicaId"].(string)
		return leader != ""
	})
	return leader
}

// appBrowser is one headless Chromium whose tabs record every request they
// make.
type appBrowser struct {
	t         *testing.T
	ctx       context.Context
	axeSource string // axe-core's source; empty when it is not installed

	mu       sync.Mutex
	requests map[*appTab][]string
}

func newAppBrowser(t *testing.T) *appBrowser {
	t.Helper()
	path := chromium(t)
	b := &appBrowser{t: t, requests: map[*appTab][]string{}}
	axe, err := os.ReadFile(filepath.Join("..", "..", "web", "app", "node_modules", "axe-core", "axe.min.js"))
	switch {
	case err == nil:
		b.axeSource = string(axe)
	case !errors.Is(err, fs.ErrNotExist):
		t.Fatal(err)
	case os.Getenv("CI") != "":
		t.Fatal("axe-core is not installed: run npm ci in web/app (make npm-ci)")
	default:
		t.Log("axe-core is not installed (npm ci in web/app): accessibility is not checked")
	}
	ctx, cancel := chromedp.NewExecAllocator(t.Context(), allocatorOptions(t, path, chromedp.WindowSize(1280, 900))...)
	t.Cleanup(cancel)
	ctx, cancel = chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx)) // starts the browser
	b.ctx = ctx
	return b
}

// tab opens a tab (in a window of its own, so that it gets animation
// frames) for pages of origin.
func (b *appBrowser) tab(name, origin string) *appTab {
	b.t.Helper()
	tab := &appTab{t: b.t, name: name, origin: origin, browser: b}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(func(ev any) {
		var u, logged string
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u = ev.Request.URL
		case *network.EventWebSocketCreated:
			u = ev.URL
		case *network.EventWebSocketFrameReceived:
			// Errors end a subscription: worth seeing when a page stops updating.
			if !strings.Contains(string(ev.Response.PayloadData), `"type":"error"`) {
				return
			}
			logged = "WebSocket: " + string(ev.Response.PayloadData)
		case *network.EventWebSocketClosed:
			logged = "WebSocket closed"
		case *runtime.EventExceptionThrown:
			logged = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				logged += " " + ev.ExceptionDetails.Exception.Description
			}
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			logged = "console." + string(ev.Type) + ": " + strings.Join(args, " ")
		default:
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if u != "" {
			b.requests[tab] = append(b.requests[tab], u)
		}
		if logged != "" {
			tab.console = append(tab.console, time.Now().Format("15:04:05.000 ")+logged)
		}
	}))
	b.t.Cleanup(cancel)
	require.NoError(b.t, chromedp.Do(ctx))
	tab.ctx = ctx
	return tab
}

// requireOnlyOwnOrigin fails unless every request of every tab, WebSockets
// included, went to the replica the tab's pages came from.
func (b *appBrowser) requireOnlyOwnOrigin() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for tab, urls := range b.requests {
		host := strings.TrimPrefix(tab.origin, "http://")
		var strays []string
		schemes := map[string]bool{}
		for _, raw := range urls {
			u, err := url.Parse(raw)
			if err != nil || (u.Scheme != "http" && u.Scheme != "ws") || u.Host != host {
				strays = append(strays, raw)
				continue
			}
			schemes[u.Scheme] = true
		}
		require.Empty(b.t, strays, "%s: requests to somewhere other than %s", tab.name, host)
		require.True(b.t, schemes["http"] && schemes["ws"], "%s made HTTP requests and opened a WebSocket, all recorded: %v", tab.name, urls)
		b.t.Logf("%s: %d requests, all to %s", tab.name, len(urls), host)
	}
}

// axe runs axe-core on the tab's page and fails the test on every serious or
// critical violation; it logs the others.
func (b *appBrowser) axe(tab *appTab, screen string) {
	b.t.Helper()
	if b.axeSource == "" {
		return
	}
	if !appEval[bool](tab, `typeof axe !== 'undefined'`) {
		_, err := chromedp.Run(tab.ctx, chromedp.Evaluate[chromedp.Void](b.axeSource))
		require.NoError(b.t, err, "inject axe-core")
	}
	type violation struct {
		ID, Impact, Help string
		Nodes            []string
	}
	violations, err := chromedp.Run(tab.ctx, chromedp.Evaluate[[]violation](`axe.run(document, {resultTypes: ['violations']}).then(r =>
		r.violations.map(v => ({id: v.id, impact: v.impact ?? '', help: v.help,
			nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary ?? '').replace(/\s+/g, ' '))})))`, chromedp.EvalAwaitPromise))
	require.NoError(b.t, err, "axe on %s", screen)
	var report []string
	for _, v := range violations {
		line := fmt.Sprintf("%s (%s): %s\n\t\t%s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n\t\t"))
		if v.Impact == "serious" || v.Impact == "critical" {
			report = append(report, line)
		} else {
			b.t.Logf("axe on %s, %s", screen, line)
		}
	}
	if len(report) > 0 {
		b.t.Errorf("axe finds serious or critical accessibility violations on %s:\n\t%s", screen, strings.Join(report, "\n\t"))
	}
}

// screenshot saves the tab's whole page as $EZ_SCREENSHOTS/name.png, when
// EZ_SCREENSHOTS is set.
func (b *appBrowser) screenshot(tab *appTab, name string) {
	b.t.Helper()
	dir := os.Getenv("EZ_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab.ctx, chromedp.FullScreenshot(100))
	require.NoError(b.t, err)
	require.NoError(b.t, os.MkdirAll(dir, 0o755))
	require.NoError(b.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

// appTab is one browser tab showing pages of one replica.
type appTab struct {
	t       *testing.T
	name    string
	origin  string
	ctx     context.Context
	browser *appBrowser
	console []string // what the page logged; under browser.mu
}

// open loads path in the tab and waits until the app has rendered.
func (p *appTab) open(path string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, appWait)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, chromedp.Navigate(p.origin+path)), "%s: open %s", p.name, path)
	p.waitFor("the app", `document.querySelector('#root')?.childElementCount > 0`)
}

// waitFor polls the JavaScript condition until it holds; past appWait it
// fails the test with what the page shows.
func (p *appTab) waitFor(what, condition string) {
	p.t.Helper()
	deadline := time.Now().Add(appWait)
	var err error
	for {
		var ok bool
		ok, err = chromedp.Run(p.ctx, chromedp.Evaluate[bool](`!!(`+condition+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	shows, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`location.href + '\n' + (document.querySelector('main')?.innerText ?? document.body.innerText).slice(0, 3000) +
		(document.querySelector('form .field') ? '\nFields: ' + JSON.stringify(Object.fromEntries([...document.querySelectorAll('form .field')].map(f =>
			[f.querySelector('label')?.textContent, f.querySelector('input, textarea')?.value]))) : '')`))
	p.browser.mu.Lock()
	console := strings.Join(p.console, "\n")
	p.browser.mu.Unlock()
	p.t.Fatalf("%s: waited %s for %s (last error: %v); the page shows %s\n\nIts console:\n%s", p.name, appWait, what, err, shows, console)
}

// click clicks the element the JavaScript expression gives, once it is there.
func (p *appTab) click(what, element string) {
	p.t.Helper()
	p.waitFor(what, element+` != null`)
	ctx, cancel := context.WithTimeout(p.ctx, appWait)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, chromedp.Click(chromedp.JSPath(element))), "%s: click %s", p.name, what)
}

// fill replaces the value of the input labelled label by typing value, as a
// user does: React sees every key. Clearing it first goes through the native
// value setter and an input event, which React also sees. (Not SendKeys:
// chromedp v0.23.0's SendKeys reads the node's attributes without their lock,
// a data race with DOM events, query.go:1293.)
func (p *appTab) fill(label, value string) {
	p.t.Helper()
	input := appLabelled(label)
	p.waitFor("the field "+label, input+` !== null`)
	require.True(p.t, appEval[bool](p, `(el => {
		Object.getOwnPropertyDescriptor(Object.getPrototypeOf(el), 'value').set.call(el, '');
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.focus();
		return document.activeElement === el })(`+input+`)`), "%s: focus %s", p.name, label)
	ctx, cancel := context.WithTimeout(p.ctx, appWait)
	defer cancel()
	require.NoError(p.t, chromedp.Do(ctx, chromedp.KeyEvent(value)), "%s: type into %s", p.name, label)
	p.waitFor(fmt.Sprintf("%s to hold %q", label, value), input+`.value === `+appJSON(value))
}

// watch records, on every change of the page, the value find() returns
// (null: nothing to record), when it differs from the last one recorded.
// A reload loses the records: requireNoReload checks for one.
func (p *appTab) watch(name, find string) {
	p.t.Helper()
	appEval[bool](p, `(() => {
		if (!window.ezWatches) {
			window.ezWatches = {};
			window.ezSeen = {};
			window.ezCheck = () => {
				for (const [name, find] of Object.entries(window.ezWatches)) {
					let v = null;
					try { v = find(); } catch {}
					const seen = window.ezSeen[name];
					if (v != null && seen[seen.length - 1] !== v) seen.push(v);
				}
			};
			new MutationObserver(window.ezCheck).observe(document.documentElement,
				{subtree: true, childList: true, attributes: true, characterData: true});
		}
		window.ezWatches[`+appJSON(name)+`] = `+find+`;
		window.ezSeen[`+appJSON(name)+`] ??= [];
		window.ezCheck();
		return true })()`)
}

func (p *appTab) seen(name string) []string {
	p.t.Helper()
	return appEval[[]string](p, `window.ezSeen?.[`+appJSON(name)+`] ?? null`)
}

// requireNoReload fails if the page was loaded again since watch.
func (p *appTab) requireNoReload() {
	p.t.Helper()
	require.True(p.t, appEval[bool](p, `window.ezWatches !== undefined`), "%s: the page was reloaded", p.name)
}

func appEval[T any](p *appTab, expression string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expression))
	require.NoError(p.t, err, "%s: %s", p.name, expression)
	return v
}

type appRunRow struct{ ID, Status, Slot string }

// appRunRowsJS lists the rows of the runs table.
const appRunRowsJS = `[...document.querySelectorAll('table.runs tbody tr[data-run-id]')].map(r =>
	({id: r.dataset.runId, status: r.dataset.status, slot: r.querySelector('time')?.dateTime ?? ''}))`

func appRunRows(p *appTab) []appRunRow {
	p.t.Helper()
	return appEval[[]appRunRow](p, appRunRowsJS)
}

func appIDs(rows []appRunRow) []string {
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

// appInvalidFields gives the form's invalid fields: label → messages.
const appInvalidFields = `Object.fromEntries([...document.querySelectorAll('.field.field-invalid')].map(f =>
	[f.querySelector('label')?.textContent.trim(), [...f.querySelectorAll('.field-errors li')].map(li => li.textContent.trim())]))`

// appLabelled gives the control of the label whose own text is label: one
// tied by for=, or one the label wraps.
func appLabelled(label string) string {
	return `([...document.querySelectorAll('label')].find(l =>
		(l.htmlFor ? l.textContent : l.firstChild?.textContent ?? '').trim() === ` + appJSON(label) + `)?.control ?? null)`
}

func appButton(text string) string {
	return `([...document.querySelectorAll('button')].find(b => b.textContent.trim() === ` + appJSON(text) + `) ?? null)`
}

func appLink(text string) string {
	return `([...document.querySelectorAll('a')].find(a => a.textContent.trim() === ` + appJSON(text) + `) ?? null)`
}

// appRowStatus gives the status the list shows for datasource id.
func appRowStatus(id string) string {
	return `document.querySelector('table.datasources tbody tr[data-id="` + id + `"] .status-cell [data-status]')?.dataset.status`
}

func appJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// appInOrder reports whether seen holds, in order, one value of each group.
func appInOrder(seen []string, groups ...[]string) bool {
	i := 0
	for _, group := range groups {
		for i < len(seen) && !slices.Contains(group, seen[i]) {
			i++
		}
		if i == len(seen) {
			return false
		}
		i++
	}
	return true
}

// appEventually polls cond until it holds, for up to appWait; explain, if
// given, says what was wrong at the end.
func appEventually(t *testing.T, what string, cond func() bool, explain ...func() string) {
	t.Helper()
	deadline := time.Now().Add(appWait)
	for !cond() {
		if time.Now().After(deadline) {
			detail := ""
			for _, e := range explain {
				detail += "\n" + e()
			}
			t.Fatalf("waited %s for %s%s", appWait, what, detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func appCreate(t *testing.T, base string, input map[string]any) string {
	t.Helper()
	return gqltest.Do(t, base, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`,
		map[string]any{"input": input})["createDataSource"].(map[string]any)["id"].(string)
}

func appList(t *testing.T, base, search string) map[string]any {
	t.Helper()
	return gqltest.Do(t, base, `query($search: String) { dataSources(first: 100, search: $search) { totalCount } }`,
		map[string]any{"search": search})["dataSources"].(map[string]any)
}

type appRun struct {
	ID           string
	Status       string
	ScheduledFor time.Time
}

// appRuns gives datasource id's latest 100 runs, as the API has them.
func appRuns(t *testing.T, base, id string) []appRun {
	t.Helper()
	data := gqltest.Do(t, base, `query($id: ID!) { dataSource(id: $id) { runs(first: 100) { edges { node { id status scheduledFor } } } } }`,
		map[string]any{"id": id})
	raw, err := json.Marshal(data["dataSource"].(map[string]any)["runs"].(map[string]any)["edges"])
	require.NoError(t, err)
	var edges []struct{ Node appRun }
	require.NoError(t, json.Unmarshal(raw, &edges))
	runs := make([]appRun, len(edges))
	for i, e := range edges {
		runs[i] = e.Node
	}
	return runs
}

// appRunCount counts datasource id's runs, of the given statuses if any.
func appRunCount(t *testing.T, base, id string, statuses ...string) float64 {
	t.Helper()
	vars := map[string]any{"id": id, "status": statuses}
	if len(statuses) == 0 {
		vars["status"] = nil
	}
	data := gqltest.Do(t, base, `query($id: ID!, $status: [RunStatus!]) { dataSource(id: $id) { runs(first: 1, status: $status) { totalCount } } }`, vars)
	return data["dataSource"].(map[string]any)["runs"].(map[string]any)["totalCount"].(float64)
}
