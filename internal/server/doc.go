// Package server runs one EZ Platform replica: it checks the schema,
// connects to PostgreSQL and etcd, and serves the HTTP endpoints (/graphql,
// /playground, the web app, /healthz, /readyz and /metrics).
//
// The listener opens first, so that /healthz and /readyz answer while the
// replica is still connecting; /readyz turns 200 once every dependency is up.
package server
