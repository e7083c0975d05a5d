package web

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"
)

var (
	fixtureIndex = `<!doctype html><html><head><title>app</title>` +
		`<script type="module" src="/assets/index-Bx1f9a.js"></script></head>` +
		`<body><div id="root"></div>` + strings.Repeat("<!-- padding -->", 64) + `</body></html>`
	fixtureJS     = strings.Repeat(`export function f(){return "compressible"};`, 200)
	fixturePNG    = rand.Text() + rand.Text() + rand.Text() // too short to gzip
	fixtureRandom = randomBytes(4096)                       // does not compress
)

func randomBytes(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return string(b)
}

type testBundle struct {
	handler http.Handler
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	h, err := newHandler(fstest.MapFS{
		"index.html":               {Data: []byte(fixtureIndex)},
		"robots.txt":               {Data: []byte("User-agent: *\n")},
		"assets/index-Bx1f9a.js":   {Data: []byte(fixtureJS)},
		"assets/logo-Cq2d8e.png":   {Data: []byte(fixturePNG)},
		"assets/font-D3e4f5.woff2": {Data: []byte(fixtureRandom)},
	})
	require.NoError(t, err)
	return &testBundle{handler: h}
}

// do sends one request straight to the handler.
func (b *testBundle) do(method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	return w
}

func requireIndex(t *testing.T, w *httptest.ResponseRecorder, target string) {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, target)
	require.Equal(t, fixtureIndex, w.Body.String(), target)
	require.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"), target)
	require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), target)
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), target)
	require.Equal(t, "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "+
		"style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'self'; frame-ancestors 'none'",
		w.Header().Get("Content-Security-Policy"), target)
}

func requireNotFound(t *testing.T, w *httptest.ResponseRecorder, target string) {
	t.Helper()
	require.Equal(t, http.StatusNotFound, w.Code, target)
	require.NotContains(t, w.Body.String(), "<html", "%s: not index.html", target)
	require.Empty(t, w.Header().Get("Cache-Control"), "%s: a 404 is not cached", target)
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), target)
}

func TestIndexIsRevalidated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{"/", "/index.html", "/?tab=runs"} {
		requireIndex(t, b.do(http.MethodGet, target), target)
	}
}

// Paths whose last segment has no extension are routes of the app: the
// browser gets index.html, and the app's router shows the page.
func TestAppRoutesServeIndex(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{
		"/datasources/abc", "/cluster", "/datasources/new", "/datasources/abc/runs/",
		"/datasources/01J9Z?status=FAILED", "/a/b/c/d",
	} {
		requireIndex(t, b.do(http.MethodGet, target), target)
	}
}

func TestAssetsAreImmutable(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for target, want := range map[string]struct{ body, contentType string }{
		"/assets/index-Bx1f9a.js": {fixtureJS, "text/javascript; charset=utf-8"},
		"/assets/logo-Cq2d8e.png": {fixturePNG, "image/png"},
	} {
		w := b.do(http.MethodGet, target)
		require.Equal(t, http.StatusOK, w.Code, target)
		require.Equal(t, want.body, w.Body.String(), target)
		require.Equal(t, want.contentType, w.Header().Get("Content-Type"), target)
		require.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"), target)
		require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), target)
	}
}

// A file outside assets/ has no hash in its name: browsers revalidate it.
func TestOtherFilesAreRevalidated(t *testing.T) {
	t.Parallel()
	w := setup(t).do(http.MethodGet, "/robots.txt")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "User-agent: *\n", w.Body.String())
	require.Equal(t, "no-cache", w.Header().Get("Cache-Control"))
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
}

// An unknown asset (a stale hash after a deploy) is a 404, never
// index.html, which a browser would try to run as a script.
func TestUnknownAssetsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{
		"/assets/index-0ld0ne.js", "/assets/index-Bx1f9a.js.map", "/assets/nope", "/assets/", "/assets",
		"/assets/sub/dir",
	} {
		requireNotFound(t, b.do(http.MethodGet, target), target)
	}
}

func TestUnknownFilesAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, target := range []string{"/foo.js", "/favicon.ico", "/datasources/abc/logo.png", "/../web.go", "/.env"} {
		requireNotFound(t, b.do(http.MethodGet, target), target)
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions} {
		for _, target := range []string{"/", "/datasources/abc", "/assets/index-Bx1f9a.js"} {
			w := b.do(method, target)
			require.Equal(t, http.StatusMethodNotAllowed, w.Code, "%s %s", method, target)
			require.Equal(t, "GET, HEAD", w.Header().Get("Allow"), "%s %s", method, target)
		}
	}

	for _, target := range []string{"/", "/cluster", "/assets/index-Bx1f9a.js"} {
		get, head := b.do(http.MethodGet, target), b.do(http.MethodHead, target)
		require.Equal(t, http.StatusOK, head.Code, target)
		require.Empty(t, head.Body.Bytes(), target)
		require.Equal(t, strconv.Itoa(get.Body.Len()), head.Header().Get("Content-Length"), target)
		require.Equal(t, get.Header().Get("Cache-Control"), head.Header().Get("Cache-Control"), target)
	}
}

// A second load of index.html costs a 304, not the page.
func TestRevalidationByETag(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, encoding := range []string{"identity", "gzip"} {
		first := b.do(http.MethodGet, "/cluster", "Accept-Encoding", encoding)
		etag := first.Header().Get("ETag")
		require.NotEmpty(t, etag)
		again := b.do(http.MethodGet, "/cluster", "Accept-Encoding", encoding, "If-None-Match", etag)
		require.Equal(t, http.StatusNotModified, again.Code, encoding)
		require.Empty(t, again.Body.Bytes())
	}
	identity := b.do(http.MethodGet, "/", "Accept-Encoding", "identity").Header().Get("ETag")
	gzipped := b.do(http.MethodGet, "/", "Accept-Encoding", "gzip").Header().Get("ETag")
	require.NotEqual(t, identity, gzipped, "each encoding has its own tag")
}

// The app's script is ~200 KB raw: clients that accept gzip get the copy
// compressed at start.
func TestGzip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	gunzip := func(t *testing.T, body []byte) string {
		t.Helper()
		zr, err := gzip.NewReader(bytes.NewReader(body))
		require.NoError(t, err)
		data, err := io.ReadAll(zr)
		require.NoError(t, err)
		return string(data)
	}

	for target, want := range map[string]string{"/assets/index-Bx1f9a.js": fixtureJS, "/": fixtureIndex, "/cluster": fixtureIndex} {
		w := b.do(http.MethodGet, target, "Accept-Encoding", "br, gzip, deflate")
		require.Equal(t, http.StatusOK, w.Code, target)
		require.Equal(t, "gzip", w.Header().Get("Content-Encoding"), target)
		require.Equal(t, "Accept-Encoding", w.Header().Get("Vary"), target)
		require.Less(t, w.Body.Len(), len(want)/2, target)
		require.Equal(t, strconv.Itoa(w.Body.Len()), w.Header().Get("Content-Length"), target)
		require.Equal(t, want, gunzip(t, w.Body.Bytes()), target)
		require.NotContains(t, w.Header().Get("Content-Type"), "gzip", target)

		for _, refused := range []string{"", "br", "gzip;q=0", "identity", "gzip; q=0.000, *"} {
			w := b.do(http.MethodGet, target, "Accept-Encoding", refused)
			require.Empty(t, w.Header().Get("Content-Encoding"), "%s, Accept-Encoding %q", target, refused)
			require.Equal(t, "Accept-Encoding", w.Header().Get("Vary"), target)
			require.Equal(t, want, w.Body.String(), "%s, Accept-Encoding %q", target, refused)
		}
	}

	// Files that gzip would not shrink are served as they are, to everyone.
	for _, target := range []string{"/assets/logo-Cq2d8e.png", "/assets/font-D3e4f5.woff2", "/robots.txt"} {
		w := b.do(http.MethodGet, target, "Accept-Encoding", "gzip")
		require.Equal(t, http.StatusOK, w.Code, target)
		require.Empty(t, w.Header().Get("Content-Encoding"), target)
		require.Empty(t, w.Header().Get("Vary"), target)
	}
}

func TestAcceptsGzip(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		"":                      false,
		"gzip":                  true,
		"GZip":                  true,
		"deflate, gzip;q=1.0":   true,
		"gzip;q=0.5, br":        true,
		"br;q=1, gzip ; q=0.01": true,
		"*":                     true,
		"gzip;q=0":              false,
		"gzip;q=0, *":           false,
		"*;q=0":                 false,
		"gzip;q=nope":           false,
		"br, deflate":           false,
		"x-gzip-ish":            false,
	} {
		require.Equal(t, want, acceptsGzip([]string{header}), "%q", header)
	}
	require.True(t, acceptsGzip([]string{"br", "gzip"}), "across header lines")
}

func TestNewHandlerNeedsIndex(t *testing.T) {
	t.Parallel()
	_, err := newHandler(fstest.MapFS{"assets/a.js": {Data: []byte("a")}})
	require.Error(t, err)
}

// The embedded build serves its index.html at / and at app routes.
func TestEmbeddedDist(t *testing.T) {
	t.Parallel()
	index, err := dist.ReadFile("dist/index.html")
	require.NoError(t, err)
	for _, target := range []string{"/", "/datasources/new"} {
		w := httptest.NewRecorder()
		Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, target, nil))
		require.Equal(t, http.StatusOK, w.Code, target)
		require.Equal(t, string(index), w.Body.String(), target)
		require.Equal(t, "no-cache", w.Header().Get("Cache-Control"), target)
	}
}
