package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/ezplatform/ezplatform/auth"
)

// TestWebAppPersistedQueries: in real Chromium against a replica with
// authentication on, the app's queries go as automatic persisted queries.
// The first time, a query's hash alone is refused (PersistedQueryNotFound)
// and the query follows with it; after a reload the replica knows the
// hashes, and they go alone (the same requests, sent again from Go, are
// answered). Every POST carries the token; a mutation carries its full
// query and no hash.
func TestWebAppPersistedQueries(t *testing.T) {
	t.Parallel()
	browser := newAppBrowser(t)
	root, err := os.MkdirTemp("", "ezdata-")
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, os.RemoveAll(root)) })
	require.NoError(t, os.Mkdir(filepath.Join(root, "weather"), 0o755))
	cluster := newAuthAppCluster(t, root, "a")
	a := cluster.url("a")
	editor := authToken(t, cluster, "dana-editor", auth.Editor)
	authWaitAccepted(t, a, editor)
	id := authDo(t, a, editor, `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { id } }`, map[string]any{"input": map[string]any{
		"name": "met-office-forecasts", "supplierName": "Met Office", "category": "weather",
		"path": filepath.Join(root, "weather"), "filePattern": "**/*.json",
		"schedule": map[string]any{"cron": "0 0 6 * * ?", "timezone": "Europe/London"},
	}})["createDataSource"].(map[string]any)["id"].(string)

	page := browser.tab("main", a)
	posts := apqRecord(page)
	page.open("/")
	page.waitFor("the sign-in form", authSignInForm)
	authSignIn(page, editor)
	row := `document.querySelector('table.datasources tbody tr[data-id="` + id + `"]') !== null`
	page.waitFor("the datasource in the list", row)

	// 1. First sight of each query: its hash alone, which the replica does
	// not know (400, PersistedQueryNotFound), then the query with the same
	// hash, its SHA-256. (A screen may cancel a request and send it again:
	// the hash alone then, answered if the replica had read the query.)
	// The browser's network events reach the test after the page has moved
	// on, so wait until each hash's last POST is answered with data.
	settled := func(all []apqPost) bool {
		last := map[string]apqPost{}
		for _, p := range all {
			if p.Hash != "" {
				last[p.Hash] = p
			}
		}
		for _, p := range last {
			if p.Failed || p.Status != http.StatusOK {
				return false
			}
		}
		return len(last) > 0
	}
	first := posts.answered(t, "each hash answered", settled)
	known := map[string]bool{}
	for i, p := range first {
		switch {
		case p.Hash == "":
		case p.Query != "":
			sum := sha256.Sum256([]byte(p.Query))
			require.Equal(t, hex.EncodeToString(sum[:]), p.Hash, "%s: the hash is the query's SHA-256", p.OperationName)
			require.True(t, p.Failed || p.Status == http.StatusOK, "%s: the query with its hash is answered: %d", p.OperationName, p.Status)
			known[p.Hash] = true
		case p.Failed:
		case p.Status == http.StatusBadRequest:
			require.True(t, slices.ContainsFunc(first[i:], func(q apqPost) bool { return q.Hash == p.Hash && q.Query != "" }),
				"%s: a refused hash is followed by its query", p.OperationName)
		default:
			require.Equal(t, int64(http.StatusOK), p.Status, p.OperationName)
			require.True(t, known[p.Hash], "%s: a hash is answered only once the replica was sent its query", p.OperationName)
		}
	}
	require.NotEmpty(t, known, "the list's queries went as persisted queries")
	firstHash := first[slices.IndexFunc(first, func(p apqPost) bool { return p.Hash != "" })]
	require.Empty(t, firstHash.Query, "the first persisted query went as its hash alone")
	require.Equal(t, int64(http.StatusBadRequest), firstHash.Status, "a fresh replica does not know the hash")

	// 2. After a reload (a fresh urql client; the replica remembers), the
	// known hashes go alone, and nothing follows them: the replica answered.
	before := len(first)
	page.open("/")
	page.waitFor("the datasource in the list after the reload", row)
	hashOnly := 0
	again := posts.answered(t, "a known hash sent after the reload", func(all []apqPost) bool {
		return slices.ContainsFunc(all[min(before, len(all)):], func(p apqPost) bool { return known[p.Hash] && !p.Failed })
	})
	for _, p := range again[before:] {
		if p.Hash == "" || !known[p.Hash] || p.Failed {
			continue
		}
		require.Empty(t, p.Query, "%s: a known hash goes without its query", p.OperationName)
		require.Equal(t, int64(http.StatusOK), p.Status, p.OperationName)
		hashOnly++
		// The browser's own request, sent again: the replica answers it.
		status, answer := apqReplay(t, a, p)
		require.Equal(t, http.StatusOK, status, "%s: %s", p.OperationName, answer)
		require.NotContains(t, answer, `"errors"`, "%s: the replica knows the hash", p.OperationName)
		require.Contains(t, answer, `"data"`, p.OperationName)
	}
	require.NotZero(t, hashOnly, "after the reload, queries went as their hash alone")

	// 3. A mutation carries its full query, and no hash.
	before = len(again)
	authGo(page, "/datasources/"+id)
	page.click("Pause", appButton("Pause"))
	page.waitFor("the Resume button", appButton("Resume")+` !== null`)
	isPause := func(p apqPost) bool { return p.OperationName == "PauseSchedule" && !p.Failed }
	var mutations []apqPost
	for _, p := range posts.answered(t, "the pause sent", func(all []apqPost) bool { return slices.ContainsFunc(all[min(before, len(all)):], isPause) })[before:] {
		if strings.HasPrefix(strings.TrimSpace(p.Query), "mutation") && !p.Failed {
			mutations = append(mutations, p)
		}
	}
	require.NotEmpty(t, mutations, "the pause went as a mutation")
	for _, m := range mutations {
		require.Empty(t, m.Hash, "%s: mutations are not persisted", m.OperationName)
		require.Equal(t, int64(http.StatusOK), m.Status, m.OperationName)
	}

	// Every POST after the sign-in, persisted or not, carried the token.
	all := posts.answered(t, "every POST", func([]apqPost) bool { return true })
	signedIn := false
	for _, p := range all {
		if p.Authorization == "Bearer "+editor {
			signedIn = true
		}
		if signedIn {
			require.Equal(t, "Bearer "+editor, p.Authorization, "%s: the token rides on every POST", p.OperationName)
		}
	}
	require.True(t, signedIn)
	t.Logf("%d POSTs to /graphql, %d query hashes learned by the replica", len(all), len(known))
}

// apqPost is one POST to /graphql as the browser sent it, with its answer.
type apqPost struct {
	Body          string
	OperationName string
	Query         string // empty: the hash alone
	Hash          string // extensions.persistedQuery.sha256Hash; empty: none
	Authorization string
	Status        int64 // the answer's HTTP status
	Finished      bool  // the whole answer has arrived
	Failed        bool  // never answered: cancelled (a reload) or refused by the browser
	BadBody       bool  // the body was not JSON
}

type apqPosts struct {
	mu    sync.Mutex
	order []network.RequestID
	byID  map[network.RequestID]*apqPost
}

// apqRecord records the tab's POSTs to /graphql from now on.
func apqRecord(p *appTab) *apqPosts {
	r := &apqPosts{byID: map[network.RequestID]*apqPost{}}
	require.NoError(p.t, chromedp.Listen(p.ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if ev.Request.Method != http.MethodPost || !strings.HasSuffix(ev.Request.URL, "/graphql") {
				return
			}
			var body []byte
			for _, e := range ev.Request.PostDataEntries {
				body = append(body, e.Bytes...)
			}
			var sent struct {
				OperationName string `json:"operationName"`
				Query         string `json:"query"`
				Extensions    struct {
					PersistedQuery struct {
						SHA256Hash string `json:"sha256Hash"`
					} `json:"persistedQuery"`
				} `json:"extensions"`
			}
			post := &apqPost{BadBody: true}
			if json.Unmarshal(body, &sent) == nil {
				post = &apqPost{Body: string(body), OperationName: sent.OperationName, Query: sent.Query, Hash: sent.Extensions.PersistedQuery.SHA256Hash}
			}
			for k, v := range ev.Request.Headers {
				if strings.EqualFold(k, "authorization") {
					post.Authorization, _ = v.(string)
				}
			}
			r.order = append(r.order, ev.RequestID)
			r.byID[ev.RequestID] = post
		case *network.EventResponseReceived:
			if post := r.byID[ev.RequestID]; post != nil {
				post.Status = ev.Response.Status
			}
		case *network.EventLoadingFinished:
			if post := r.byID[ev.RequestID]; post != nil {
				post.Finished = true
			}
		case *network.EventLoadingFailed:
			if post := r.byID[ev.RequestID]; post != nil {
				post.Failed = true
			}
		}
	}))
	return r
}

// answered waits until ready holds of the POSTs recorded so far and every
// one has its whole answer or has failed (cancelled), and returns them in
// the order they were sent.
func (r *apqPosts) answered(t *testing.T, what string, ready func([]apqPost) bool) []apqPost {
	t.Helper()
	var out []apqPost
	appEventually(t, what+", every POST to /graphql answered", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		out = out[:0]
		for _, id := range r.order {
			post := *r.byID[id]
			if !post.Failed && !post.Finished {
				return false
			}
			out = append(out, post)
		}
		return ready(out)
	}, func() string {
		r.mu.Lock()
		defer r.mu.Unlock()
		var lines []string
		for _, id := range r.order {
			p := r.byID[id]
			lines = append(lines, fmt.Sprintf("%s hash %.12s, query %t: status %d, finished %t, failed %t",
				p.OperationName, p.Hash, p.Query != "", p.Status, p.Finished, p.Failed))
		}
		return strings.Join(lines, "\n")
	})
	for _, p := range out {
		require.False(t, p.BadBody, "a POST to /graphql whose body is not JSON")
	}
	return out
}

// apqReplay sends the body of p from Go, with p's Authorization header, as
// plain JSON, and returns the answer.
func apqReplay(t *testing.T, base string, p apqPost) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(p.Body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", p.Authorization)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(data)
}
