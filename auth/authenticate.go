package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"
)

const (
	// missReloadEvery is how often an unknown secret may reload the tokens
	// from SQLite: often enough that a token just made by `syncd token
	// create` works within a second, rarely enough that a flood of bad
	// tokens costs one query a second.
	missReloadEvery = time.Second
	// refreshAfter is the age past which a successful authentication also
	// reloads the tokens, in the background, so a token revoked by another
	// process stops working within seconds.
	refreshAfter = 5 * time.Second
	// refreshTimeout bounds a background reload.
	refreshTimeout = 10 * time.Second
)

// bootstrapAdmin is the Principal of the SYNCD_ADMIN_TOKEN.
var bootstrapAdmin = Principal{Name: "bootstrap-admin", Role: RoleAdmin}

// Authenticate resolves a bearer secret to its Principal, or
// ErrInvalidToken. It reads memory only, except that a secret it does not
// know may reload the tokens from SQLite (at most once a second) and a
// known one whose copy is older than a few seconds starts a background
// reload. Any other error means the tokens could not be reloaded.
func (s *Store) Authenticate(ctx context.Context, secret string) (Principal, error) {
	h := sha256.Sum256([]byte(secret))
	if s.admin != nil && subtle.ConstantTimeCompare(h[:], s.admin[:]) == 1 {
		return bootstrapAdmin, nil
	}
	// Only secrets of Create's shape can be stored: anything else is refused
	// without a reload. The map is keyed by hash, so its lookup time says
	// nothing useful about any secret.
	if !strings.HasPrefix(secret, SecretPrefix) {
		return Principal{}, ErrInvalidToken
	}
	if p, ok := s.lookup(h); ok {
		s.refreshIfOld()
		return p, nil
	}
	if err := s.reload(ctx, missReloadEvery); err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	// Whether or not this call reloaded, another one may just have.
	if p, ok := s.lookup(h); ok {
		return p, nil
	}
	return Principal{}, ErrInvalidToken
}

// Digest is the SHA-256 of a secret: what a session keeps instead of the
// secret itself, to check later that the token still authenticates.
func Digest(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// Recheck resolves the digest of a secret that Authenticate accepted
// earlier to its Principal now, or ErrInvalidToken once the token is
// revoked (or, for the bootstrap admin, no longer configured). It reads
// memory only and refreshes an old copy in the background as
// Authenticate does, so a revocation by another process is seen within
// seconds. For sessions (the console's), which must not keep secrets.
func (s *Store) Recheck(digest [sha256.Size]byte) (Principal, error) {
	if s.admin != nil && subtle.ConstantTimeCompare(digest[:], s.admin[:]) == 1 {
		return bootstrapAdmin, nil
	}
	if p, ok := s.lookup(digest); ok {
		s.refreshIfOld()
		return p, nil
	}
	return Principal{}, ErrInvalidToken
}

func (s *Store) lookup(h [sha256.Size]byte) (Principal, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.byHash[h]
	return p, ok
}

func (s *Store) sinceLoad() time.Duration {
	return s.now().Sub(time.Unix(0, s.lastLoad.Load()))
}

// refreshIfOld starts a background reload when the copy is older than
// refreshAfter and no reload is running; the caller does not wait.
func (s *Store) refreshIfOld() {
	if s.sinceLoad() < refreshAfter || !s.refreshing.CompareAndSwap(false, true) {
		return
	}
	s.refreshWG.Add(1)
	go func() {
		defer s.refreshWG.Done()
		defer s.refreshing.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		defer cancel()
		if err := s.reload(ctx, refreshAfter); err != nil {
			s.log.Warn("refresh tokens failed; authenticating from the previous copy", "err", err)
		}
	}()
}

// reload loads the tokens unless a load started less than minAge ago.
// Callers that arrive during a load wait for it, then find it recent.
func (s *Store) reload(ctx context.Context, minAge time.Duration) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.sinceLoad() < minAge {
		return nil
	}
	// Recorded before the query, so a failing database is retried no more
	// often than a working one.
	s.lastLoad.Store(s.now().UnixNano())
	return s.load(ctx)
}

// load replaces the in-memory tokens with SQLite's live ones.
func (s *Store) load(ctx context.Context) error {
	s.loads.Add(1)
	s.mu.RLock()
	gen := s.gen
	s.mu.RUnlock()

	rows, err := liveTokens(ctx, s.db.Read)
	if err != nil {
		return err
	}
	m := make(map[[sha256.Size]byte]Principal, len(rows))
	for _, r := range rows {
		if len(r.Hash) != sha256.Size {
			return fmt.Errorf("load tokens: token %d: hash is %d bytes, want %d", r.ID, len(r.Hash), sha256.Size)
		}
		h := [sha256.Size]byte(r.Hash)
		p, seen := m[h] // a token has a row per tier
		if !seen {
			role, err := ParseRole(r.Role)
			if err != nil {
				return fmt.Errorf("load tokens: token %d: %w", r.ID, err)
			}
			p = Principal{TokenID: r.ID, Name: r.Name, Role: role}
			if role == RoleStorefront {
				p.Tiers = []string{} // none granted (none can be made): no tier
			}
		}
		if r.Tier != "" && p.Role == RoleStorefront {
			p.Tiers = append(p.Tiers, r.Tier)
		}
		m[h] = p
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	// A Create or Revoke of ours that landed during the query may be missing
	// from what we read; the map already has it, so keep the map. Changes
	// from other processes come with the next reload.
	if s.gen != gen {
		return nil
	}
	s.byHash = m
	return nil
}
