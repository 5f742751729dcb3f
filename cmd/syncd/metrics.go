package main

import (
	"context"
	"sync"
	"weak"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/metrics"
	"github.com/syncd/syncd/offers"
)

// syncRun is a sync result as the metrics see it.
func syncRun(res offers.SyncResult) metrics.SyncRun {
	return metrics.SyncRun{
		Supplier: res.Supplier, OK: res.Err == nil, Started: res.Started, Duration: res.Duration,
		Seen: res.Seen, Added: res.Added, Changed: res.Changed, Removed: res.Removed,
	}
}

// seedLastSuccess tells the metrics when each supplier last synced
// successfully before this process started, so data age is right from the
// first scrape rather than after the first sync.
func (a *app) seedLastSuccess(ctx context.Context) {
	for _, name := range a.cfg.Suppliers() {
		st, err := a.syncer.Status(ctx, name, a.cfg.StaleAfter)
		if err != nil {
			a.log.Warn("read sync status for metrics", "supplier", name, "err", err)
			continue
		}
		if st.LastSuccess != nil {
			a.metrics.LastSuccess(name, *st.LastSuccess)
		}
	}
}

// catalogGauges reads the served snapshot for the catalog gauges. Items are
// counted once per snapshot, at the first scrape that sees it, not at every
// scrape.
func catalogGauges(cat *catalog.Catalog) func() (metrics.CatalogState, bool) {
	var (
		mu sync.Mutex
		// Weak: holding the counted snapshot would keep a whole old
		// catalog alive after a swap until the next scrape.
		counted weak.Pointer[catalog.Snapshot]
		state   metrics.CatalogState
	)
	return func() (metrics.CatalogState, bool) {
		snap := cat.Snapshot()
		if snap == nil {
			return metrics.CatalogState{}, false
		}
		mu.Lock()
		defer mu.Unlock()
		if counted.Value() != snap {
			counted, state = weak.Make(snap), countItems(snap)
		}
		// Read at every scrape: a state moves with time (degraded to
		// stale), not only with snapshots.
		st := state
		st.Suppliers = cat.SupplierStates()
		return st, true
	}
}

// countItems counts a snapshot's items by tier and state, and its held
// offers by supplier.
func countItems(snap *catalog.Snapshot) metrics.CatalogState {
	st := metrics.CatalogState{Version: snap.Version, BuiltAt: snap.BuiltAt, HeldOffers: map[string]int{}}
	games := snap.GameList()
	for _, g := range games {
		for _, it := range g.Items {
			for _, o := range it.Offers {
				if o.Hold != nil {
					st.HeldOffers[o.Supplier]++
				}
			}
		}
	}
	for _, tier := range snap.Tiers() {
		n := map[string]int{}
		for _, g := range games {
			for _, it := range g.Items {
				switch p := it.PriceIn(tier); {
				case p.Amount != nil:
					n[metrics.Available]++
				case p.Blocked != "":
					n[metrics.Blocked]++
				default:
					n[metrics.Unavailable]++
				}
			}
		}
		for _, state := range []string{metrics.Available, metrics.Unavailable, metrics.Blocked} {
			st.Items = append(st.Items, metrics.ItemCount{Tier: tier, State: state, N: n[state]})
		}
	}
	return st
}
