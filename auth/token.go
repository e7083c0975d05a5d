package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
)

// TokenPrefix starts every secret, so that secret scanners and people
// recognise one.
const TokenPrefix = "ezp_"

// secretLen is the length of a secret: the prefix and 32 random bytes in
// unpadded base64url.
var secretLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// NewSecret returns a new random token secret.
func NewSecret() string {
	// crypto/rand.Read never fails (Go 1.24).
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Hash is what is stored of a secret.
func Hash(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// ErrMalformed: the text is not a token secret at all.
var ErrMalformed = errors.New("auth: not a token (tokens start with " + TokenPrefix + ")")

// CheckSecret reports whether secret has the form NewSecret gives.
func CheckSecret(secret string) error {
	if len(secret) != secretLen || !strings.HasPrefix(secret, TokenPrefix) {
		return ErrMalformed
	}
	if _, err := base64.RawURLEncoding.DecodeString(secret[len(TokenPrefix):]); err != nil {
		return ErrMalformed
	}
	return nil
}

// BearerToken returns the credentials of an Authorization value
// ("Bearer <token>", the scheme in any case), and whether it has that form.
func BearerToken(authorization string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// CheckName reports whether name may name a token (as api_tokens' CHECK).
func CheckName(name string) error {
	if !tokenName.MatchString(name) {
		return errors.New("auth: a token name is 1-64 letters, digits, '.', '_' or '-'")
	}
	return nil
}
