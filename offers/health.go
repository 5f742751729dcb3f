package offers

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

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

// LoadHealth reads each supplier's last successful sync and whether its
// latest attempt failed, and why.
func LoadHealth(ctx context.Context, tx sqlx.QueryerContext) (map[string]Health, error) {
	out := map[string]Health{}
	var runs []struct {
		Supplier string         `db:"supplier"`
		LastOK   sql.NullString `db:"last_ok"`
		LatestOK bool           `db:"latest_ok"`
		Unauth   bool           `db:"unauthorized"`
	}
	const health = `SELECT r.supplier,
			(SELECT max(started_at) FROM sync_runs k WHERE k.supplier = r.supplier AND k.ok = 1) AS last_ok,
			r.ok AS latest_ok, r.unauthorized
		FROM sync_runs r
		WHERE r.id = (SELECT max(id) FROM sync_runs m WHERE m.supplier = r.supplier)`
	if err := sqlx.SelectContext(ctx, tx, &runs, health); err != nil {
		return nil, fmt.Errorf("load supplier health: %w", err)
	}
	for _, r := range runs {
		h := Health{LastFailed: !r.LatestOK, Unauthorized: r.Unauth}
		if r.LastOK.Valid {
			t, err := syncd.ParseTime(r.LastOK.String)
			if err != nil {
				return nil, err
			}
			h.LastSuccess = t
		}
		out[r.Supplier] = h
	}
	return out, nil
}
