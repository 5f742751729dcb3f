package offers

import "time"

// Supplier states, as GET /v1/suppliers, the console and the metrics name
// them. Only ok and degraded suppliers' offers are sold.
const (
	StateNeverSynced  = "never_synced" // no sync has succeeded yet: nothing to sell
	StateOK           = "ok"           // the last sync succeeded and its data is fresh
	StateDegraded     = "degraded"     // the last sync failed; the last good data is still fresh, and sold
	StateStale        = "stale"        // no success within StaleAfter: the data is kept, not sold
	StateUnauthorized = "unauthorized" // the last sync was refused for syncd's credentials: not sold
)

// SupplierStates lists every state, in the order of how well a supplier
// is doing.
var SupplierStates = []string{StateOK, StateDegraded, StateStale, StateUnauthorized, StateNeverSynced}

// State names h at now. A refusal of credentials wins over staleness: it
// says what to fix.
func (h Health) State(now time.Time, staleAfter time.Duration) string {
	switch {
	case h.Unauthorized:
		return StateUnauthorized
	case h.LastSuccess.IsZero():
		return StateNeverSynced
	case now.Sub(h.LastSuccess) > staleAfter:
		return StateStale
	case h.LastFailed:
		return StateDegraded
	}
	return StateOK
}

// Sellable reports whether the supplier's offers may be sold at now as far
// as its health goes (the rest of eligibility is per offer): the same test
// the catalog's eligibility applies.
func (h Health) Sellable(now time.Time, staleAfter time.Duration) bool {
	switch h.State(now, staleAfter) {
	case StateOK, StateDegraded:
		return true
	}
	return false
}

// Health is whether a supplier's stored offers may be sold.
type Health struct {
	LastSuccess time.Time
	LastFailed  bool // the latest attempt failed
	// Unauthorized: the latest attempt failed because the supplier
	// refused syncd's credentials.
	Unauthorized bool
}
