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
	rs, err := c.ApplyCostBatches(ctx, []CostDelivery{{Supplier: supplier, Changes: changes, At: at}})
	if err != nil {
		return nil, err
	}
	return rs[0].Update, rs[0].Err
}

// CostDelivery is one delivery's cost changes: a supplier's, true as of
// At.
type CostDelivery struct {
	Supplier string
	Changes  []offers.CostChange
	At       time.Time
}

// CostResult is what became of one delivery of a batch: its update, or
// Err (wrapping ErrInvalid) for a delivery refused whole, which changed
// nothing.
type CostResult struct {
	Update *offers.CostUpdate
	Err    error
}

// ApplyCostBatches applies several deliveries as ApplyCosts would have
// one after the other, with their costs stored in one transaction and
// their games repriced together once: the webhook inbox's group commit.
// A delivery refused whole does not hold up the others; an error
// returned stored nothing of any (or stored the costs and failed to
// reprice, which the next delivery or sync makes good).
func (c *Catalog) ApplyCostBatches(ctx context.Context, ds []CostDelivery) ([]CostResult, error) {
	rs := make([]CostResult, len(ds))
	var batches []offers.CostBatch
	for i, d := range ds {
		if err := checkCosts(d.Changes); err != nil {
			rs[i].Err = err
			continue
		}
		rs[i].Update = &offers.CostUpdate{Applied: []string{}, Unchanged: []string{}, Stale: []string{}, Unknown: []string{},
			Discrepancies: []string{}, Held: []string{}, Released: []string{}}
		batches = append(batches, offers.CostBatch{Supplier: d.Supplier, Changes: d.Changes, At: d.At, Update: rs[i].Update})
	}
	if len(batches) == 0 {
		return rs, nil
	}
	moved, err := c.offers.StoreCostBatches(ctx, batches)
	if err != nil {
		return nil, err
	}
	version, err := c.repriceMoved(ctx, moved)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.Update != nil {
			r.Update.Version = version
		}
	}
	return rs, nil
}

// checkCosts refuses a delivery with a change no cost can be.
func checkCosts(changes []offers.CostChange) error {
	for _, ch := range changes {
		if ch.Code == "" || ch.New.IsNegative() || ch.New.GreaterThan(decimal.NewFromInt(1<<53)) {
			return fmt.Errorf("%w: cost change %q to %s", ErrInvalid, ch.Code, ch.New)
		}
	}
	return nil
}

// repriceMoved reprices the games of the offers whose costs moved and
// returns the version that serves them.
func (c *Catalog) repriceMoved(ctx context.Context, moved []int64) (int64, error) {
	prev := c.current.Load()
	if prev == nil {
		return 0, nil // the first build will price them
	}
	if len(moved) == 0 {
		return prev.Version, nil
	}
	items, full := map[string]bool{}, false
	for _, id := range moved {
		if item, ok := prev.offerItem[id]; ok {
			items[item] = true
		} else {
			full = true // an offer stored since the last rebuild, not linked yet
		}
	}
	// Deliveries that arrive while a reprice runs are gathered and
	// repriced together by whichever gets the lock next: under a stream of
	// webhooks the catalog reprices once per batch, not once per delivery.
	batch := c.costQueue.add(items, full)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.costsDone >= batch {
		return c.current.Load().Version, nil // repriced with someone else's batch
	}
	items, full, batch = c.costQueue.take()
	if len(items) == 0 && !full {
		c.costsDone = batch
		return c.current.Load().Version, nil
	}
	var snap *Snapshot
	var err error
	if full || c.rulesOwed {
		snap, err = c.refreshLocked(ctx, "webhook")
	} else {
		var health map[string]offers.Health
		if health, err = c.loadHealth(ctx); err == nil {
			snap, err = c.repriceItemsLocked(ctx, c.current.Load(), items, health, c.now(), "webhook")
		}
	}
	if err != nil {
		// The costs are stored; requeue their items so the next delivery
		// (or the next sync) reprices them.
		c.costQueue.add(items, full)
		return 0, err
	}
	c.costsDone = batch
	return snap.Version, nil
}

// costQueue gathers the items whose costs webhooks stored, until a
// reprice takes them.
type costQueue struct {
	mu    sync.Mutex
	items map[string]bool
	full  bool
	batch uint64 // the batch now gathering
}

// add queues items and returns the batch they will be repriced with.
func (q *costQueue) add(items map[string]bool, full bool) uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.items == nil {
		q.items = map[string]bool{}
	}
	for it := range items {
		q.items[it] = true
	}
	q.full = q.full || full
	return q.batch + 1
}

// take empties the queue and returns its items and the batch number.
func (q *costQueue) take() (map[string]bool, bool, uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items, full := q.items, q.full
	q.items, q.full = map[string]bool{}, false
	q.batch++
	return items, full, q.batch
}
