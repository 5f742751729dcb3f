package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/rules"
)

// Impact is what a proposed rule change would do to prices, computed
// without saving anything.
type Impact struct {
	Priced           int            `json:"priced"` // (item, tier) pairs the change can reach
	Changed          int            `json:"changed"`
	Up               int            `json:"up"`
	Down             int            `json:"down"`
	NewlyBlocked     []ImpactItem   `json:"newly_blocked"`
	Unblocked        []ImpactItem   `json:"unblocked"`
	LargestIncreases []ImpactItem   `json:"largest_increases"`
	LargestDecreases []ImpactItem   `json:"largest_decreases"`
	MarginBefore     string         `json:"margin_percent_before"` // realised margin over the reached pairs
	MarginAfter      string         `json:"margin_percent_after"`
	Lint             rules.Findings `json:"lint"`
}

// ImpactItem is one (item, tier) in an impact report.
type ImpactItem struct {
	Item    string `json:"item"`
	Tier    string `json:"tier"`
	Before  *int64 `json:"before"`
	After   *int64 `json:"after"`
	Delta   int64  `json:"delta"`
	Blocked string `json:"blocked,omitempty"`
}

// impactListLen bounds each list in an impact report.
const impactListLen = 10

// Preview computes the impact of changes on the current catalog. It
// prices with the proposed rules exactly as a save would, so the preview
// is what saving produces (as long as nothing else changes meanwhile).
func (c *Catalog) Preview(ctx context.Context, changes []RuleChange) (*Impact, error) {
	snap := c.current.Load()
	if snap == nil {
		return nil, fmt.Errorf("catalog: %w", ErrNotFound)
	}
	for _, ch := range changes {
		if ch.Op != "delete" {
			if err := validateRule(ch.Rule); err != nil {
				return nil, err
			}
		}
	}
	current, err := c.rules.List(ctx)
	if err != nil {
		return nil, err
	}
	proposed, touched, err := apply(current, changes)
	if err != nil {
		return nil, err
	}
	set, err := rules.NewSet(proposed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	now := c.now()
	imp := &Impact{Lint: rules.Lint(proposed, snap.subjects(), snap.tiers, now),
		NewlyBlocked: []ImpactItem{}, Unblocked: []ImpactItem{}}
	var costBefore, revBefore, costAfter, revAfter int64
	increases, decreases := newLargest(increaseFirst), newLargest(decreaseFirst)
	for _, e := range snap.games {
		if !reaches(touched, e.game, snap.tiers) {
			continue
		}
		for _, it := range e.game.Items {
			if it.Chosen == nil {
				continue
			}
			var cp Item = *it
			priceItem(&cp, snap.tiers, set, now, c.cfg.Floor)
			for _, tier := range snap.tiers {
				before, after := it.PriceIn(tier), cp.PriceIn(tier)
				imp.Priced++
				if before.Amount != nil {
					costBefore += it.Chosen.Cost
					revBefore += *before.Amount
				}
				if after.Amount != nil {
					costAfter += it.Chosen.Cost
					revAfter += *after.Amount
				}
				if samePrice(before.Amount, after.Amount) {
					continue
				}
				imp.Changed++
				m := ImpactItem{Item: it.ID, Tier: tier, Before: before.Amount, After: after.Amount, Blocked: after.Blocked}
				switch {
				case after.Amount == nil:
					imp.NewlyBlocked = appendBounded(imp.NewlyBlocked, m)
				case before.Amount == nil:
					imp.Unblocked = appendBounded(imp.Unblocked, m)
				default:
					m.Delta = *after.Amount - *before.Amount
					if m.Delta > 0 {
						imp.Up++
						increases.add(m)
					} else {
						imp.Down++
						decreases.add(m)
					}
				}
			}
		}
	}
	imp.LargestIncreases, imp.LargestDecreases = increases.list, decreases.list
	imp.MarginBefore, imp.MarginAfter = marginPercent(costBefore, revBefore), marginPercent(costAfter, revAfter)
	return imp, nil
}

// largest keeps the impactListLen moves that come first in its order,
// in that order. A global rule moves most items in every tier (155,019
// pairs in syncd bench): keeping them all to sort them, for ten each way,
// made the preview a third slower (BENCHMARKS.md, "Margin rules").
type largest struct {
	list  []ImpactItem
	first func(a, b ImpactItem) int // < 0: a is listed before b
}

func newLargest(first func(a, b ImpactItem) int) *largest {
	return &largest{list: make([]ImpactItem, 0, impactListLen), first: first}
}

// add lists m if it comes before the last listed, or the list is short.
func (l *largest) add(m ImpactItem) {
	n := len(l.list)
	if n == impactListLen && l.first(m, l.list[n-1]) >= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(l.list, m, l.first)
	if n < impactListLen {
		l.list = append(l.list, ImpactItem{})
	}
	copy(l.list[i+1:], l.list[i:len(l.list)-1])
	l.list[i] = m
}

// increaseFirst orders the largest rise first, then by item and tier, so
// equal rises list the same way in every preview.
func increaseFirst(a, b ImpactItem) int {
	return cmp.Or(cmp.Compare(b.Delta, a.Delta), cmp.Compare(a.Item, b.Item), cmp.Compare(a.Tier, b.Tier))
}

// decreaseFirst orders the largest drop first, then by item and tier.
func decreaseFirst(a, b ImpactItem) int {
	return cmp.Or(cmp.Compare(a.Delta, b.Delta), cmp.Compare(a.Item, b.Item), cmp.Compare(a.Tier, b.Tier))
}

func appendBounded(list []ImpactItem, m ImpactItem) []ImpactItem {
	if len(list) < impactListLen {
		list = append(list, m)
	}
	return list
}

// marginPercent is (revenue − cost) / revenue × 100, as a decimal string.
func marginPercent(cost, revenue int64) string {
	if revenue == 0 {
		return "0"
	}
	r := decimal.NewFromInt(revenue)
	return r.Sub(decimal.NewFromInt(cost)).Mul(decimal.NewFromInt(100)).DivRound(r, 2).String()
}
