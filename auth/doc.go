// Package auth is who may use the API: bearer tokens, their roles, and the
// replica's view of which tokens are valid.
//
// A token is a random 256-bit secret, shown once when it is created;
// PostgreSQL stores only its SHA-256 (store.APIToken). Every replica keeps
// the set of valid tokens in memory and reloads it every RefreshInterval,
// so that a revocation reaches every replica within a second without a
// database round trip per request; an unknown token triggers an early
// reload, so that a token created on another replica works at once. A
// stream bound to a token (Bind) ends when the token is revoked or
// expires.
package auth
