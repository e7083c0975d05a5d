package server

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

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
