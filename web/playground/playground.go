// Package playground embeds GraphiQL and React, the scripts and styles of
// the GraphQL playground, so that it works where no CDN can be reached.
// update-assets.sh refreshes assets/ from npm; internal/server serves them.
package playground

import (
	"embed"
	"io/fs"
)

//go:embed assets
var embedded embed.FS

// Assets holds graphiql.min.js, graphiql.min.css, react.production.min.js
// and react-dom.production.min.js, with their licenses.
var Assets = func() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // impossible: the directory is embedded above
	}
	return sub
}()
