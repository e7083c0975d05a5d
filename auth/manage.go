package auth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ezplatform/ezplatform/store"
)

// CreateParams describe a new token.
type CreateParams struct {
	Name string
	Role Role
	// CreatedBy is the principal that asks; nil for the command line.
	CreatedBy *Principal
	ExpiresAt *time.Time
}

// Create makes a token and returns it with its secret, which is shown once:
// only its hash is stored. It returns store.ErrNameTaken when a valid token
// has that name.
func Create(ctx context.Context, st *store.Store, p CreateParams) (*store.APIToken, string, error) {
	if err := CheckName(p.Name); err != nil {
		return nil, "", err
	}
	if _, ok := roleNames[p.Role]; !ok {
		return nil, "", fmt.Errorf("auth: %s is not a role", p.Role)
	}
	if p.ExpiresAt != nil && !p.ExpiresAt.After(time.Now()) {
		return nil, "", errors.New("auth: the expiry is in the past")
	}
	secret := NewSecret()
	hash := Hash(secret)
	params := &store.TokenCreateParams{Name: p.Name, Role: p.Role.String(), SHA256: hash[:], ExpiresAt: p.ExpiresAt}
	if p.CreatedBy != nil && p.CreatedBy.Authenticated() {
		params.CreatedBy = &p.CreatedBy.TokenName
	}
	t, err := st.TokenCreate(ctx, params)
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// BootstrapName names the admin token that EZ_BOOTSTRAP_TOKEN_FILE seeds.
const BootstrapName = "bootstrap"

// Bootstrap seeds the admin token whose secret is in file, once: a token
// with that secret that exists already, valid or revoked, is left alone.
// It reports whether it created the token.
func Bootstrap(ctx context.Context, st *store.Store, file string) (bool, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return false, fmt.Errorf("EZ_BOOTSTRAP_TOKEN_FILE: %w", err)
	}
	secret := strings.TrimSpace(string(data))
	if err := CheckSecret(secret); err != nil {
		return false, fmt.Errorf("EZ_BOOTSTRAP_TOKEN_FILE %s: %w; make one with `ezplatform token generate`", file, err)
	}
	hash := Hash(secret)
	created, err := st.TokenEnsure(ctx, &store.TokenCreateParams{Name: BootstrapName, Role: Admin.String(), SHA256: hash[:]})
	if errors.Is(err, store.ErrNameTaken) {
		return false, fmt.Errorf("EZ_BOOTSTRAP_TOKEN_FILE: another valid token is named %q: revoke it, or leave the variable unset", BootstrapName)
	}
	return created, err
}
