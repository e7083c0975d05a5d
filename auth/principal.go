package auth

import (
	"context"
	"crypto/sha256"
)

// Principal is who a request acts as.
type Principal struct {
	// TokenName is the token's name; "" when authentication is off.
	TokenName string
	Role      Role
	hash      [sha256.Size]byte
}

// Open is the principal of every request on a replica that runs without
// authentication: an admin without a name.
var Open = &Principal{Role: Admin}

// Authenticated reports whether the principal comes from a token.
func (p *Principal) Authenticated() bool { return p.TokenName != "" }

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of ctx, or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
