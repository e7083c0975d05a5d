#!/usr/bin/env bash
# Refreshes assets/ from the npm registry: GraphiQL and React at the
# versions gqlgen's playground pins (graphql/playground/playground.go), so
# that the playground works without reaching a CDN.
set -euo pipefail
cd "$(dirname "$0")"

graphiql=4.1.2
react=18.2.0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$graphiql" "react@$react" "react-dom@$react" >/dev/null)
for pkg in "graphiql-$graphiql" "react-$react" "react-dom-$react"; do
	mkdir "$tmp/$pkg" && tar xzf "$tmp/$pkg.tgz" -C "$tmp/$pkg"
done
cp "$tmp/graphiql-$graphiql/package/graphiql.min.js" "$tmp/graphiql-$graphiql/package/graphiql.min.css" assets/
cp "$tmp/react-$react/package/umd/react.production.min.js" assets/
cp "$tmp/react-dom-$react/package/umd/react-dom.production.min.js" assets/
cp "$tmp/graphiql-$graphiql/package/LICENSE" assets/LICENSE.graphiql
cp "$tmp/react-$react/package/LICENSE" assets/LICENSE.react
