package pricing

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Guard is one rule's limits on a price. Every matching rule's guard applies,
// and so does the global one; a nil field sets no limit.
//
// MinMarginPercent follows the rules contract: it bounds the price from
// below at cost·(1 + percent/100), a markup on cost.
type Guard struct {
	Source           string // who set it: a rule id, or "global"
	MinMarginPercent *decimal.Decimal
	MinMarginAmount  *decimal.Decimal
	MaxPrice         *decimal.Decimal
}

// Validate reports every problem with g: minimum margins not negative (the
// percentage at most MaxPercent with at most MaxRateDecimals places, the
// amount a whole rupiah amount), the maximum price a whole amount above 0;
// amounts at most MaxPrice.
func (g Guard) Validate() error {
	var p problems
	if pct := g.MinMarginPercent; pct != nil {
		switch {
		case pct.Sign() < 0:
			p.add("guard.min_margin_percent", "must not be negative, got %s", *pct)
		case pct.Cmp(maxPercent) > 0:
			p.add("guard.min_margin_percent", "must be at most %s, got %s", maxPercent, *pct)
		default:
			p.checkRate("guard.min_margin_percent", *pct)
		}
	}
	if g.MinMarginAmount != nil {
		p.checkAmount("guard.min_margin_amount", *g.MinMarginAmount, false)
	}
	if g.MaxPrice != nil {
		p.checkAmount("guard.max_price", *g.MaxPrice, true)
	}
	return p.err()
}

// BoundKind says which limit a Bound comes from.
type BoundKind string

// The bounds. BoundNoLoss, the cost itself, always applies.
const (
	BoundNoLoss           BoundKind = "no_loss"
	BoundMinMarginAmount  BoundKind = "min_margin_amount"
	BoundMinMarginPercent BoundKind = "min_margin_percent"
	BoundMaxPrice         BoundKind = "max_price"
)

// NoLossSource is the Source of the BoundNoLoss bound.
const NoLossSource = "built-in"

// Bound is one limit on the price at a given cost: a floor for every kind but
// BoundMaxPrice, which is a ceiling. Quote lists them so an explanation can say
// which guard set the floor and ceiling.
type Bound struct {
	Source string
	Kind   BoundKind
	Value  decimal.Decimal
}

func (b Bound) ceiling() bool { return b.Kind == BoundMaxPrice }

// bounds lists the limits guards put on the price of cost c, the no-loss
// floor first.
func bounds(c decimal.Decimal, guards []Guard) []Bound {
	out := []Bound{{Source: NoLossSource, Kind: BoundNoLoss, Value: c}}
	for _, g := range guards {
		if g.MinMarginAmount != nil {
			out = append(out, Bound{g.Source, BoundMinMarginAmount, c.Add(*g.MinMarginAmount)})
		}
		if g.MinMarginPercent != nil {
			// Exact: dividing by 100 only moves the point.
			out = append(out, Bound{g.Source, BoundMinMarginPercent, c.Mul(hundred.Add(*g.MinMarginPercent)).Shift(-2)})
		}
		if g.MaxPrice != nil {
			out = append(out, Bound{g.Source, BoundMaxPrice, *g.MaxPrice})
		}
	}
	return out
}

// limits returns the floor (the highest lower bound) and the ceiling (the
// lowest BoundMaxPrice, nil without one).
func limits(bs []Bound) (floor decimal.Decimal, ceiling *decimal.Decimal) {
	first := true
	for _, b := range bs {
		switch {
		case b.ceiling():
			if ceiling == nil || b.Value.LessThan(*ceiling) {
				v := b.Value
				ceiling = &v
			}
		case first || b.Value.GreaterThan(floor):
			floor, first = b.Value, false
		}
	}
	return floor, ceiling
}

// describe lists the floor's or the ceiling's bounds for the trace, e.g.
// "no_loss 10000 (built-in), min_margin_amount 10300 (rule-7)".
func describe(bs []Bound, ceilings bool) string {
	var parts []string
	for _, b := range bs {
		if b.ceiling() == ceilings {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", b.Kind, b.Value, b.Source))
		}
	}
	return strings.Join(parts, ", ")
}

// Floor is the lowest price guards allow at cost c: the cost itself,
// raised by every minimum margin. An order is only bought from a supplier
// whose cost keeps the order's price at or above it.
func Floor(c decimal.Decimal, guards []Guard) decimal.Decimal {
	f, _ := limits(bounds(c, guards))
	return f
}
