package offers

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd"
)

// SupplierStatus is what an operator needs to know about one supplier's
// catalog: when it was last synced, whether that worked, whether the data
// syncd holds is still fresh, and so whether its offers are sold.
type SupplierStatus struct {
	Supplier string `json:"supplier"`
	// State is one of SupplierStates: ok, degraded (the last sync failed,
	// the data is still fresh and sold), stale, unauthorized or
	// never_synced.
	State   string `json:"state"`
	Running bool   `json:"running"`
	Stale   bool   `json:"stale"`
	// Sellable: the supplier's offers may be sold as far as its catalog's
	// health goes (ok or degraded).
	Sellable bool `json:"sellable"`
	// StaleAt is when the data of the last successful sync is (or was)
	// too old to sell, unless another sync succeeds first; nil if none
	// ever did.
	StaleAt      *time.Time `json:"stale_at"`
	LastAttempt  *time.Time `json:"last_attempt_at"`
	LastSuccess  *time.Time `json:"last_success_at"`
	LastDuration int64      `json:"last_duration_ms"`
	// Counts of the last successful sync.
	Seen    int `json:"seen"`
	Added   int `json:"added"`
	Changed int `json:"changed"`
	Removed int `json:"removed"`
	// LastError is the error of the last attempt, empty if it succeeded.
	LastError string `json:"last_error"`
	// Offers stored, and of those active and not removed.
	Offers       int `json:"offers"`
	ActiveOffers int `json:"active_offers"`
}

// Status reports each named supplier. A supplier whose last success is older
// than staleAfter is stale: its offers are kept, and reported as such, but
// must not be served as fresh. The state is the one the catalog sells by.
func (s *Syncer) Status(ctx context.Context, supplier string, staleAfter time.Duration) (SupplierStatus, error) {
	st := SupplierStatus{Supplier: supplier, State: StateNeverSynced}
	s.mu.Lock()
	st.Running = s.running[supplier]
	s.mu.Unlock()

	runs, err := readSyncRuns(ctx, s.db.Read, supplier)
	if err != nil {
		return st, fmt.Errorf("sync status %s: %w", supplier, err)
	}
	if runs.last == nil {
		st.Stale = true
		return st, nil
	}
	last := *runs.last
	t, err := syncd.ParseTime(last.StartedAt)
	if err != nil {
		return st, fmt.Errorf("sync status %s: %w", supplier, err)
	}
	st.LastAttempt = &t
	st.LastDuration = last.DurationMS
	st.LastError = last.Error

	if ok := runs.ok; ok != nil {
		t, err := syncd.ParseTime(ok.StartedAt)
		if err != nil {
			return st, fmt.Errorf("sync status %s: %w", supplier, err)
		}
		st.LastSuccess = &t
		st.Seen, st.Added, st.Changed, st.Removed = ok.Seen, ok.Added, ok.Changed, ok.Removed
	}
	st.Offers, st.ActiveOffers = runs.offers, runs.activeOffers

	h := Health{LastFailed: !last.OK, Unauthorized: last.Unauth}
	if st.LastSuccess != nil {
		h.LastSuccess = *st.LastSuccess
		at := h.LastSuccess.Add(staleAfter)
		st.StaleAt = &at
	}
	now := s.now()
	st.Stale = st.LastSuccess == nil || now.Sub(*st.LastSuccess) > staleAfter
	st.State, st.Sellable = h.State(now, staleAfter), h.Sellable(now, staleAfter)
	return st, nil
}
