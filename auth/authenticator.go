package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ezplatform/ezplatform/store"
)

const (
	// RefreshInterval is how often a replica reloads the valid tokens: a
	// revocation takes effect everywhere within it.
	RefreshInterval = 500 * time.Millisecond
	// minMissReload spaces the early reloads that unknown tokens cause, so
	// that guessing costs the database at most a few queries a second.
	minMissReload = 250 * time.Millisecond
	// touchInterval is how often last_used_at is written.
	touchInterval = 5 * time.Second
)

var (
	// ErrUnauthenticated: no valid token (missing, unknown, revoked or
	// expired).
	ErrUnauthenticated = errors.New("auth: no valid token")
	// ErrRevoked ends a bound stream whose token was revoked or expired.
	ErrRevoked = fmt.Errorf("%w: the token was revoked or has expired", ErrUnauthenticated)
	// ErrUnavailable: the valid tokens could not be read yet.
	ErrUnavailable = errors.New("auth: the tokens cannot be read yet; retry shortly")
)

// Authenticator checks tokens against the valid set, which Run keeps
// current.
type Authenticator struct {
	store  *store.Store
	logger *slog.Logger
	now    func() time.Time

	tokens atomic.Pointer[tokenSet]
	// reload asks Run for an early reload; loaded is closed and replaced
	// after each load.
	reload chan struct{}

	mu     sync.Mutex
	loaded chan struct{}
	bound  map[[sha256.Size]byte]map[*binding]struct{}
	used   map[[sha256.Size]byte]struct{}
}

type tokenSet struct {
	byHash map[[sha256.Size]byte]*store.APIToken
	at     time.Time
}

type binding struct{ cancel context.CancelCauseFunc }

// New returns an Authenticator over the tokens of st. Run must run for it
// to accept anything.
func New(st *store.Store, logger *slog.Logger) *Authenticator {
	if logger == nil {
		logger = slog.Default()
	}
	return &Authenticator{
		store: st, logger: logger, now: time.Now,
		reload: make(chan struct{}, 1), loaded: make(chan struct{}),
		bound: map[[sha256.Size]byte]map[*binding]struct{}{}, used: map[[sha256.Size]byte]struct{}{},
	}
}

// Authenticate returns the principal of a secret, or ErrUnauthenticated
// (wrapped with the reason), or ErrUnavailable before the first load.
func (a *Authenticator) Authenticate(ctx context.Context, secret string) (*Principal, error) {
	if err := CheckSecret(secret); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	hash := Hash(secret)
	set, err := a.current(ctx)
	if err != nil {
		return nil, err
	}
	t := set.byHash[hash]
	if t == nil {
		// Perhaps created on another replica since the last load.
		if set, err = a.reloaded(ctx, set); err != nil {
			return nil, err
		}
		t = set.byHash[hash]
	}
	if t == nil || subtle.ConstantTimeCompare(t.SHA256, hash[:]) != 1 {
		return nil, fmt.Errorf("%w: unknown or revoked token", ErrUnauthenticated)
	}
	if !t.Valid(a.now()) {
		return nil, fmt.Errorf("%w: the token expired at %s", ErrUnauthenticated, t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	role, err := ParseRole(t.Role)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.used[hash] = struct{}{}
	a.mu.Unlock()
	return &Principal{TokenName: t.Name, Role: role, hash: hash}, nil
}

// current returns the loaded set, waiting for the first load.
func (a *Authenticator) current(ctx context.Context) (*tokenSet, error) {
	if set := a.tokens.Load(); set != nil {
		return set, nil
	}
	return a.reloaded(ctx, nil)
}

// reloaded asks for a load and waits for a set newer than old.
func (a *Authenticator) reloaded(ctx context.Context, old *tokenSet) (*tokenSet, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for {
		a.mu.Lock()
		loaded := a.loaded
		a.mu.Unlock()
		if set := a.tokens.Load(); set != nil && set != old {
			return set, nil
		}
		select {
		case a.reload <- struct{}{}:
		default:
		}
		select {
		case <-loaded:
		case <-ctx.Done():
			if old != nil {
				return old, nil
			}
			return nil, ErrUnavailable
		}
	}
}

// Bind returns a context that ends, with cause ErrRevoked, when p's token
// is revoked or expires; a stream that runs in it ends then. Principals
// without a token are returned ctx itself.
func (a *Authenticator) Bind(ctx context.Context, p *Principal) context.Context {
	if !p.Authenticated() {
		return ctx
	}
	ctx, cancel := context.WithCancelCause(ctx)
	b := &binding{cancel: cancel}
	a.mu.Lock()
	if a.bound[p.hash] == nil {
		a.bound[p.hash] = map[*binding]struct{}{}
	}
	a.bound[p.hash][b] = struct{}{}
	a.mu.Unlock()
	context.AfterFunc(ctx, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		delete(a.bound[p.hash], b)
		if len(a.bound[p.hash]) == 0 {
			delete(a.bound, p.hash)
		}
	})
	// It may have been revoked between Authenticate and now.
	if set := a.tokens.Load(); set != nil {
		if t := set.byHash[p.hash]; t == nil || !t.Valid(a.now()) {
			cancel(ErrRevoked)
		}
	}
	return ctx
}

// Run keeps the valid set current until ctx ends: it reloads every
// RefreshInterval and when asked, ends the bound streams of tokens that
// are no longer valid, and records when tokens were last used.
func (a *Authenticator) Run(ctx context.Context) {
	refresh := time.NewTicker(RefreshInterval)
	defer refresh.Stop()
	touch := time.NewTicker(touchInterval)
	defer touch.Stop()
	defer a.touch(context.WithoutCancel(ctx))
	first := true
	for {
		if err := a.load(ctx); err != nil && ctx.Err() == nil {
			a.logger.Warn("auth: cannot read the API tokens; keeping the last ones read", "error", err)
		} else if first && err == nil {
			first = false
			if len(a.tokens.Load().byHash) == 0 {
				a.logger.Warn("auth: no API token exists yet, so every request is refused: create the first admin token with " +
					"`EZ_DATABASE_URL=… ezplatform token create --role admin --name <you>`, or start with EZ_BOOTSTRAP_TOKEN_FILE")
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
		case <-a.reload:
			if set := a.tokens.Load(); set != nil && a.now().Sub(set.at) < minMissReload {
				wait := minMissReload - a.now().Sub(set.at)
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		case <-touch.C:
			a.touch(ctx)
			continue
		}
	}
}

// load reads the valid tokens, publishes them and ends what they no longer
// allow.
func (a *Authenticator) load(ctx context.Context) error {
	tokens, err := a.store.TokensValid(ctx)
	if err != nil {
		return err
	}
	set := &tokenSet{byHash: make(map[[sha256.Size]byte]*store.APIToken, len(tokens)), at: a.now()}
	for _, t := range tokens {
		if len(t.SHA256) == sha256.Size {
			set.byHash[[sha256.Size]byte(t.SHA256)] = t
		}
	}
	a.tokens.Store(set)
	a.mu.Lock()
	defer a.mu.Unlock()
	close(a.loaded)
	a.loaded = make(chan struct{})
	for hash, bindings := range a.bound {
		if t := set.byHash[hash]; t != nil && t.Valid(set.at) {
			continue
		}
		for b := range bindings {
			b.cancel(ErrRevoked)
		}
	}
	return nil
}

// touch writes last_used_at for the tokens used since the last call.
func (a *Authenticator) touch(ctx context.Context) {
	a.mu.Lock()
	hashes := make([][]byte, 0, len(a.used))
	for h := range a.used {
		hashes = append(hashes, h[:])
	}
	clear(a.used)
	a.mu.Unlock()
	if len(hashes) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := a.store.TokensTouch(ctx, hashes, a.now()); err != nil {
		a.logger.Warn("auth: cannot record when tokens were used", "error", err)
	}
}
