package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
)

// tierParam is ?tier=, public by default.
func tierParam(r *http.Request) string {
	if r.URL.RawQuery == "" { // most reads: no query to parse, on every call
		return catalog.PublicTier
	}
	if tier := r.URL.Query().Get("tier"); tier != "" {
		return tier
	}
	return catalog.PublicTier
}

// tierForbidden is the 403 for a storefront naming a price tier its token
// was not granted, whether or not the tier exists: which tiers exist
// beyond its own is not a storefront's business.
func tierForbidden(p auth.Principal, tier string) *fault.Error {
	tiers, may := p.Tiers, strings.Join(p.Tiers, ", ")
	if len(tiers) == 0 {
		tiers, may = []string{}, "none"
	}
	return &fault.Error{Code: fault.TierForbidden,
		Message: fmt.Sprintf("this token may not use price tier %q; it may use %s (an admin grants tiers: PATCH /v1/tokens/{id})",
			tier, may),
		Details: map[string]any{"tier": tier, "tiers": tiers}}
}
