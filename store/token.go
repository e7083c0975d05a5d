package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIToken is a row of api_tokens. The secret itself is never stored: only
// its SHA-256.
type APIToken struct {
	Name   string
	Role   string
	SHA256 []byte
	// CreatedBy is the name of the token that created it; nil for the
	// command line.
	CreatedBy  *string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// Valid reports whether the token may be used at now.
func (t *APIToken) Valid(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

const tokenColumns = `name, role, token_sha256, created_by, created_at, last_used_at, expires_at, revoked_at`

func scanToken(row pgx.Row) (*APIToken, error) {
	var t APIToken
	if err := row.Scan(&t.Name, &t.Role, &t.SHA256, &t.CreatedBy, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt); err != nil {
		return nil, translate(err)
	}
	return &t, nil
}

// TokenCreateParams describe a new token. The caller makes the secret and
// passes its hash.
type TokenCreateParams struct {
	Name      string
	Role      string
	SHA256    []byte
	CreatedBy *string
	ExpiresAt *time.Time
}

// TokenCreate stores a token. It returns ErrNameTaken when a valid token
// has that name.
func (s *Store) TokenCreate(ctx context.Context, p *TokenCreateParams) (*APIToken, error) {
	return scanToken(s.pool.QueryRow(ctx, `
		INSERT INTO api_tokens (name, role, token_sha256, created_by, expires_at) VALUES ($1, $2, $3, $4, $5)
		RETURNING `+tokenColumns, p.Name, p.Role, p.SHA256, p.CreatedBy, p.ExpiresAt))
}

// TokenList returns every token, newest first, revoked ones included.
func (s *Store) TokenList(ctx context.Context) ([]*APIToken, error) {
	return s.tokens(ctx, `SELECT `+tokenColumns+` FROM api_tokens ORDER BY created_at DESC, id DESC`)
}

// TokensValid returns the tokens that are neither revoked nor expired: what
// a replica accepts.
func (s *Store) TokensValid(ctx context.Context) ([]*APIToken, error) {
	return s.tokens(ctx, `SELECT `+tokenColumns+` FROM api_tokens
		WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`)
}

func (s *Store) tokens(ctx context.Context, sql string) ([]*APIToken, error) {
	rows, err := s.pool.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*APIToken, error) { return scanToken(row) })
}

// TokenRevoke revokes the valid token of that name, or returns ErrNotFound.
func (s *Store) TokenRevoke(ctx context.Context, name string) (*APIToken, error) {
	return scanToken(s.pool.QueryRow(ctx, `
		UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL
		RETURNING `+tokenColumns, name))
}

// TokensTouch records that the tokens with these hashes were used at.
func (s *Store) TokensTouch(ctx context.Context, hashes [][]byte, at time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE api_tokens SET last_used_at = $2
		WHERE token_sha256 = ANY($1) AND (last_used_at IS NULL OR last_used_at < $2)`, hashes, at)
	return err
}

// TokenEnsure stores a token unless one with its hash exists (valid or
// revoked), and reports whether it stored it: a bootstrap token is created
// once, and stays revoked once revoked.
func (s *Store) TokenEnsure(ctx context.Context, p *TokenCreateParams) (bool, error) {
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO api_tokens (name, role, token_sha256, created_by, expires_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (token_sha256) DO NOTHING`, p.Name, p.Role, p.SHA256, p.CreatedBy, p.ExpiresAt)
	if err != nil {
		return false, translate(err)
	}
	return tag.RowsAffected() == 1, nil
}
