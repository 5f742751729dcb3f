package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/rules"
)

// Candidate is an offer an order for an item may be placed with, as it
// stands in the database now: a price webhook may have moved its cost
// since the snapshot was built.
type Candidate struct {
	OfferID  int64
	Supplier string
	Code     string // the supplier's product code
	GameCode string // the supplier's game
	Cost     int64  // now
	// Form is the supplier game's own order form; Settings the game's
	// settings for this supplier (Game.Settings), if it declares any.
	Form     []offers.Field
	Settings map[string]string
	// Eligible is the snapshot's judgement (supplier health, form fit)
	// and the offer's current state (active, not removed, its cost not
	// held by the cost guard); Ineligible says why not.
	Eligible   bool
	Ineligible string
}

// Candidates lists the offers linked to itemID in the current snapshot,
// cheapest first by current cost (ties keep the snapshot's order, which
// follows the supplier preference).
func (c *Catalog) Candidates(ctx context.Context, itemID string) ([]Candidate, error) {
	snap := c.Snapshot()
	if snap == nil {
		return nil, fmt.Errorf("candidates for %s: %w", itemID, ErrNotReady)
	}
	it, ok := snap.Item(itemID)
	if !ok {
		return nil, fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	g, _ := snap.Game(it.GameID)
	if len(it.Offers) == 0 {
		return nil, nil
	}
	// One query for all of the item's offers: this runs for every order.
	ids := make([]any, len(it.Offers))
	for i, o := range it.Offers {
		ids[i] = o.ID
	}
	now, err := c.currentOffers(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("offers of %s: %w", itemID, err)
	}
	out := make([]Candidate, 0, len(it.Offers))
	for _, o := range it.Offers {
		cur, ok := now[o.ID]
		if !ok {
			return nil, fmt.Errorf("offer %d of %s: %w", o.ID, itemID, ErrNotFound)
		}
		cand := Candidate{OfferID: o.ID, Supplier: o.Supplier, Code: o.Code, GameCode: cur.gameCode, Cost: cur.cost,
			Eligible: o.Eligible, Ineligible: o.Ineligible}
		if o.unaffordable {
			// Routing weighs the deposit itself, with the estimate as it
			// is now and no margin: a cheaper offer it can pay is bought.
			cand.Eligible, cand.Ineligible = true, ""
		}
		if g != nil {
			cand.Settings = g.Settings[o.Supplier]
		}
		if err := json.Unmarshal([]byte(cur.form), &cand.Form); err != nil {
			return nil, fmt.Errorf("form of offer %d: %w", o.ID, err)
		}
		switch {
		case !cand.Eligible:
		case cur.removed || cur.gRemove:
			cand.Eligible, cand.Ineligible = false, "removed from the supplier's catalog"
		case !cur.active || !cur.gActive:
			cand.Eligible, cand.Ineligible = false, "inactive at the supplier"
		case cur.confirmed.Valid:
			// Held since the snapshot was built: never buy at a cost
			// nobody has confirmed.
			cand.Eligible, cand.Ineligible = false, offers.HeldReason(cur.confirmed.Int64, cur.cost)
		case cand.Cost <= 0:
			cand.Eligible, cand.Ineligible = false, "zero cost"
		}
		out = append(out, cand)
	}
	slices.SortStableFunc(out, func(a, b Candidate) int { return cmp.Compare(a.Cost, b.Cost) })
	return out, nil
}

// MinPrice is the lowest price the margin guards allow for itemID in tier
// when bought from supplier at cost: the floor of the rules as this
// snapshot holds them, evaluated at now.
func (s *Snapshot) MinPrice(itemID, tier, supplier string, cost int64, now time.Time) (decimal.Decimal, error) {
	it, ok := s.Item(itemID)
	if !ok {
		return decimal.Decimal{}, fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	d := s.rules.Evaluate(rules.Subject{Game: it.GameID, Item: it.ID, Supplier: supplier, Tier: tier}, now)
	in, err := d.Input(decimal.NewFromInt(cost), s.floor...)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return pricing.Floor(in.Cost, in.Guards), nil
}
