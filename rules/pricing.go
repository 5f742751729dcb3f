package rules

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/pricing"
)

// This file is the only one that imports pricing: the rule model keeps
// its own types so that it reads, validates and compares rules alone, and
// these conversions hand pricing what it computes from.

// Pricing returns a as pricing's action. The kind names are the same
// strings in both packages.
func (a Action) Pricing() pricing.Action {
	return pricing.Action{Kind: pricing.Kind(a.Kind), Value: a.Value, Plus: a.Plus}
}

// Pricing returns g as pricing's grid.
func (g Round) Pricing() pricing.Grid {
	return pricing.Grid{Step: g.Step, Ending: g.Ending, Mode: pricing.Mode(g.Mode)}
}

// Pricing returns g as pricing's guard, set by source. A zero minimum is
// left out: it is no limit beyond the no-loss floor pricing always
// applies, and would only add a bound of nothing to the explanation.
func (g Guard) Pricing(source string) pricing.Guard {
	pg := pricing.Guard{Source: source}
	if !g.MinMarginPercent.IsZero() {
		v := g.MinMarginPercent
		pg.MinMarginPercent = &v
	}
	if !g.MinMarginAmount.IsZero() {
		v := g.MinMarginAmount
		pg.MinMarginAmount = &v
	}
	if g.MaxPrice != nil {
		v := *g.MaxPrice
		pg.MaxPrice = &v
	}
	return pg
}

// Input returns what pricing needs to price a subject at cost under d:
// the winner's action (pricing's zero action, which it reports as its
// default, when no rule matched), the grid (zero for DefaultRound, which
// pricing reports the same way), each matching rule's guard with the
// rule's id as source, then the global guards given (the configured
// floor). A decision with a Conflict has no price: Input returns an error
// matching ErrConflict with d.Reason(), and the caller blocks the item.
func (d Decision) Input(cost decimal.Decimal, global ...pricing.Guard) (pricing.Input, error) {
	if len(d.Conflict) > 0 {
		return pricing.Input{}, fmt.Errorf("%w: %s", ErrConflict, d.Reason())
	}
	in := pricing.Input{Cost: cost, Guards: make([]pricing.Guard, 0, len(d.Guards)+len(global))}
	if d.Winner != nil {
		in.Action, in.ActionSource = d.Winner.Action.Pricing(), d.Winner.ID
	}
	if d.Grid.Rule != nil {
		in.Grid, in.GridSource = d.Grid.Round.Pricing(), d.Grid.Rule.ID
	}
	for _, g := range d.Guards {
		in.Guards = append(in.Guards, g.Guard.Pricing(g.Rule.ID))
	}
	in.Guards = append(in.Guards, global...)
	return in, nil
}
