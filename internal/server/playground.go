package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"

	gqlplayground "github.com/99designs/gqlgen/graphql/playground"
)

// playgroundExample is the query the playground opens on: a working example
// of this API rather than GraphiQL's generic welcome text.
const playgroundExample = `# Datasources and their schedules. Run it with ▶ or Ctrl+Enter.
{
  dataSources(first: 10) {
    totalCount
    edges {
      node {
        id
        name
        schedule {
          cron
          interval
          timezone
          nextRunAt
          paused
          lastRun { status finishedAt }
        }
      }
    }
  }
}

# Live: run this instead, and watch runs start and finish on every replica.
# subscription { scheduleEvents { cursor kind dataSourceId nextRunAt run { id status } } }
`

// playgroundHandler serves gqlgen's GraphiQL page at path, for the GraphQL
// endpoint, with its scripts and styles from assets under path/assets/
// instead of a CDN. Mount it at path and path + "/".
//
// A bare path redirects to path?query=<playgroundExample>: the page reads
// its state from the address, and gqlgen has no option for GraphiQL's
// default query.
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
	mux.Handle("GET "+path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if params := r.URL.Query(); !params.Has("query") {
			params.Set("query", playgroundExample)
			http.Redirect(w, r, path+"?"+params.Encode(), http.StatusFound)
			return
		}
		page.ServeHTTP(w, r)
	}))
	mux.Handle("GET "+path+"/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(w, r)
	}))
	return mux
}
