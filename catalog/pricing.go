package catalog

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/rules"
)

// ruleSet compiles the stored rules. It reads them on every rebuild (a
// millisecond for hundreds of rules), so a rule stored by another process
// is in force at the next sync.
func (c *Catalog) ruleSet(ctx context.Context) (*rules.Set, error) {
	list, err := c.rules.List(ctx)
	if err != nil {
		return nil, err
	}
	set, err := rules.NewSet(list)
	if err != nil {
		return nil, fmt.Errorf("compile rules: %w", err)
	}
	return set, nil
}

// Rules is the store of margin rules and tiers.
func (c *Catalog) Rules() *rules.Store { return c.rules }

// price sets every item's price in every tier from the rules, on both
// cores: 100,000 items × 3 tiers is 300,000 decimal computations.
func (c *Catalog) price(items []*Item, tiers []string, set *rules.Set, now time.Time) {
	workers := min(runtime.GOMAXPROCS(0), 4)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(items); i += workers {
				priceItem(items[i], tiers, set, now, c.cfg.Floor)
			}
		})
	}
	wg.Wait()
}

func priceItem(it *Item, tiers []string, set *rules.Set, now time.Time, floor []pricing.Guard) {
	it.Prices = make([]TierPrice, len(tiers))
	for i, tier := range tiers {
		it.Prices[i].Tier = tier
	}
	if it.Chosen == nil {
		return
	}
	cost := decimal.NewFromInt(it.Chosen.Cost)
	for i, tier := range tiers {
		d := set.Evaluate(subject(it, tier), now)
		in, err := d.Input(cost, floor...)
		if err != nil {
			// A rule conflict: no price can be decided.
			it.Prices[i].Price = Price{Blocked: err.Error()}
			continue
		}
		// The bulk path: the same price as pricing.Price, without the
		// trace, which Explain rebuilds on demand.
		p, blocked, reason := pricing.Amount(in)
		if blocked {
			it.Prices[i].Price = Price{Blocked: reason}
			continue
		}
		// Price keeps every price within pricing.MaxPrice, so this never
		// fails; were it to, the item is blocked, never served a wrapped
		// amount.
		amount, err := pricing.Rupiah(p)
		if err != nil {
			it.Prices[i].Price = Price{Blocked: err.Error()}
			continue
		}
		it.Prices[i].Price = Price{Amount: &amount}
	}
}

func subject(it *Item, tier string) rules.Subject {
	s := rules.Subject{Game: it.GameID, Item: it.ID, Tier: tier}
	if it.Chosen != nil {
		s.Supplier = it.Chosen.Supplier
	}
	return s
}

// armWindow schedules a reprice for the instant the next rule window
// opens or closes, so a promotion starts and ends on time without a sync
// or a restart.
func (c *Catalog) armWindow(snap *Snapshot) {
	if c.window != nil {
		c.window.Stop()
	}
	next, ok := snap.rules.NextChange(snap.pricedAt)
	if !ok {
		return
	}
	// A little after the boundary, so the window is open (or closed) when
	// the rules are evaluated.
	wait := max(next.Sub(c.now())+10*time.Millisecond, 0)
	c.window = time.AfterFunc(wait, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.leads() {
			return
		}
		if _, err := c.refreshLocked(Fenced(context.Background()), "window"); err != nil {
			c.log.Error("reprice at a rule window", "err", err)
		}
	})
}

// Close stops the window and staleness timers and closes the catalog's
// prepared statements.
func (c *Catalog) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.window != nil {
		c.window.Stop()
	}
	if c.stale != nil {
		c.stale.Stop()
	}
	c.offerReads.close()
}
