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
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/printable"
)

// Errors of the Store. A token to create or change that is refused for
// its fields is a *fault.Error of code fault.Validation naming them.
var (
	ErrNotFound = fault.New(fault.TokenNotFound, "token not found")
	// ErrInvalidToken: the secret is no token's. It has no code: the
	// caller answers it (401), it never reaches a client as it is.
	ErrInvalidToken = errors.New("invalid token")
	// ErrNameTaken refuses a second token under a name without Rotate: a
	// storefront's orders belong to its name, so a new token under it
	// would see them. It comes as a *NameTakenError.
	ErrNameTaken = fault.New(fault.TokenNameTaken, "token name taken")
	// ErrRevoked refuses a change to a revoked token.
	ErrRevoked = fault.New(fault.TokenRevoked, "token revoked")
)

// SecretPrefix starts every secret Create makes, so a leaked token is easy
// to recognise (and to search for in code and logs).
const SecretPrefix = "syncd_"

// MaxNameLen is the longest token name, in characters.
const MaxNameLen = 100

// Token is a stored token as operators see it: never its secret or hash.
type Token struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Tiers are the price tiers a storefront token may use, public first;
	// nil (JSON null) for merchandisers and admins, who use every tier.
	Tiers     []string   `json:"tiers"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// NameTakenError is ErrNameTaken with the token that holds the name.
type NameTakenError struct {
	Name    string
	ID      int64 // the newest token with the name
	Role    Role
	Revoked bool
	Rotate  bool // the caller asked to rotate: the roles differ
}

func (e *NameTakenError) Error() string {
	state := "live"
	if e.Revoked {
		state = "revoked"
	}
	if e.Rotate {
		return fmt.Sprintf("token name %q is token %d's, a %s token (%s); a rotated token keeps the role of the one it replaces",
			e.Name, e.ID, e.Role, state)
	}
	return fmt.Sprintf("token name %q is taken by token %d (%s, %s); a storefront's orders belong to its name, "+
		"so rotate to make another token for the same party, or choose another name", e.Name, e.ID, e.Role, state)
}

func (e *NameTakenError) Unwrap() error { return ErrNameTaken }

// invalid refuses a token to create or change for its fields.
func invalid(fields map[string]string) error { return fault.Invalid("invalid token", fields) }

// Store keeps API tokens in SQLite, hashed, and authenticates secrets from
// an in-memory copy. It is safe for concurrent use.
type Store struct {
	db    *syncd.DB
	log   *slog.Logger
	now   func() time.Time
	admin *[sha256.Size]byte // bootstrap admin token's hash; nil when unset

	maxSessions int // MaxSessions; tests lower it

	// byHash is the live (unrevoked) tokens: a map never changed once
	// stored, so Authenticate reads it without a lock (a read lock is a
	// write to memory every request shares, on the storefront's read
	// path). Changes copy it under mu, which also guards gen.
	byHash atomic.Pointer[tokenMap]
	mu     sync.Mutex
	gen    uint64 // bumped by each change this process makes to byHash

	loadMu   sync.Mutex   // one load from the database at a time
	lastLoad atomic.Int64 // UnixNano of the last load attempt's start
	loads    atomic.Int64 // loads from the database, for tests

	checkMu   sync.Mutex   // one check of the version at a time
	lastCheck atomic.Int64 // UnixNano of the last check's start
	version   atomic.Int64 // the tokens' version the copy is of
	checking  atomic.Bool  // a background check is running
	checkWG   sync.WaitGroup
	checks    atomic.Int64 // checks of the version, for tests
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
	s := &Store{db: db, log: log, now: time.Now, maxSessions: MaxSessions}
	s.byHash.Store(&tokenMap{})
	for _, o := range opts {
		o(s)
	}
	now := s.now().UnixNano()
	s.lastLoad.Store(now)
	s.lastCheck.Store(now)
	// The version first, as check reads them.
	v, err := tokensVersion(ctx, s.db.Read)
	if err != nil {
		return nil, err
	}
	s.version.Store(v)
	if _, err := s.load(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// tokensVersion is the tokens' version: a counter in meta that every
// change of tokens or their tiers moves in its transaction, so instances
// learn of a change by reading one row. 0 before the first change.
func tokensVersion(ctx context.Context, q sqlx.QueryerContext) (int64, error) {
	const sel = `SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'tokens_version'`
	var v int64
	err := sqlx.GetContext(ctx, q, &v, sel)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read tokens version: %w", err)
	}
	return v, nil
}

// bumpVersion moves the tokens' version, inside the transaction of a
// change, so the change and the news of it commit together.
func bumpVersion(ctx context.Context, tx *sqlx.Tx) error {
	const q = `INSERT INTO meta (key, value) VALUES ('tokens_version', '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)`
	if _, err := tx.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("move tokens version: %w", err)
	}
	return nil
}

// CreateOption refines the token Create makes.
type CreateOption func(*createSpec)

type createSpec struct {
	tiers  []string
	rotate bool
}

// WithTiers sets the price tiers a storefront token may use (each must
// exist). Without it a storefront gets public, or when rotating the tiers
// of the token it replaces. Merchandisers and admins use every tier and
// refuse it.
func WithTiers(tiers []string) CreateOption {
	return func(c *createSpec) { c.tiers = tiers }
}

// Rotate lets Create use a name that tokens already have: the new token is
// the same party as they are (for a storefront, it sees their orders) and
// must have their role. Revoking the old token is left to the caller.
func Rotate() CreateOption { return func(c *createSpec) { c.rotate = true } }

// Create stores a new token and returns its secret, which exists nowhere
// else: only its SHA-256 is stored, so it cannot be shown again. A name is
// one party: a name any token has had, revoked or not, is refused with a
// *NameTakenError unless the call asks to Rotate.
func (s *Store) Create(ctx context.Context, name string, role Role, opts ...CreateOption) (string, Token, error) {
	const q = `INSERT INTO tokens (name, role, hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`

	var spec createSpec
	for _, o := range opts {
		o(&spec)
	}
	name = strings.TrimSpace(name)
	if err := validate(name, role, spec.tiers); err != nil {
		return "", Token{}, err
	}
	// rand.Text is 26 base32 characters (130 bits): URL-safe and unguessable.
	secret := SecretPrefix + rand.Text()
	h := sha256.Sum256([]byte(secret))
	now := s.now().UTC()
	tok := Token{Name: name, Role: role, CreatedAt: now}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Inside the write transaction, under the name's lock, so two
		// creations of one name cannot both find it free.
		if err := syncd.LockTx(ctx, tx, "token name "+name); err != nil {
			return err
		}
		prev, taken, err := newestNamed(ctx, tx, name)
		if err != nil {
			return err
		}
		if taken && (!spec.rotate || prev.Role != role.String()) {
			r, _ := ParseRole(prev.Role)
			return &NameTakenError{Name: name, ID: prev.ID, Role: r, Revoked: prev.RevokedAt.Valid, Rotate: spec.rotate}
		}
		if role == RoleStorefront {
			tok.Tiers = spec.tiers
			if tok.Tiers == nil && taken {
				if tok.Tiers, err = tiersOf(ctx, tx, prev.ID); err != nil {
					return err
				}
			}
			if len(tok.Tiers) == 0 {
				tok.Tiers = []string{PublicTier}
			}
			if tok.Tiers, err = checkTiers(ctx, tx, tok.Tiers); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, q, name, role.String(), h[:], syncd.FormatTime(now)).Scan(&tok.ID); err != nil {
			return err
		}
		if err := grantTiers(ctx, tx, tok.ID, tok.Tiers); err != nil {
			return err
		}
		return bumpVersion(ctx, tx)
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	p := Principal{TokenID: tok.ID, Name: name, Role: role, Tiers: tok.Tiers}
	s.change(func(m tokenMap) { m[h] = p })
	return secret, tok, nil
}

// inTx runs fn in a write transaction (the writer's one connection, begun
// IMMEDIATE: checks inside it see no concurrent write).
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// newestNamed is the newest token ever made under name, revoked or not,
// and whether there is one.
func newestNamed(ctx context.Context, tx *sqlx.Tx, name string) (tokenRow, bool, error) {
	const q = `SELECT id, name, role, created_at, revoked_at FROM tokens WHERE name = ? ORDER BY id DESC LIMIT 1`

	var r tokenRow
	err := tx.GetContext(ctx, &r, q, name)
	if errors.Is(err, sql.ErrNoRows) {
		return tokenRow{}, false, nil
	}
	return r, err == nil, err
}

func validate(name string, role Role, tiers []string) error {
	fields := map[string]string{}
	switch {
	case name == "":
		fields["name"] = "required"
	case utf8.RuneCountInString(name) > MaxNameLen:
		fields["name"] = fmt.Sprintf("at most %d characters", MaxNameLen)
	case printable.Line(name) != nil:
		// The same test as the API's, so `syncd token create` cannot name
		// a storefront with a right-to-left override either.
		fields["name"] = printable.Line(name).Error()
	case name == bootstrapAdmin.Name:
		// Orders the bootstrap admin places are under this name.
		fields["name"] = "reserved for SYNCD_ADMIN_TOKEN"
	}
	if !role.Valid() {
		fields["role"] = "must be one of " + roleNames()
	}
	if msg := tierProblem(role, tiers, false); msg != "" {
		fields["tiers"] = msg
	}
	if len(fields) > 0 {
		return invalid(fields)
	}
	return nil
}

// liveRow is a live token with one of its tiers ("" if it has none).
type liveRow struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
	Role string `db:"role"`
	Hash []byte `db:"hash"`
	Tier string `db:"tier"`
}

// liveTokens reads every token not revoked, a row per tier, public first.
func liveTokens(ctx context.Context, q sqlx.QueryerContext) ([]liveRow, error) {
	// One statement, so a token and its tiers come from one state of the
	// database: a storefront token is never seen without its tiers.
	const sel = `SELECT t.id, t.name, t.role, t.hash, coalesce(tt.tier, '') AS tier
		FROM tokens t LEFT JOIN token_tiers tt ON tt.token_id = t.id
		WHERE t.revoked_at IS NULL
		ORDER BY t.id, tt.tier != 'public', tt.tier`
	var rows []liveRow
	if err := sqlx.SelectContext(ctx, q, &rows, sel); err != nil {
		return nil, fmt.Errorf("load tokens: %w", err)
	}
	return rows, nil
}

type tokenRow struct {
	ID        int64          `db:"id"`
	Name      string         `db:"name"`
	Role      string         `db:"role"`
	CreatedAt string         `db:"created_at"`
	RevokedAt sql.NullString `db:"revoked_at"`
}

// List returns every token, revoked ones included (with RevokedAt set), in
// the order they were created, each storefront's with its tiers.
func (s *Store) List(ctx context.Context) ([]Token, error) {
	// One statement, so a token and its tiers are read from one state of
	// the database.
	const q = `SELECT t.id, t.name, t.role, t.created_at, t.revoked_at, coalesce(tt.tier, '') AS tier
		FROM tokens t LEFT JOIN token_tiers tt ON tt.token_id = t.id
		ORDER BY t.id, tt.tier != 'public', tt.tier`

	var rows []struct {
		tokenRow
		Tier string `db:"tier"`
	}
	if err := s.db.Read.SelectContext(ctx, &rows, q); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	var out []Token
	for _, r := range rows {
		if n := len(out); n > 0 && out[n-1].ID == r.ID {
			out[n-1].Tiers = append(out[n-1].Tiers, r.Tier)
			continue
		}
		t, err := r.token()
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		if t.Role == RoleStorefront {
			t.Tiers = []string{}
			if r.Tier != "" {
				t.Tiers = append(t.Tiers, r.Tier)
			}
		}
		out = append(out, t)
	}
	if out == nil {
		out = []Token{}
	}
	return out, nil
}

// token is the row as a Token, without its tiers.
func (r tokenRow) token() (Token, error) {
	t := Token{ID: r.ID, Name: r.Name}
	var err error
	if t.Role, err = ParseRole(r.Role); err != nil {
		return Token{}, fmt.Errorf("token %d: %w", r.ID, err)
	}
	if t.CreatedAt, err = syncd.ParseTime(r.CreatedAt); err != nil {
		return Token{}, fmt.Errorf("token %d: %w", r.ID, err)
	}
	if r.RevokedAt.Valid {
		at, err := syncd.ParseTime(r.RevokedAt.String)
		if err != nil {
			return Token{}, fmt.Errorf("token %d: %w", r.ID, err)
		}
		t.RevokedAt = &at
	}
	return t, nil
}

// Revoke stops token id from authenticating, at once in this process and
// within a second in others, and ends its console sessions everywhere.
// The row is kept, for the record. Revoking a revoked token changes
// nothing; an unknown id is ErrNotFound.
func (s *Store) Revoke(ctx context.Context, id int64) error {
	// SQLite counts every row an UPDATE matches, changed or not, so zero
	// rows affected means no such token; PostgreSQL does the same.
	const (
		revoke   = `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`
		sessions = `DELETE FROM console_sessions WHERE token_hash IN (SELECT hash FROM tokens WHERE id = ?)`
	)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, revoke, syncd.FormatTime(s.now()), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, sessions, id); err != nil {
			return err
		}
		return bumpVersion(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	s.change(func(m tokenMap) {
		for h, p := range m {
			if p.TokenID == id {
				delete(m, h)
			}
		}
	})
	return nil
}

// tokenMap is the live tokens' principals by the SHA-256 of their secrets.
type tokenMap = map[[sha256.Size]byte]Principal

// change applies a change of this process's to a copy of the tokens and
// serves the copy.
func (s *Store) change(fn func(tokenMap)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(*s.byHash.Load())
	fn(m)
	s.byHash.Store(&m)
	s.gen++
}
