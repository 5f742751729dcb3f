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
	// from the database: often enough that a token just made by `syncd
	// token create` works within a second, rarely enough that a flood of
	// bad tokens costs one query a second.
	missReloadEvery = time.Second
	// checkAfter is the age of the last check of the tokens' version past
	// which a hit starts another in the background, and mustCheckAfter
	// the age past which a hit waits for one. A copy is answered from only
	// while its check started less than mustCheckAfter ago, so a token
	// revoked on another instance stops working there within a second,
	// however busy or idle it is; under traffic the background checks keep
	// the copy younger than that and no request waits.
	checkAfter     = 400 * time.Millisecond
	mustCheckAfter = 900 * time.Millisecond
	// checkTimeout bounds a background check.
	checkTimeout = 10 * time.Second
)

// bootstrapAdmin is the Principal of the SYNCD_ADMIN_TOKEN.
var bootstrapAdmin = Principal{Name: "bootstrap-admin", Role: RoleAdmin}

// Authenticate resolves a bearer secret to its Principal, or
// ErrInvalidToken. It reads memory, kept within a second of the database
// (see fresh); a secret it does not know may also reload the tokens (at
// most once a second). Any other error means the tokens could not be
// reloaded.
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
	s.fresh(ctx)
	if p, ok := s.lookup(h); ok {
		return p, nil
	}
	if _, err := s.reload(ctx, missReloadEvery); err != nil {
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
// memory kept fresh as Authenticate's is, so a revocation on another
// instance is seen within a second. Any other error means the tokens
// could not be checked. For sessions (the console's), which must not keep
// secrets.
func (s *Store) Recheck(ctx context.Context, digest [sha256.Size]byte) (Principal, error) {
	if s.admin != nil && subtle.ConstantTimeCompare(digest[:], s.admin[:]) == 1 {
		return bootstrapAdmin, nil
	}
	s.fresh(ctx)
	if p, ok := s.lookup(digest); ok {
		return p, nil
	}
	// A token made on another instance since this copy was loaded (signed
	// in there, its session now used here) moved the version. Digests come
	// from sessions, not from clients, so a miss is rare enough to check
	// every time.
	if err := s.check(ctx, 0); err != nil {
		return Principal{}, fmt.Errorf("recheck: %w", err)
	}
	if p, ok := s.lookup(digest); ok {
		return p, nil
	}
	return Principal{}, ErrInvalidToken
}

func (s *Store) lookup(h [sha256.Size]byte) (Principal, bool) {
	p, ok := (*s.byHash.Load())[h]
	return p, ok
}

func since(now time.Time, unixNano int64) time.Duration {
	return now.Sub(time.Unix(0, unixNano))
}

// fresh keeps the copy within mustCheckAfter of the database: past
// checkAfter it starts a check of the tokens' version in the background,
// past mustCheckAfter (an instance idle for a moment) it waits for one.
// A check that fails is logged and the previous copy serves: a database
// that cannot answer should not also stop every API call.
func (s *Store) fresh(ctx context.Context) {
	age := since(s.now(), s.lastCheck.Load())
	switch {
	case age >= mustCheckAfter:
		if err := s.check(ctx, mustCheckAfter); err != nil {
			s.log.Warn("check tokens failed; authenticating from the previous copy", "err", err)
		}
	case age >= checkAfter && s.checking.CompareAndSwap(false, true):
		s.checkWG.Add(1)
		go func() {
			defer s.checkWG.Done()
			defer s.checking.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
			defer cancel()
			if err := s.check(ctx, checkAfter); err != nil {
				s.log.Warn("check tokens failed; authenticating from the previous copy", "err", err)
			}
		}()
	}
}

// check reads the tokens' version, bumped by every change of tokens in the
// same transaction, and reloads the tokens when it moved; unless a check
// started less than minAge ago. Callers that arrive during a check wait
// for it, then find it recent.
func (s *Store) check(ctx context.Context, minAge time.Duration) error {
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	start := s.now()
	if since(start, s.lastCheck.Load()) < minAge {
		return nil
	}
	// Recorded before the query, so a failing database is retried no more
	// often than a working one is checked.
	s.lastCheck.Store(start.UnixNano())
	s.checks.Add(1)
	v, err := tokensVersion(ctx, s.db.Read)
	if err != nil {
		return err
	}
	if v == s.version.Load() {
		return nil
	}
	// The version is read before the tokens: a change committed between
	// the two is in the copy and moves the version again, costing one more
	// load, never a missed change.
	applied, err := s.reload(ctx, 0)
	if err != nil || !applied {
		return err
	}
	s.version.Store(v)
	return nil
}

// reload loads the tokens unless a load started less than minAge ago, and
// reports whether the copy is now what it read. Callers that arrive
// during a load wait for it, then find it recent.
func (s *Store) reload(ctx context.Context, minAge time.Duration) (bool, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	now := s.now()
	if minAge > 0 && since(now, s.lastLoad.Load()) < minAge {
		return false, nil
	}
	// Recorded before the query, so a failing database is retried no more
	// often than a working one.
	s.lastLoad.Store(now.UnixNano())
	return s.load(ctx)
}

// load replaces the in-memory tokens with the database's live ones, and
// reports whether it did (see the end).
func (s *Store) load(ctx context.Context) (bool, error) {
	s.loads.Add(1)
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()

	rows, err := liveTokens(ctx, s.db.Read)
	if err != nil {
		return false, err
	}
	m := make(tokenMap, len(rows))
	for _, r := range rows {
		if len(r.Hash) != sha256.Size {
			return false, fmt.Errorf("load tokens: token %d: hash is %d bytes, want %d", r.ID, len(r.Hash), sha256.Size)
		}
		h := [sha256.Size]byte(r.Hash)
		p, seen := m[h] // a token has a row per tier
		if !seen {
			role, err := ParseRole(r.Role)
			if err != nil {
				return false, fmt.Errorf("load tokens: token %d: %w", r.ID, err)
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
	// from other processes come with the next reload (the change of ours
	// moved the version, so the next check reloads).
	if s.gen != gen {
		return false, nil
	}
	s.byHash.Store(&m)
	return true, nil
}
