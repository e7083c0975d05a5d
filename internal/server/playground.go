package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"

	gqlplayground "github.com/99designs/gqlgen/graphql/playground"
)

// playgroundHandler serves gqlgen's GraphiQL page at path, for the GraphQL
// endpoint, with its scripts and styles from assets under path/assets/
// instead of a CDN. Mount it at path and path + "/".
func playgroundHandler(title, path, endpoint string, assets fs.FS) http.Handler {
	// An asset's address carries a hash of its content, so that browsers
	// may cache it for good; the integrity attribute is its SRI hash.
	asset := func(name string) (url, integrity string) {
		data, err := fs.ReadFile(assets, name)
		if err != nil {
			panic(err) // a missing asset is a build mistake, caught by the tests
		}
		sum := sha256.Sum256(data)
		return path + "/assets/" + name + "?h=" + hex.EncodeToString(sum[:6]),
			"sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	}
	js, jsSRI := asset("graphiql.min.js")
	css, cssSRI := asset("graphiql.min.css")
	react, reactSRI := asset("react.production.min.js")
	reactDOM, reactDOMSRI := asset("react-dom.production.min.js")
	page := gqlplayground.Handler(title, endpoint,
		gqlplayground.WithGraphiqlVersion(js, css, jsSRI, cssSRI),
		gqlplayground.WithGraphiqlReactVersion(react, reactDOM, reactSRI, reactDOMSRI),
		// The query in the address: a playground link can be shared.
		gqlplayground.WithGraphiqlPersistStateInURL(true),
	)

	files := http.StripPrefix(path+"/assets/", http.FileServerFS(assets))
	mux := http.NewServeMux()
	mux.Handle("GET "+path, page)
	mux.Handle("GET "+path+"/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	}))
	return mux
}
