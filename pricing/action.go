package pricing

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Kind is how an action turns a cost into a price.
type Kind string

// The margin kinds. With cost c, value v and extra amount plus:
const (
	MarkupPercent Kind = "markup_percent" // c·(1+v/100) + plus
	MarginPercent Kind = "margin_percent" // c/(1−v/100) + plus
	CostPlus      Kind = "cost_plus"      // c + v + plus
	FixedPrice    Kind = "fixed_price"    // v + plus
)

// DivisionPrecision is the number of decimal places margin_percent's division
// keeps. Its error, under 10⁻¹² rupiah, can decide a grid price only when the
// exact quotient lies that close to a grid price without being one; with
// whole-rupiah costs and percentages of a few decimals the quotient is
// either a grid price or at least 10⁻⁸ from one.
const DivisionPrecision = 12

var hundred = decimal.NewFromInt(100)

// Action is the price-setting part of a margin rule.
//
// Plus is added by all four kinds, fixed_price and cost_plus included, so
// "each with the extra plus amount" means the same thing everywhere.
type Action struct {
	Kind  Kind
	Value decimal.Decimal
	Plus  decimal.Decimal
}

// DefaultAction is what prices an item no rule matches: markup_percent 0,
// that is the cost, then rounding and guards.
func DefaultAction() Action { return Action{Kind: MarkupPercent} }

// Validate reports every problem with a, field by field:
//
//   - markup_percent: value above −100 (a discount is allowed; the floor
//     still applies), so the price rises with the cost, and at most
//     MaxPercent;
//   - margin_percent: 0 ≤ value < 100;
//   - cost_plus: value a whole rupiah amount, negative allowed, within
//     ±MaxPrice;
//   - fixed_price: value a whole rupiah amount above 0, at most MaxPrice;
//   - plus: a whole rupiah amount from 0 (a discount is what a lower value
//     is for) to MaxPrice.
//
// Percentages have at most MaxRateDecimals decimal places.
func (a Action) Validate() error {
	var p problems
	switch a.Kind {
	case MarkupPercent:
		switch {
		case a.Value.Cmp(hundred.Neg()) <= 0:
			p.add("action.value", "markup_percent must be above -100, got %s", a.Value)
		case a.Value.Cmp(maxPercent) > 0:
			p.add("action.value", "markup_percent must be at most %s, got %s", maxPercent, a.Value)
		default:
			p.checkRate("action.value", a.Value)
		}
	case MarginPercent:
		if a.Value.Sign() < 0 || a.Value.Cmp(hundred) >= 0 {
			p.add("action.value", "margin_percent must be at least 0 and below 100, got %s", a.Value)
		} else {
			p.checkRate("action.value", a.Value)
		}
	case CostPlus:
		switch {
		case !a.Value.IsInteger():
			p.add("action.value", "cost_plus must be a whole rupiah amount, got %s", a.Value)
		case a.Value.Abs().Cmp(maxPrice) > 0:
			p.add("action.value", "cost_plus must be between -%s and %s, got %s", maxPrice, maxPrice, a.Value)
		}
	case FixedPrice:
		p.checkAmount("action.value", a.Value, true)
	default:
		p.add("action.kind", "must be one of markup_percent, margin_percent, cost_plus, fixed_price; got %q", a.Kind)
	}
	p.checkAmount("action.plus", a.Plus, false)
	return p.err()
}

// apply returns the unrounded price a gives cost c and a line for the trace.
// a must be valid.
func (a Action) apply(c decimal.Decimal) (decimal.Decimal, string) {
	p := a.value(c)
	var formula string
	switch a.Kind {
	case MarkupPercent:
		formula = fmt.Sprintf("%s × (1 + %s/100)", c, a.Value)
	case MarginPercent:
		formula = fmt.Sprintf("%s / (1 − %s/100)", c, a.Value)
	case CostPlus:
		formula = fmt.Sprintf("%s + %s", c, a.Value)
	case FixedPrice:
		formula = a.Value.String()
	}
	return p, fmt.Sprintf("%s %s: %s + plus %s = %s", a.Kind, a.Value, formula, a.Plus, p)
}

// value is the action's unrounded price at cost c.
func (a Action) value(c decimal.Decimal) decimal.Decimal {
	var p decimal.Decimal
	switch a.Kind {
	case MarkupPercent:
		// c·(100+v)/100 is exact: dividing by 100 only moves the point.
		p = c.Mul(hundred.Add(a.Value)).Shift(-2)
	case MarginPercent:
		p = c.Mul(hundred).DivRound(hundred.Sub(a.Value), DivisionPrecision)
	case CostPlus:
		p = c.Add(a.Value)
	case FixedPrice:
		p = a.Value
	}
	return p.Add(a.Plus)
}
