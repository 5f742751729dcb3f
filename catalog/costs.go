package catalog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

// ApplyCosts stores new costs for a supplier's offers, true as of at, and
// reprices only the games of the offers whose cost moved, so a cost rise
// is in the served prices (or blocks the item) before the next order.
// Costs are rounded up to whole rupiah like a sync's; a change dated
// before the stored cost is not applied. A change beyond the cost guard's
// limits is stored and held: the offer is not sold until a sync confirms
// it or a merchandiser accepts it.
func (c *Catalog) ApplyCosts(ctx context.Context, supplier string, changes []offers.CostChange, at time.Time) (*offers.CostUpdate, error) {
	up := &offers.CostUpdate{Applied: []string{}, Unchanged: []string{}, Stale: []string{}, Unknown: []string{}, Discrepancies: []string{},
		Held: []string{}, Released: []string{}}
	for _, ch := range changes {
		if ch.Code == "" || ch.New.IsNegative() || ch.New.GreaterThan(decimal.NewFromInt(1<<53)) {
			return nil, fmt.Errorf("%w: cost change %q to %s", ErrInvalid, ch.Code, ch.New)
		}
	}
	moved, err := c.offers.StoreCosts(ctx, supplier, changes, at, up)
	if err != nil {
		return nil, err
	}
	prev := c.current.Load()
	if prev == nil {
		return up, nil // the first build will price them
	}
	up.Version = prev.Version
	if len(moved) == 0 {
		return up, nil
	}
	games, full := map[string]bool{}, false
	for _, id := range moved {
		if item, ok := prev.offerItem[id]; ok {
			games[gameOf(item)] = true
		} else {
			full = true // an offer stored since the last rebuild, not linked yet
		}
	}
	// Deliveries that arrive while a reprice runs are gathered and
	// repriced together by whichever gets the lock next: under a stream of
	// webhooks the catalog reprices once per batch, not once per delivery.
	batch := c.costQueue.add(games, full)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.costsDone >= batch {
		up.Version = c.current.Load().Version // repriced with someone else's batch
		return up, nil
	}
	games, full, batch = c.costQueue.take()
	if len(games) == 0 && !full {
		c.costsDone = batch
		up.Version = c.current.Load().Version
		return up, nil
	}
	var snap *Snapshot
	if full || c.rulesOwed {
		snap, err = c.refreshLocked(ctx, "webhook")
	} else {
		var health map[string]offers.Health
		if health, err = c.loadHealth(ctx); err == nil {
			snap, err = c.repriceGamesLocked(ctx, c.current.Load(), games, health, c.now(), "webhook")
		}
	}
	if err != nil {
		// The costs are stored; requeue their games so the next delivery
		// (or the next sync) reprices them.
		c.costQueue.add(games, full)
		return nil, err
	}
	c.costsDone = batch
	up.Version = snap.Version
	return up, nil
}

// costQueue gathers the games whose costs webhooks stored, until a
// reprice takes them.
type costQueue struct {
	mu    sync.Mutex
	games map[string]bool
	full  bool
	batch uint64 // the batch now gathering
}

// add queues games and returns the batch they will be repriced with.
func (q *costQueue) add(games map[string]bool, full bool) uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.games == nil {
		q.games = map[string]bool{}
	}
	for g := range games {
		q.games[g] = true
	}
	q.full = q.full || full
	return q.batch + 1
}

// take empties the queue and returns its games and the batch number.
func (q *costQueue) take() (map[string]bool, bool, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	games, full := q.games, q.full
	q.games, q.full = map[string]bool{}, false
	q.batch++
	return games, full, q.batch
}
