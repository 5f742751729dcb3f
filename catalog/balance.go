package catalog

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// SupplierBalance is what syncd knows of a supplier's deposit, as the
// order service estimates it between balance checks.
type SupplierBalance struct {
	// Known is false for a supplier with no balance endpoint, or whose
	// balance was never read: such a supplier is never treated as empty.
	Known bool
	// Estimate is the last balance read, less what orders bought since
	// and plus what failed orders refunded, in whole rupiah.
	Estimate int64
}

// balanceView is the deposits one choice of offers is made with. It is
// immutable: a change makes a new view, so a game built with a view can
// tell whether the deposits moved since by pointer.
type balanceView struct {
	margin    int64
	suppliers map[string]deposit // suppliers with a known balance
}

// deposit is one supplier's estimate and its ceiling: an offer costing
// more than the ceiling is not chosen to price its item.
//
// The ceiling follows the estimate down at once and back up only a margin
// behind it, so an offer skipped at cost c returns when the estimate
// covers c plus the margin, and an estimate wobbling by less than the
// margin moves no offer either way.
type deposit struct {
	estimate int64
	ceiling  int64
}

// next is the deposit after a new estimate.
func (d deposit) next(estimate, margin int64) deposit {
	switch {
	case estimate < d.ceiling:
		d.ceiling = estimate
	case estimate-margin >= d.ceiling:
		d.ceiling = estimate - margin
	}
	d.estimate = estimate
	return d
}

// ceiling is the dearest cost of supplier's that the deposit may pay;
// unbounded for a supplier whose balance is unknown.
func (v *balanceView) ceiling(supplier string) int64 {
	if d, ok := v.suppliers[supplier]; ok {
		return d.ceiling
	}
	return math.MaxInt64
}

// judge says why an offer of supplier at cost is not chosen for want of
// deposit, or "" if the deposit may pay it.
func (v *balanceView) judge(supplier string, cost int64) string {
	d, ok := v.suppliers[supplier]
	if !ok || cost <= d.ceiling {
		return ""
	}
	if d.estimate < cost {
		return fmt.Sprintf("estimated balance %s below cost %s", groupDigits(d.estimate), groupDigits(cost))
	}
	return fmt.Sprintf("estimated balance covers cost %s but not the %s above it needed to return after running short",
		groupDigits(cost), groupDigits(v.margin))
}

// estimate is supplier's estimated balance; unbounded when unknown.
func (v *balanceView) estimate(supplier string) int64 {
	if d, ok := v.suppliers[supplier]; ok {
		return d.estimate
	}
	return math.MaxInt64
}

// note puts the offers skipped for want of deposit, where one would have
// sold the item, before the reason for the choice: "<supplier> skipped:
// estimated balance 92 below cost 7,770; the only eligible offer".
func (v *balanceView) note(it *Item) {
	if it.Chosen == nil {
		return // pick already names the cheapest offer's reason
	}
	var skipped []string
	for _, o := range it.Offers {
		if o.unaffordable && o.Cost <= it.Chosen.Cost {
			skipped = append(skipped, o.Supplier+" skipped: "+o.Ineligible)
		}
	}
	if len(skipped) > 0 {
		it.Reason = strings.Join(skipped, "; ") + "; " + it.Reason
	}
}

// judgeOffer sets an offer's eligibility by the deposit when nothing else
// keeps it from being sold.
func (v *balanceView) judgeOffer(o *OfferState) {
	if o.Ineligible != "" && !o.unaffordable {
		return
	}
	o.Ineligible = v.judge(o.Supplier, o.Cost)
	o.unaffordable = o.Ineligible != ""
	o.Eligible = o.Ineligible == ""
}

// balanceBook is the catalog's copy of the order service's estimates.
type balanceBook struct {
	mu   sync.Mutex
	view *balanceView
}

func (b *balanceBook) load(margin int64) *balanceView {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.view == nil {
		b.view = &balanceView{margin: margin, suppliers: map[string]deposit{}}
	}
	return b.view
}

// set records a supplier's balance and reports whether it changed: its
// ceiling may have moved past an offer, or its estimate past a skipped
// offer's cost (whose reason then changes).
func (b *balanceBook) set(supplier string, bal SupplierBalance, margin int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.view == nil {
		b.view = &balanceView{margin: margin, suppliers: map[string]deposit{}}
	}
	old, had := b.view.suppliers[supplier]
	var d deposit
	switch {
	case !bal.Known && !had:
		return false
	case !bal.Known:
	case !had:
		d = deposit{estimate: bal.Estimate, ceiling: bal.Estimate}
	default:
		d = old.next(bal.Estimate, margin)
		if d == old {
			return false
		}
	}
	next := &balanceView{margin: margin, suppliers: make(map[string]deposit, len(b.view.suppliers)+1)}
	for s, x := range b.view.suppliers {
		next.suppliers[s] = x
	}
	if bal.Known {
		next.suppliers[supplier] = d
	} else {
		delete(next.suppliers, supplier)
	}
	b.view = next
	return true
}

// gameBalance is the view a game's items were chosen with, and the costs
// of its offers the deposit alone decides, found when first needed.
type gameBalance struct {
	view  *balanceView
	once  sync.Once
	costs map[string][]int64 // by supplier, ascending
}

// balanceFor records on each game the view its items are chosen with.
func (c *Catalog) balanceFor(games map[string]*Game) *balanceView {
	v := c.balances.load(c.cfg.BalanceMargin)
	for _, g := range games {
		g.bal = &gameBalance{view: v}
	}
	return v
}

// costsOf lists, per supplier, the costs of g's offers that are eligible
// or kept out by the deposit alone: the offers a balance change can move.
func (gb *gameBalance) costsOf(g *Game) map[string][]int64 {
	gb.once.Do(func() {
		gb.costs = map[string][]int64{}
		for _, it := range g.Items {
			for _, o := range it.Offers {
				if o.Eligible || o.unaffordable {
					gb.costs[o.Supplier] = append(gb.costs[o.Supplier], o.Cost)
				}
			}
		}
		for _, cs := range gb.costs {
			slices.Sort(cs)
		}
	})
	return gb.costs
}

// SetBalance takes the order service's estimate of a supplier's deposit.
// When the supplier's ceiling moves past the cost of an offer, the items
// whose chosen offer changes are chosen again and repriced, and their
// games re-encoded; every other item and game is shared with the current
// snapshot. Nothing is read from the database.
//
// It returns once the catalog prices from every balance set before it,
// also when this call changed nothing: the caller that did change the
// book may still be waiting for the lock, and rebalanceLocked prices
// whatever the book holds (games already priced with it are skipped).
func (c *Catalog) SetBalance(ctx context.Context, supplier string, b SupplierBalance) error {
	c.balances.set(supplier, b, c.cfg.BalanceMargin)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current.Load() == nil {
		return nil // the first build reads the book
	}
	_, err := c.rebalanceLocked(ctx)
	return err
}

// span is the costs (lo, hi] between two values of a supplier's ceiling
// or estimate.
type span struct{ lo, hi int64 }

func spanOf(a, b int64) span { return span{min(a, b), max(a, b)} }

func (s span) has(cost int64) bool { return cost > s.lo && cost <= s.hi }

// any reports whether an ascending list has a cost in the span.
func (s span) any(costs []int64) bool {
	i := sort.Search(len(costs), func(i int) bool { return costs[i] > s.lo })
	return i < len(costs) && costs[i] <= s.hi
}

// moves is what a change of view moves for one supplier: offers whose
// cost the ceiling passed change eligibility; skipped offers whose cost
// the estimate passed change their reason.
type moves struct{ ceiling, estimate span }

// rebalanceLocked brings every game chosen with an older view up to the
// book's, publishing a snapshot if any item's choice changed.
func (c *Catalog) rebalanceLocked(ctx context.Context) (*Snapshot, error) {
	prev := c.current.Load()
	view := c.balances.load(c.cfg.BalanceMargin)
	start := c.now()
	changed := map[string]*Game{}
	var moved []*Item
	before := map[string]*itemRow{}
	for _, e := range prev.games {
		g := e.game
		if g.bal == nil || g.bal.view == view {
			continue
		}
		spans := map[string]moves{}
		for s, costs := range g.bal.costsOf(g) {
			m := moves{spanOf(g.bal.view.ceiling(s), view.ceiling(s)), spanOf(g.bal.view.estimate(s), view.estimate(s))}
			if m.ceiling.any(costs) || m.estimate.any(costs) {
				spans[s] = m
			}
		}
		if len(spans) == 0 {
			continue // no offer of this game is on either side of a move
		}
		ng := *g
		ng.bal = &gameBalance{view: view}
		ng.Items = make([]*Item, len(g.Items))
		for i, it := range g.Items {
			if !touches(it, spans) {
				ng.Items[i] = it
				continue
			}
			ni := c.rechoose(it, view)
			ng.Items[i] = ni
			if sameOffer(ni.Chosen, it.Chosen) {
				// Its offers' verdicts changed, not its price.
				ni.Prices = it.Prices
				continue
			}
			priceItem(ni, prev.tiers, prev.rules, prev.pricedAt, prev.floor)
			moved = append(moved, ni)
			row := &itemRow{ID: it.ID}
			if it.Chosen != nil {
				id := it.Chosen.ID
				row.ChosenOfferID = &id
			}
			before[it.ID] = row
		}
		changed[g.ID] = &ng
	}
	if len(changed) == 0 {
		return prev, nil
	}
	if err := c.rememberChoices(ctx, &input{items: before}, moved); err != nil {
		return nil, err
	}
	snap, err := derive(prev, changed)
	if err != nil {
		return nil, err
	}
	// Priced as of the snapshot's instant, like the items it shares: an
	// explanation replays every item at one instant.
	snap.rules, snap.pricedAt, snap.floor, snap.health = prev.rules, prev.pricedAt, prev.floor, prev.health
	if err := c.publish(ctx, snap, "balance", start); err != nil {
		return nil, err
	}
	c.log.Info("catalog repriced after a balance change", "version", snap.Version, "games", len(changed),
		"items", len(moved), "duration", c.now().Sub(start))
	return snap, nil
}

func sameOffer(a, b *OfferState) bool {
	return a == nil && b == nil || a != nil && b != nil && a.ID == b.ID
}

// touches reports whether an item has an offer a balance move can move.
func touches(it *Item, spans map[string]moves) bool {
	for _, o := range it.Offers {
		m, ok := spans[o.Supplier]
		switch {
		case !ok:
		case (o.Eligible || o.unaffordable) && m.ceiling.has(o.Cost):
			return true
		case o.unaffordable && m.estimate.has(o.Cost):
			return true
		}
	}
	return false
}

// rechoose judges an item's offers against view and picks again, keeping
// its current offer under the switch margin as a rebuild would.
func (c *Catalog) rechoose(it *Item, view *balanceView) *Item {
	ni := &Item{ID: it.ID, GameID: it.GameID, Name: it.Name, Offers: make([]*OfferState, len(it.Offers))}
	for i, o := range it.Offers {
		n := *o
		n.Chosen = false
		view.judgeOffer(&n)
		ni.Offers[i] = &n
	}
	var current *int64
	if it.Chosen != nil {
		id := it.Chosen.ID
		current = &id
	}
	c.pick(ni, current)
	view.note(ni)
	return ni
}

// groupDigits writes whole rupiah with thousands separators: 7,770.
func groupDigits(v int64) string {
	s := strconv.FormatInt(v, 10)
	sign := ""
	if v < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return sign + b.String()
}
