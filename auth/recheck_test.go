package auth

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testenv"
)

// A session keeps a token's digest; Recheck follows the token: its
// principal while it lives, ErrInvalidToken once it is revoked.
func TestRecheck(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, testenv.OpenDB(t, dbtest.DSN(t)), WithAdminToken("boot-secret"))
	secret, tok, err := s.Create(ctx, "merch", RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Recheck(ctx, Digest(secret))
	if err != nil || p.TokenID != tok.ID || p.Role != RoleMerchandiser {
		t.Fatalf("live token: got %+v, %v; want token %d, merchandiser", p, err, tok.ID)
	}
	if p, err := s.Recheck(ctx, Digest("boot-secret")); err != nil || !reflect.DeepEqual(p, bootstrapAdmin) {
		t.Fatalf("bootstrap admin: got %+v, %v", p, err)
	}
	if err := s.Revoke(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recheck(ctx, Digest(secret)); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("revoked token: got %v, want ErrInvalidToken", err)
	}
	if _, err := s.Recheck(ctx, Digest("syncd_never-made")); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("unknown digest: got %v, want ErrInvalidToken", err)
	}
}
