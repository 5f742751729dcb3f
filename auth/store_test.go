package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/internal/testenv"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newStore(t *testing.T, db *syncd.DB, opts ...StoreOption) *Store {
	t.Helper()
	s, err := NewStore(context.Background(), db, discard(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.checkWG.Wait)
	return s
}

func TestCreateAuthenticateListRevoke(t *testing.T) {
	ctx := context.Background()
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)), WithClock(c.Now))

	secret, tok, err := s.Create(ctx, "  shop-backend ", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) != len(SecretPrefix)+26 {
		t.Fatalf("secret: got %q, want %s and 26 characters", secret, SecretPrefix)
	}
	if tok.ID == 0 || tok.Name != "shop-backend" || tok.Role != RoleStorefront || !tok.CreatedAt.Equal(c.Now()) || tok.RevokedAt != nil {
		t.Fatalf("token: got %+v, want id, trimmed name, storefront, created now", tok)
	}
	secret2, tok2, err := s.Create(ctx, "ops", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if secret2 == secret {
		t.Fatal("two tokens got the same secret")
	}

	p, err := s.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Principal{TokenID: tok.ID, Name: "shop-backend", Role: RoleStorefront, Tiers: []string{"public"}}); !reflect.DeepEqual(p, want) {
		t.Fatalf("principal: got %+v, want %+v", p, want)
	}
	if _, err := s.Authenticate(ctx, secret+"x"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("wrong secret: got %v, want ErrInvalidToken", err)
	}

	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != tok.ID || list[1].ID != tok2.ID || list[1].Role != RoleAdmin {
		t.Fatalf("list: got %+v, want shop-backend then ops", list)
	}

	c.Add(time.Minute)
	if err := s.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("revoked token: got %v, want ErrInvalidToken", err)
	}
	if _, err := s.Authenticate(ctx, secret2); err != nil {
		t.Fatalf("other token after a revoke: got %v, want it accepted", err)
	}
	list, err = s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if list[0].RevokedAt == nil || !list[0].RevokedAt.Equal(c.Now()) || list[1].RevokedAt != nil {
		t.Fatalf("list after revoke: got %+v, want the first revoked now", list)
	}

	c.Add(time.Minute)
	if err := s.Revoke(ctx, tok.ID); err != nil {
		t.Fatalf("revoking again: got %v, want nil", err)
	}
	if list, _ := s.List(ctx); !list[0].RevokedAt.Equal(c.Now().Add(-time.Minute)) {
		t.Fatalf("revoking again moved revoked_at to %v", list[0].RevokedAt)
	}
	if err := s.Revoke(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: got %v, want ErrNotFound", err)
	}
}

func TestStoresHashNotSecret(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t, dbtest.DSN(t))
	s := newStore(t, db)
	secret, tok, err := s.Create(ctx, "shop", RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}
	var row struct {
		Name string `db:"name"`
		Role string `db:"role"`
		Hash []byte `db:"hash"`
	}
	if err := db.Read.GetContext(ctx, &row, `SELECT name, role, hash FROM tokens WHERE id = ?`, tok.ID); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(secret))
	if !bytes.Equal(row.Hash, want[:]) {
		t.Fatalf("hash: got %x, want sha256 of the secret %x", row.Hash, want)
	}
	if row.Name != "shop" || row.Role != "merchandiser" {
		t.Fatalf("row: got %s/%s, want shop/merchandiser", row.Name, row.Role)
	}
	// Every column of every row, as the database hands them out.
	rows, err := db.Read.QueryxContext(ctx, `SELECT * FROM tokens`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		cols, err := rows.SliceScan()
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if strings.Contains(fmt.Sprint(c), secret) || bytes.Contains(asBytes(c), []byte(secret)) {
				t.Fatalf("the secret is stored in clear in column %d: %v", i, c)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestCreateValidates(t *testing.T) {
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)))
	tests := []struct {
		name   string
		in     string
		role   Role
		fields []string
	}{
		{"empty name", "", RoleAdmin, []string{"name"}},
		{"blank name", "   ", RoleAdmin, []string{"name"}},
		{"long name", strings.Repeat("é", MaxNameLen+1), RoleAdmin, []string{"name"}},
		{"the bootstrap admin's name", "bootstrap-admin", RoleStorefront, []string{"name"}},
		{"control character", "shop\nadmin", RoleAdmin, []string{"name"}},
		{"right-to-left override", "shop\u202egnp", RoleStorefront, []string{"name"}},
		{"no role", "shop", 0, []string{"role"}},
		{"both", "", Role(7), []string{"name", "role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Create(context.Background(), tt.in, tt.role)
			got := fault.FieldsOf(err)
			if got == nil {
				t.Fatalf("got %v, want a validation error", err)
			}
			if len(got) != len(tt.fields) {
				t.Fatalf("fields: got %v, want %v", got, tt.fields)
			}
			for _, f := range tt.fields {
				if got[f] == "" {
					t.Fatalf("fields: got %v, want %s named", got, f)
				}
			}
		})
	}
	if _, _, err := s.Create(context.Background(), strings.Repeat("é", MaxNameLen), RoleAdmin); err != nil {
		t.Fatalf("name of exactly %d characters: got %v, want it accepted", MaxNameLen, err)
	}
	if list, _ := s.List(context.Background()); len(list) != 1 {
		t.Fatalf("stored: got %d tokens, want 1 (no invalid one)", len(list))
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range roles {
		got, err := ParseRole(r.String())
		if err != nil || got != r {
			t.Fatalf("ParseRole(%q): got %v, %v, want %v", r.String(), got, err, r)
		}
	}
	for _, s := range []string{"", "Admin", "root", "none"} {
		if got, err := ParseRole(s); err == nil || got != 0 {
			t.Fatalf("ParseRole(%q): got %v, %v, want the zero Role and an error", s, got, err)
		}
	}
	if !(RoleStorefront < RoleMerchandiser && RoleMerchandiser < RoleAdmin) {
		t.Fatal("roles are not ordered storefront < merchandiser < admin")
	}
}

func TestBootstrapAdmin(t *testing.T) {
	ctx := context.Background()
	db := testenv.OpenDB(t, dbtest.DSN(t))
	s := newStore(t, db, WithAdminToken("bootstrap-secret"))
	p, err := s.Authenticate(ctx, "bootstrap-secret")
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != RoleAdmin || p.TokenID != 0 {
		t.Fatalf("bootstrap: got %+v, want an unstored admin", p)
	}
	if list, _ := s.List(ctx); len(list) != 0 {
		t.Fatalf("the bootstrap token is stored: %+v", list)
	}
	if _, err := newStore(t, db).Authenticate(ctx, "bootstrap-secret"); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("without WithAdminToken: got %v, want ErrInvalidToken", err)
	}
	if _, err := newStore(t, db, WithAdminToken("")).Authenticate(ctx, ""); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("empty secret with an empty admin token: got %v, want ErrInvalidToken", err)
	}
}

// TestTokenFromAnotherProcess is `syncd token create` and `revoke` beside a
// running `syncd serve`: a second Store on the same file.
func TestTokenFromAnotherProcess(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	server := newStore(t, testenv.OpenDB(t, path), WithClock(c.Now))
	cli := newStore(t, testenv.OpenDB(t, path))

	c.Add(2 * time.Second)
	secret, tok, err := cli.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	p, err := server.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("token made by another process: got %v, want it accepted after a reload", err)
	}
	if p.TokenID != tok.ID || p.Role != RoleStorefront {
		t.Fatalf("principal: got %+v", p)
	}
	loads, checks := server.loads.Load(), server.checks.Load()

	// A revoke elsewhere: the copy still holds the token while its last
	// check is younger than checkAfter, and a hit does not touch the
	// database.
	if err := cli.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Authenticate(ctx, secret); err != nil {
		t.Fatalf("within checkAfter of the last check: got %v, want the cached answer", err)
	}
	if got := server.checks.Load(); got != checks {
		t.Fatalf("a hit on a fresh copy checked the database: %d checks, want %d", got, checks)
	}
	// Past checkAfter a hit starts a check behind it (and may still pass);
	// the check sees the version moved and reloads.
	c.Add(checkAfter)
	server.Authenticate(ctx, secret)
	server.checkWG.Wait()
	if _, err := server.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("revoked elsewhere, after the check: got %v, want ErrInvalidToken", err)
	}
	if got := server.loads.Load(); got != loads+1 {
		t.Fatalf("loads: got %d, want %d (one, for the moved version)", got, loads+1)
	}
	// A check that finds the version unchanged loads nothing.
	c.Add(checkAfter)
	server.Authenticate(ctx, secret)
	server.checkWG.Wait()
	if got := server.loads.Load(); got != loads+1 {
		t.Fatalf("loads after an unchanged version: got %d, want %d", got, loads+1)
	}
}

// TestRevokedOnAnIdleInstance: an instance that served nothing for a
// while checks before it answers, so a token revoked elsewhere meanwhile
// fails at its first use, not after it.
func TestRevokedOnAnIdleInstance(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	server := newStore(t, testenv.OpenDB(t, path), WithClock(c.Now))
	cli := newStore(t, testenv.OpenDB(t, path))
	secret, tok, err := cli.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	c.Add(2 * time.Second)
	if _, err := server.Authenticate(ctx, secret); err != nil {
		t.Fatalf("token made by another process: %v", err)
	}
	if err := cli.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	c.Add(mustCheckAfter)
	if _, err := server.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("first use after an idle %v: got %v, want ErrInvalidToken", mustCheckAfter, err)
	}
	if _, err := server.Recheck(ctx, Digest(secret)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("Recheck: got %v, want ErrInvalidToken", err)
	}
}

func TestUnknownTokensReloadAtMostOncePerSecond(t *testing.T) {
	ctx := context.Background()
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)), WithClock(c.Now))
	start := s.loads.Load()

	// Ten simulated seconds of bad tokens, 100 a second.
	for i := range 1000 {
		if _, err := s.Authenticate(ctx, fmt.Sprintf("%sbad%04d", SecretPrefix, i)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("bad token: got %v, want ErrInvalidToken", err)
		}
		c.Add(10 * time.Millisecond)
	}
	if got := s.loads.Load() - start; got > 10 {
		t.Fatalf("loads for 10 s of bad tokens: got %d, want at most 10", got)
	}
	// Secrets not of Create's shape never reach SQLite.
	c.Add(time.Hour)
	before := s.loads.Load()
	for range 100 {
		s.Authenticate(ctx, "garbage")
	}
	if got := s.loads.Load(); got != before {
		t.Fatalf("secrets without the prefix loaded %d times, want 0", got-before)
	}
}

// TestConcurrentAuthenticate runs hits, misses, creates and revokes at once
// with the real clock; run it with -race.
func TestConcurrentAuthenticate(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	s := newStore(t, testenv.OpenDB(t, path))
	other := newStore(t, testenv.OpenDB(t, path))
	good, _, err := s.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	loads := s.loads.Load()

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				if _, err := s.Authenticate(ctx, good); err != nil {
					errs <- fmt.Errorf("good token: %w", err)
					return
				}
				if _, err := s.Authenticate(ctx, fmt.Sprintf("%sbad-%d-%d", SecretPrefix, g, i)); !errors.Is(err, ErrInvalidToken) {
					errs <- fmt.Errorf("bad token: got %v", err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			secret, tok, err := s.Create(ctx, "churn", RoleMerchandiser, Rotate())
			if err != nil {
				errs <- err
				return
			}
			if _, err := s.Authenticate(ctx, secret); err != nil {
				errs <- fmt.Errorf("just created: %w", err)
				return
			}
			if err := s.Revoke(ctx, tok.ID); err != nil {
				errs <- err
				return
			}
			if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidToken) {
				errs <- fmt.Errorf("just revoked: got %v", err)
				return
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			if _, _, err := other.Create(ctx, "elsewhere", RoleStorefront, Rotate()); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s.checkWG.Wait()
	// 3,200 bad tokens: one load a second at most, plus those of checks
	// that found the version moved (each create and revoke moves it).
	elapsed := time.Since(start)
	if got, limit := s.loads.Load()-loads, int64(elapsed/time.Second)+int64(elapsed/checkAfter)+3; got > limit {
		t.Fatalf("loads: got %d, want at most %d", got, limit)
	}
}

// TestAuthenticateWhileTokensChange: Authenticate reads the tokens
// without a lock while this process creates, regrants and revokes others
// (each change serves a new copy; run with -race).
func TestAuthenticateWhileTokensChange(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)))
	good, _, err := s.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if p, err := s.Authenticate(ctx, good); err != nil || p.Name != "shop" {
					errs <- fmt.Errorf("good token: got %+v, %v", p, err)
					return
				}
			}
		})
	}
	for range 20 {
		secret, tok, err := s.Create(ctx, "churn", RoleStorefront, Rotate())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetTiers(ctx, tok.ID, []string{PublicTier}); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("just revoked: got %v, want ErrInvalidToken", err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// asBytes is a scanned column's bytes: text and blobs as they are.
func asBytes(v any) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}
