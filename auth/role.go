package auth

import (
	"fmt"
	"slices"
	"strings"
)

// Role is what a token may do. Roles are ordered: each includes the ones
// before it, so a check is a comparison (p.Role >= RoleMerchandiser).
type Role int

// The roles, from least to most powerful. The zero Role is no role at all.
const (
	// RoleStorefront reads the catalog and places orders.
	RoleStorefront Role = iota + 1
	// RoleMerchandiser also edits margin rules, reviews matching and reads
	// price explanations.
	RoleMerchandiser
	// RoleAdmin also runs suppliers and syncs and manages tokens.
	RoleAdmin
)

// roles lists every valid role, least powerful first.
var roles = []Role{RoleStorefront, RoleMerchandiser, RoleAdmin}

func (r Role) String() string {
	switch r {
	case RoleStorefront:
		return "storefront"
	case RoleMerchandiser:
		return "merchandiser"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Valid reports whether r is a role, not the zero Role or out of range.
func (r Role) Valid() bool { return r >= RoleStorefront && r <= RoleAdmin }

// ParseRole reads a role's name. An unknown name gives the zero Role and an
// error listing the valid names.
func ParseRole(s string) (Role, error) {
	for _, r := range roles {
		if s == r.String() {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q: want %s", s, roleNames())
}

// MarshalText writes the role's name, so JSON carries "storefront", not 1.
func (r Role) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("invalid role %d", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

func roleNames() string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.String()
	}
	return strings.Join(names, ", ")
}

// Principal is who makes a request: the token's name and role and, for a
// storefront, the price tiers it may use. TokenID is 0 for the bootstrap
// admin token, which is configured, not stored.
type Principal struct {
	TokenID int64
	Name    string
	Role    Role
	// Tiers are the price tiers a storefront token may read and order in,
	// public first; nil for merchandisers and admins, who use every tier.
	// Shared between requests: never modified.
	Tiers []string
}

// MayUseTier reports whether p may read the catalog's prices in tier and
// order in it: a storefront only in the tiers it was granted, anyone above
// in every tier.
func (p Principal) MayUseTier(tier string) bool {
	return p.Role >= RoleMerchandiser || slices.Contains(p.Tiers, tier)
}
