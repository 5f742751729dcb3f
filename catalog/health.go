package catalog

import (
	"context"
	"slices"
	"time"

	"github.com/syncd/syncd/offers"
)

// sellable is h.sellable with the catalog's StaleAfter.
func (c *Catalog) sellable(h offers.Health, t time.Time) bool {
	return h.Sellable(t, c.cfg.StaleAfter)
}

// logHealth tells operators when a supplier's state changes between two
// snapshots, and what that does to what is sold.
func (c *Catalog) logHealth(prev, snap *Snapshot) {
	names := make([]string, 0, len(snap.health))
	for name := range snap.health {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		h := snap.health[name]
		now := snap.pricedAt
		to := h.State(now, c.cfg.StaleAfter)
		from := offers.StateNeverSynced
		if prev != nil {
			if ph, ok := prev.health[name]; ok {
				from = ph.State(prev.pricedAt, c.cfg.StaleAfter)
			}
		}
		if from == to {
			continue
		}
		switch to {
		case offers.StateDegraded:
			c.log.Warn("supplier degraded: its last sync failed; its offers are still sold until its data is stale",
				"supplier", name, "from", from, "state", to, "stale_at", h.LastSuccess.Add(c.cfg.StaleAfter))
		case offers.StateStale:
			c.log.Error("supplier stale: no successful sync within SYNCD_STALE_AFTER; its offers are not sold",
				"supplier", name, "from", from, "state", to, "last_success", h.LastSuccess)
		case offers.StateUnauthorized:
			c.log.Error("supplier refused syncd's credentials: its offers are not sold until a sync succeeds",
				"supplier", name, "from", from, "state", to)
		default:
			c.log.Info("supplier state changed", "supplier", name, "from", from, "state", to)
		}
	}
}

// armStale sets a timer for the moment the first supplier whose offers
// snap sells goes stale, and rebuilds the catalog then: a supplier whose
// syncs keep failing (or stop running) must not be sold from past
// StaleAfter, whenever its next sync attempt comes. c.mu held.
func (c *Catalog) armStale(snap *Snapshot) {
	if c.stale != nil {
		c.stale.Stop()
	}
	var next time.Time
	for _, h := range snap.health {
		if !c.sellable(h, snap.pricedAt) {
			continue
		}
		if at := h.LastSuccess.Add(c.cfg.StaleAfter); next.IsZero() || at.Before(next) {
			next = at
		}
	}
	if next.IsZero() {
		return
	}
	wait := max(next.Sub(c.now())+10*time.Millisecond, 0)
	c.stale = time.AfterFunc(wait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return
		}
		if !c.leads() {
			return
		}
		if _, err := c.refreshLocked(Fenced(context.Background()), "stale"); err != nil {
			c.log.Error("rebuild when supplier data went stale", "err", err)
		}
	})
}

// SupplierStates names the state of every supplier that ever synced, as
// the served snapshot knows them, at now: what the catalog sells by.
func (c *Catalog) SupplierStates() map[string]string {
	snap := c.current.Load()
	if snap == nil {
		return nil
	}
	now := c.now()
	out := make(map[string]string, len(snap.health))
	for name, h := range snap.health {
		out[name] = h.State(now, c.cfg.StaleAfter)
	}
	return out
}
