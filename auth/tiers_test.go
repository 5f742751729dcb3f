package auth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/internal/testenv"
)

func addTier(t *testing.T, s *Store, id string) {
	t.Helper()
	if _, err := s.db.Write.Exec(`INSERT INTO tiers (id, name, created_at) VALUES (?, ?, 't')`, id, id); err != nil {
		t.Fatal(err)
	}
}

func fieldsOf(err error) map[string]string { return fault.FieldsOf(err) }

func TestTokenTiers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)))
	addTier(t, s, "member")
	addTier(t, s, "reseller")

	secret, tok, err := s.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tok.Tiers, []string{"public"}) {
		t.Fatalf("default tiers: got %v, want public", tok.Tiers)
	}
	p, _ := s.Authenticate(ctx, secret)
	if !p.MayUseTier("public") || p.MayUseTier("member") {
		t.Fatalf("principal %+v: want public only", p)
	}
	_, tok2, err := s.Create(ctx, "shop-2", RoleStorefront, WithTiers([]string{"reseller", "public", "member", "reseller"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"public", "member", "reseller"}; !slices.Equal(tok2.Tiers, want) {
		t.Fatalf("tiers: got %v, want %v (public first, once each)", tok2.Tiers, want)
	}
	merchSecret, merch, err := s.Create(ctx, "merch", RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Authenticate(ctx, merchSecret); merch.Tiers != nil || p.Tiers != nil || !p.MayUseTier("reseller") {
		t.Fatalf("merchandiser: got token tiers %v, principal %+v; want nil and every tier", merch.Tiers, p)
	}

	for _, tt := range []struct {
		name  string
		role  Role
		tiers []string
	}{
		{"unknown tier", RoleStorefront, []string{"public", "gold"}},
		{"no tier", RoleStorefront, []string{}},
		{"a merchandiser's tiers", RoleMerchandiser, []string{"public"}},
		{"an admin's tiers", RoleAdmin, []string{"public"}},
	} {
		if _, _, err := s.Create(ctx, "refused-"+tt.name, tt.role, WithTiers(tt.tiers)); fieldsOf(err)["tiers"] == "" {
			t.Fatalf("%s: got %v, want a validation error on tiers", tt.name, err)
		}
	}

	// SetTiers holds from the next authentication.
	got, err := s.SetTiers(ctx, tok.ID, []string{"member", "public"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Tiers, []string{"public", "member"}) || got.Name != "shop" {
		t.Fatalf("SetTiers: got %+v", got)
	}
	if p, _ := s.Authenticate(ctx, secret); !p.MayUseTier("member") || p.MayUseTier("reseller") {
		t.Fatalf("after SetTiers: principal %+v, want public and member", p)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(list[0].Tiers, []string{"public", "member"}) || list[2].Tiers != nil {
		t.Fatalf("list: got %+v, want shop's new tiers and none for the merchandiser", list)
	}
	for _, tt := range []struct {
		name  string
		id    int64
		tiers []string
		want  error  // or
		field string // a validation error on it
	}{
		{"unknown token", 999, []string{"public"}, ErrNotFound, ""},
		{"merchandiser", merch.ID, []string{"public"}, nil, "tiers"},
		{"nil", tok.ID, nil, nil, "tiers"},
		{"empty", tok.ID, []string{}, nil, "tiers"},
		{"unknown tier", tok.ID, []string{"gold"}, nil, "tiers"},
	} {
		_, err := s.SetTiers(ctx, tt.id, tt.tiers)
		if tt.want != nil && !errors.Is(err, tt.want) || tt.field != "" && fieldsOf(err)[tt.field] == "" {
			t.Fatalf("SetTiers %s: got %v", tt.name, err)
		}
	}
	if p, _ := s.Authenticate(ctx, secret); !slices.Equal(p.Tiers, []string{"public", "member"}) {
		t.Fatalf("refused SetTiers changed the principal: %+v", p)
	}
	if err := s.Revoke(ctx, tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetTiers(ctx, tok2.ID, []string{"public"}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("SetTiers of a revoked token: got %v, want ErrRevoked", err)
	}
}

// A change of tiers by another process (syncd token tiers beside serve)
// reaches this one's copy within a second, like a revocation.
func TestTokenTiersFromAnotherProcess(t *testing.T) {
	ctx := context.Background()
	c := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	path := dbtest.DSN(t)
	serve := newStore(t, testenv.OpenDB(t, path), WithClock(c.Now))
	cli := newStore(t, testenv.OpenDB(t, path))
	addTier(t, cli, "member")
	c.Add(2 * time.Second)
	secret, tok, err := cli.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := serve.Authenticate(ctx, secret); err != nil || !slices.Equal(p.Tiers, []string{"public"}) {
		t.Fatalf("new CLI token: got %+v, %v", p, err)
	}
	if _, err := cli.SetTiers(ctx, tok.ID, []string{"member"}); err != nil {
		t.Fatal(err)
	}
	c.Add(mustCheckAfter) // the next hit checks first
	if p, _ := serve.Authenticate(ctx, secret); !slices.Equal(p.Tiers, []string{"member"}) {
		t.Fatalf("after another process's SetTiers and a reload: got %v, want member", p.Tiers)
	}
}

func TestTokenNamesAndRotation(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)))
	addTier(t, s, "member")
	_, first, err := s.Create(ctx, "shop", RoleStorefront, WithTiers([]string{"public", "member"}))
	if err != nil {
		t.Fatal(err)
	}
	var taken *NameTakenError
	if _, _, err := s.Create(ctx, "shop", RoleStorefront); !errors.As(err, &taken) || !errors.Is(err, ErrNameTaken) ||
		taken.ID != first.ID || taken.Role != RoleStorefront || taken.Revoked {
		t.Fatalf("same name: got %v, want ErrNameTaken naming token %d", err, first.ID)
	}
	if _, _, err := s.Create(ctx, "shop", RoleAdmin, Rotate()); !errors.Is(err, ErrNameTaken) {
		t.Fatalf("rotate into another role: got %v, want ErrNameTaken", err)
	}
	_, second, err := s.Create(ctx, "shop", RoleStorefront, Rotate())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(second.Tiers, []string{"public", "member"}) {
		t.Fatalf("rotated: got tiers %v, want its predecessor's", second.Tiers)
	}
	for _, id := range []int64{first.ID, second.ID} {
		if err := s.Revoke(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Create(ctx, "shop", RoleStorefront); !errors.As(err, &taken) || taken.ID != second.ID || !taken.Revoked {
		t.Fatalf("revoked name: got %v, want ErrNameTaken naming revoked token %d", err, second.ID)
	}
	if _, _, err := s.Create(ctx, "fresh", RoleMerchandiser, Rotate()); err != nil {
		t.Fatalf("rotate onto a free name: got %v, want it created", err)
	}
}

// TestConcurrentSetTiersTakeTurns: two instances on one database setting
// one token's tiers at once, again and again. Each must succeed, and the
// token end with one caller's tiers, never a mix of both.
func TestConcurrentSetTiersTakeTurns(t *testing.T) {
	ctx := context.Background()
	path := dbtest.DSN(t)
	a := newStore(t, testenv.OpenDB(t, path))
	b := newStore(t, testenv.OpenDB(t, path))
	for _, tier := range []string{"member", "reseller", "vip"} {
		addTier(t, a, tier)
	}
	_, tok, err := a.Create(ctx, "shop", RoleStorefront)
	if err != nil {
		t.Fatal(err)
	}
	sets := [][]string{{"public", "member"}, {"reseller", "vip"}}
	for round := range 20 {
		var wg sync.WaitGroup
		for i, s := range []*Store{a, b} {
			wg.Go(func() {
				if _, err := s.SetTiers(ctx, tok.ID, sets[i]); err != nil {
					t.Errorf("round %d, instance %d: %v", round, i, err)
				}
			})
		}
		wg.Wait()
		var got []string
		if err := a.db.Read.Select(&got, `SELECT tier FROM token_tiers WHERE token_id = ? ORDER BY tier`, tok.ID); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, []string{"member", "public"}) && !slices.Equal(got, []string{"reseller", "vip"}) {
			t.Fatalf("round %d: tiers %v, want one caller's set", round, got)
		}
	}
}
