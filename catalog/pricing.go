package catalog

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
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
		if _, err := c.refreshLocked(context.Background(), "window"); err != nil {
			c.log.Error("reprice at a rule window", "err", err)
		}
	})
}

// Close stops the window and staleness timers.
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
}

// recordPrices writes each (item, tier) whose price changed to prices and
// price_history. After a restart (no previous snapshot) the stored prices
// are the comparison, so history has no gap across restarts.
func (c *Catalog) recordPrices(ctx context.Context, prev, snap *Snapshot, ch change, cause string) error {
	type key struct{ item, tier string }
	type stored struct {
		price   *int64
		blocked string
	}
	var before map[key]stored
	candidates := ch.Items
	if prev == nil {
		before = map[key]stored{}
		rows, err := c.db.Read.QueryContext(ctx, `SELECT item_id, tier, price, blocked FROM prices`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k key
			var st stored
			if err := rows.Scan(&k.item, &k.tier, &st.price, &st.blocked); err != nil {
				rows.Close()
				return err
			}
			before[k] = st
		}
		rows.Close()
		candidates = nil
		for _, e := range snap.games {
			for id := range e.items {
				candidates = append(candidates, id)
			}
		}
	}
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO prices (item_id, tier, price, blocked, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (item_id, tier) DO UPDATE SET price = excluded.price, blocked = excluded.blocked, updated_at = excluded.updated_at`)
	if err != nil {
		return err
	}
	defer upsert.Close()
	hist, err := tx.PrepareContext(ctx, `INSERT INTO price_history (item_id, tier, old_price, new_price, cause, at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer hist.Close()
	now := syncd.FormatTime(c.now())
	for _, id := range candidates {
		it, _ := snap.Item(id)
		var old *Item
		if prev != nil {
			old, _ = prev.Item(id)
		}
		for _, tier := range snap.tiers {
			var cur Price
			if it != nil {
				cur = it.PriceIn(tier)
			}
			var was stored
			switch {
			case prev == nil:
				st, ok := before[key{id, tier}]
				if ok && samePrice(st.price, cur.Amount) && st.blocked == cur.Blocked {
					continue
				}
				was = st
			case old != nil:
				p := old.PriceIn(tier)
				was = stored{p.Amount, p.Blocked}
			}
			if samePrice(was.price, cur.Amount) && was.blocked == cur.Blocked {
				continue
			}
			if _, err := upsert.ExecContext(ctx, id, tier, cur.Amount, cur.Blocked, now); err != nil {
				return fmt.Errorf("store price %s/%s: %w", id, tier, err)
			}
			if samePrice(was.price, cur.Amount) {
				continue // only the reason for being blocked changed
			}
			if _, err := hist.ExecContext(ctx, id, tier, was.price, cur.Amount, cause, now); err != nil {
				return fmt.Errorf("price history %s/%s: %w", id, tier, err)
			}
		}
	}
	return tx.Commit()
}

func samePrice(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
