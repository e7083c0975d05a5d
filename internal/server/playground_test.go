package server

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/ezplatform/ezplatform/graph"
	"github.com/ezplatform/ezplatform/web/playground"
)

// The page loads every script and style from the replica itself, and each
// one is served with the content its integrity attribute promises.
func TestPageLoadsOnlyEmbeddedAssets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(playgroundHandler("EZ Platform", "/playground", "/graphql", playground.Assets))
	defer srv.Close()

	page := get(t, srv.URL+"/playground", http.StatusOK)
	require.NotContains(t, page, "https://", "nothing is loaded from elsewhere")
	tags := regexp.MustCompile(`(?:src|href)="([^"]+)"\s+integrity="([^"]+)"`).FindAllStringSubmatch(page, -1)
	require.Len(t, tags, 4, "GraphiQL's script and style, React and ReactDOM")
	for _, tag := range tags {
		url, integrity := html.UnescapeString(tag[1]), html.UnescapeString(tag[2])
		require.Regexp(t, `^/playground/assets/`, url)
		body := get(t, srv.URL+url, http.StatusOK)
		sum := sha256.Sum256([]byte(body))
		require.Equal(t, "sha256-"+base64.StdEncoding.EncodeToString(sum[:]), integrity, url)
	}
}

func TestUnknownPathsAreNotFound(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(playgroundHandler("EZ Platform", "/playground", "/graphql", playground.Assets))
	defer srv.Close()
	for _, path := range []string{"/playground/assets/nope.js", "/playground/assets/../playground.go", "/playground/other"} {
		get(t, srv.URL+path, http.StatusNotFound)
	}
	resp, err := http.Post(srv.URL+"/playground", "text/plain", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// A bare /playground opens on the example: it redirects to the address
// that carries it, which GraphiQL reads. An address with a query of its own
// (a shared link) is served as it is.
func TestPlaygroundOpensOnExample(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(playgroundHandler("EZ Platform", "/playground", "/graphql", playground.Assets))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	redirect := func(target string) *url.URL {
		t.Helper()
		resp, err := client.Get(srv.URL + target)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusFound, resp.StatusCode, target)
		location, err := resp.Location()
		require.NoError(t, err)
		require.Equal(t, "/playground", location.Path, target)
		return location
	}

	require.Equal(t, url.Values{"query": {playgroundExample}}, redirect("/playground").Query())
	require.Equal(t, url.Values{"query": {playgroundExample}, "variables": {`{"n":1}`}},
		redirect("/playground?variables="+url.QueryEscape(`{"n":1}`)).Query(), "other state is kept")

	for _, target := range []string{"/playground?query=" + url.QueryEscape("{ cluster { leader { replicaId } } }"), "/playground?query="} {
		resp, err := client.Get(srv.URL + target)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, target)
	}
}

// The example, and the subscription commented out below it, are valid
// against the schema: a schema change that breaks them fails here.
func TestPlaygroundExampleIsValid(t *testing.T) {
	t.Parallel()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	_, errs := gqlparser.LoadQuery(schema, playgroundExample)
	require.Empty(t, errs)

	var subscription string
	for line := range strings.Lines(playgroundExample) {
		if rest, ok := strings.CutPrefix(line, "# subscription "); ok {
			subscription = "subscription " + rest
		}
	}
	require.NotEmpty(t, subscription, "the example shows a subscription")
	_, errs = gqlparser.LoadQuery(schema, subscription)
	require.Empty(t, errs)
}

func get(t *testing.T, url string, status int) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, status, resp.StatusCode, "%s: %s", url, body)
	return string(body)
}
