// Package web serves the browser app embedded in the binary.
//
// The app's source is in app/ (React, Vite); `make web` builds it into
// dist/, which is committed and embedded here, so that building the binary
// needs no Node. `make test` fails when a fresh build would differ from the
// committed one.
//
// Handler serves dist/ as a single-page app:
//
//   - files under /assets/ carry a content hash in their names, so browsers
//     may cache them for good (immutable); an unknown /assets/ path is a 404;
//   - index.html is revalidated on every load (no-cache), so a new build
//     reaches browsers at once; it answers /, /index.html and every path
//     whose last segment has no extension (an app route such as
//     /datasources/abc), which the app's router resolves;
//   - any other unknown path (/foo.js) is a 404;
//   - a Content-Security-Policy keeps every request on the replica: no
//     CDN, no inline script, no framing;
//   - compressible files are also held gzipped, compressed once at start,
//     for clients that accept it.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy is sent with every response. The app talks only to
// its own replica: the API over HTTP and WebSocket, its own scripts and
// styles (React sets style attributes, hence 'unsafe-inline' for styles
// only).
const ContentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
	"style-src 'self' 'unsafe-inline'; script-src 'self'; base-uri 'self'; frame-ancestors 'none'"

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
	assetsDir       = "assets"
	indexFile       = "index.html"
)

// Handler serves the embedded app. It reads and compresses dist/ once, on
// the first call.
func Handler() http.Handler {
	return embedded()
}

var embedded = sync.OnceValue(func() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // impossible: the directory is embedded above
	}
	h, err := newHandler(sub)
	if err != nil {
		panic(err) // dist/ is embedded: it cannot be unreadable
	}
	return h
})

type handler struct {
	files map[string]*file // by slash-separated name, without a leading slash
	index *file
}

// file is one file of the app, held in memory with its gzip encoding.
type file struct {
	name        string
	contentType string
	cache       string
	etag        string
	data        []byte
	gzipped     []byte // nil when gzip does not pay
}

// newHandler serves fsys, which must hold index.html at its root.
func newHandler(fsys fs.FS) (*handler, error) {
	h := &handler{files: map[string]*file{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		h.files[name] = newFile(name, data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if h.index = h.files[indexFile]; h.index == nil {
		return nil, fs.ErrNotExist
	}
	return h, nil
}

func newFile(name string, data []byte) *file {
	sum := sha256.Sum256(data)
	f := &file{
		name:        name,
		contentType: mime.TypeByExtension(path.Ext(name)),
		cache:       cacheRevalidate,
		etag:        `"` + hex.EncodeToString(sum[:12]) + `"`,
		data:        data,
	}
	if f.contentType == "" {
		f.contentType = http.DetectContentType(data)
	}
	if isAsset(name) {
		f.cache = cacheImmutable
	}
	f.gzipped = compress(data)
	return f
}

// compress returns data gzipped, or nil when that saves less than an
// eighth (images, fonts and tiny files).
func compress(data []byte) []byte {
	if len(data) < 512 {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
	_, _ = zw.Write(data)                                    // a bytes.Buffer does not fail
	_ = zw.Close()
	if buf.Len() > len(data)-len(data)/8 {
		return nil
	}
	return buf.Bytes()
}

func isAsset(name string) bool {
	return name == assetsDir || strings.HasPrefix(name, assetsDir+"/")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	header := w.Header()
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set("Content-Security-Policy", ContentSecurityPolicy)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		header.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	f := h.lookup(r.URL.Path)
	if f == nil {
		http.NotFound(w, r)
		return
	}
	header.Set("Cache-Control", f.cache)
	header.Set("Content-Type", f.contentType)
	body, etag := f.data, f.etag
	if f.gzipped != nil {
		header.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			header.Set("Content-Encoding", "gzip")
			body, etag = f.gzipped, strings.TrimSuffix(f.etag, `"`)+`-gzip"`
			// ServeContent leaves the length out once an encoding is set,
			// in case the writer compresses; this body is final.
			header.Set("Content-Length", strconv.Itoa(len(body)))
		}
	}
	header.Set("ETag", etag)
	// ServeContent answers HEAD, ranges and If-None-Match; embedded files
	// have no modification time.
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
}

// lookup finds the file for a request path: the file itself, or index.html
// for an app route. It returns nil for a 404.
func (h *handler) lookup(urlPath string) *file {
	name := strings.TrimPrefix(path.Clean("/"+urlPath), "/")
	if name == "" {
		return h.index
	}
	if f := h.files[name]; f != nil {
		return f
	}
	// An unknown asset is a stale or mistyped hash: index.html in its
	// place would only confuse the browser.
	if isAsset(name) || path.Ext(name) != "" {
		return nil
	}
	return h.index
}

// acceptsGzip reports whether Accept-Encoding headers accept gzip: listed
// by name, or by "*" when gzip is not listed, with a non-zero quality.
func acceptsGzip(values []string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, value := range values {
		for part := range strings.SplitSeq(value, ",") {
			coding, params, _ := strings.Cut(part, ";")
			switch coding = strings.TrimSpace(coding); {
			case strings.EqualFold(coding, "gzip"):
				gzipQ = quality(params)
			case coding == "*":
				anyQ = quality(params)
			}
		}
	}
	return gzipQ > 0 || gzipQ < 0 && anyQ > 0
}

// quality returns the q parameter of an Accept-Encoding element: 1 when it
// has none, 0 when it cannot be read.
func quality(params string) float64 {
	for param := range strings.SplitSeq(params, ";") {
		key, value, _ := strings.Cut(strings.TrimSpace(param), "=")
		if strings.EqualFold(strings.TrimSpace(key), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			if err != nil {
				return 0
			}
			return q
		}
	}
	return 1
}
