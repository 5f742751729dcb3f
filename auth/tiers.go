package auth

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
)

// PublicTier is the price tier that always exists, and the one a
// storefront token gets unless it is given others.
const PublicTier = "public"

// tierProblem is what is wrong with tiers asked for a token of role, or
// "". nil means not given: refused when required (SetTiers), the default
// otherwise.
func tierProblem(role Role, tiers []string, required bool) string {
	switch {
	case role.Valid() && role != RoleStorefront && tiers != nil:
		return "only storefront tokens have tiers: merchandisers and admins use every tier"
	case tiers == nil && required:
		return "required: the price tiers the token may use, such as [\"public\"]"
	case tiers != nil && len(tiers) == 0:
		return "at least one tier: a storefront without one can read nothing (revoke the token instead)"
	}
	return ""
}

// checkTiers returns tiers without repeats, public first then by id, once
// each is known to exist; an unknown one is a validation error naming them.
func checkTiers(ctx context.Context, tx *sqlx.Tx, tiers []string) ([]string, error) {
	out := slices.Clone(tiers)
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Or(cmp.Compare(tierRank(a), tierRank(b)), strings.Compare(a, b))
	})
	out = slices.Compact(out)
	var unknown []string
	for _, t := range out {
		known, err := tierExists(ctx, tx, t)
		if err != nil {
			return nil, err
		}
		if !known {
			unknown = append(unknown, fmt.Sprintf("%q", clip(t)))
		}
	}
	if len(unknown) > 0 {
		return nil, invalid(map[string]string{
			"tiers": "no such price tier: " + strings.Join(unknown, ", ") + " (GET /v1/tiers lists them; POST /v1/tiers makes one)"})
	}
	return out, nil
}

// tierRank puts public before every other tier, as SQLite's ORDER BY
// tier != 'public', tier does.
func tierRank(t string) int {
	if t == PublicTier {
		return 0
	}
	return 1
}

// clip bounds a caller's text quoted back in an error.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// SetTiers replaces the price tiers storefront token id may use (each must
// exist), at once in this process and within a second in another
// syncd on the same database. An unknown id is ErrNotFound, a revoked
// token ErrRevoked; a merchandiser's or admin's, which use every tier, is
// a validation error.
func (s *Store) SetTiers(ctx context.Context, id int64, tiers []string) (Token, error) {
	var tok Token
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := tokenByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if tok, err = r.token(); err != nil {
			return err
		}
		if msg := tierProblem(tok.Role, tiers, true); msg != "" {
			return invalid(map[string]string{"tiers": msg})
		}
		if tok.RevokedAt != nil {
			return ErrRevoked
		}
		if tok.Tiers, err = checkTiers(ctx, tx, tiers); err != nil {
			return err
		}
		if err := dropTiers(ctx, tx, id); err != nil {
			return err
		}
		if err := grantTiers(ctx, tx, id, tok.Tiers); err != nil {
			return err
		}
		return bumpVersion(ctx, tx)
	})
	if err != nil {
		return Token{}, fmt.Errorf("set tiers of token %d: %w", id, err)
	}
	s.change(func(m tokenMap) {
		for h, p := range m {
			if p.TokenID == id {
				p.Tiers = tok.Tiers
				m[h] = p
			}
		}
	})
	return tok, nil
}
