package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/syncd/syncd"
)

// Errors of the Store.
var (
	ErrNotFound     = errors.New("token not found")
	ErrInvalidToken = errors.New("invalid token")
)

// SecretPrefix starts every secret Create makes, so a leaked token is easy
// to recognise (and to search for in code and logs).
const SecretPrefix = "syncd_"

// MaxNameLen is the longest token name, in characters.
const MaxNameLen = 100

// Token is a stored token as operators see it: never its secret or hash.
type Token struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// ValidationError says what is wrong with each field of a token to create.
type ValidationError struct {
	Fields map[string]string // field name -> what is wrong with it
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid token:")
	for i, f := range slices.Sorted(maps.Keys(e.Fields)) {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(" " + f + ": " + e.Fields[f])
	}
	return b.String()
}

// FieldErrors returns what is wrong with each field.
func (e *ValidationError) FieldErrors() map[string]string { return e.Fields }

// Store keeps API tokens in SQLite, hashed, and authenticates secrets from
// an in-memory copy. It is safe for concurrent use.
type Store struct {
	db    *syncd.DB
	log   *slog.Logger
	now   func() time.Time
	admin *[sha256.Size]byte // bootstrap admin token's hash; nil when unset

	mu     sync.RWMutex
	byHash map[[sha256.Size]byte]Principal // live (unrevoked) tokens
	gen    uint64                          // bumped by each change this process makes to byHash

	loadMu     sync.Mutex   // one load from SQLite at a time
	lastLoad   atomic.Int64 // UnixNano of the last load attempt's start
	refreshing atomic.Bool
	refreshWG  sync.WaitGroup
	loads      atomic.Int64 // loads from SQLite, for tests
}

// StoreOption configures a Store.
type StoreOption func(*Store)

// WithAdminToken sets the bootstrap admin token (SYNCD_ADMIN_TOKEN). It is
// an admin, is compared in constant time and is never stored. Empty means
// none.
func WithAdminToken(secret string) StoreOption {
	return func(s *Store) {
		if secret == "" {
			s.admin = nil
			return
		}
		h := sha256.Sum256([]byte(secret))
		s.admin = &h
	}
}

// WithClock replaces time.Now, for tests of the reload schedule.
func WithClock(now func() time.Time) StoreOption { return func(s *Store) { s.now = now } }

// NewStore returns a Store over db with every live token loaded.
func NewStore(ctx context.Context, db *syncd.DB, log *slog.Logger, opts ...StoreOption) (*Store, error) {
	s := &Store{db: db, log: log, now: time.Now, byHash: map[[sha256.Size]byte]Principal{}}
	for _, o := range opts {
		o(s)
	}
	s.lastLoad.Store(s.now().UnixNano())
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Create stores a new token and returns its secret, which exists nowhere
// else: only its SHA-256 is stored, so it cannot be shown again. Names need
// not be unique (a rotated token may keep its predecessor's name).
func (s *Store) Create(ctx context.Context, name string, role Role) (string, Token, error) {
	const q = `INSERT INTO tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?)`

	name = strings.TrimSpace(name)
	if err := validate(name, role); err != nil {
		return "", Token{}, err
	}
	// rand.Text is 26 base32 characters (130 bits): URL-safe and unguessable.
	secret := SecretPrefix + rand.Text()
	h := sha256.Sum256([]byte(secret))
	now := s.now().UTC()
	res, err := s.db.Write.ExecContext(ctx, q, name, role.String(), h[:], syncd.FormatTime(now))
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	p := Principal{TokenID: id, Name: name, Role: role}
	s.mu.Lock()
	s.byHash[h] = p
	s.gen++
	s.mu.Unlock()
	return secret, Token{ID: id, Name: name, Role: role, CreatedAt: now}, nil
}

func validate(name string, role Role) error {
	fields := map[string]string{}
	switch {
	case name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(name) > MaxNameLen:
		fields["name"] = fmt.Sprintf("at most %d characters", MaxNameLen)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		fields["name"] = "must be printable text"
	}
	if !role.Valid() {
		fields["role"] = "must be one of " + roleNames()
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

type tokenRow struct {
	ID        int64          `db:"id"`
	Name      string         `db:"name"`
	Role      string         `db:"role"`
	CreatedAt string         `db:"created_at"`
	RevokedAt sql.NullString `db:"revoked_at"`
}

// List returns every token, revoked ones included (with RevokedAt set), in
// the order they were created.
func (s *Store) List(ctx context.Context) ([]Token, error) {
	const q = `SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY id`

	var rows []tokenRow
	if err := s.db.Read.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]Token, 0, len(rows))
	for _, r := range rows {
		t := Token{ID: r.ID, Name: r.Name}
		var err error
		if t.Role, err = ParseRole(r.Role); err != nil {
			return nil, fmt.Errorf("list tokens: token %d: %w", r.ID, err)
		}
		if t.CreatedAt, err = syncd.ParseTime(r.CreatedAt); err != nil {
			return nil, fmt.Errorf("list tokens: token %d: %w", r.ID, err)
		}
		if r.RevokedAt.Valid {
			at, err := syncd.ParseTime(r.RevokedAt.String)
			if err != nil {
				return nil, fmt.Errorf("list tokens: token %d: %w", r.ID, err)
			}
			t.RevokedAt = &at
		}
		out = append(out, t)
	}
	return out, nil
}

// Revoke stops token id from authenticating, at once in this process and
// within a few seconds in others. The row is kept, for the record.
// Revoking a revoked token changes nothing; an unknown id is ErrNotFound.
func (s *Store) Revoke(ctx context.Context, id int64) error {
	// SQLite counts every row an UPDATE matches, changed or not, so zero
	// rows affected means no such token.
	const q = `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`

	res, err := s.db.Write.ExecContext(ctx, q, syncd.FormatTime(s.now()), id)
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("revoke token %d: %w", id, ErrNotFound)
	}
	s.mu.Lock()
	for h, p := range s.byHash {
		if p.TokenID == id {
			delete(s.byHash, h)
		}
	}
	s.gen++
	s.mu.Unlock()
	return nil
}
