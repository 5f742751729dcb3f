package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/syncd/syncd/offers"
)

// Item is one canonical item with everything a merchandiser needs to see
// why it sells as it does: every linked offer, whether it may be sold, and
// which one was chosen and why.
type Item struct {
	ID     string
	GameID string
	Name   string
	Offers []*OfferState // cheapest first
	Chosen *OfferState   // nil: unavailable
	Reason string        // why Chosen was chosen, or why there is none
	// Prices by tier, in the snapshot's tier order. An item whose chosen
	// offer no price fits in a tier is blocked there: not sellable, with
	// the reason. A slice, not a map: 80,000 items × a map each is memory.
	Prices []TierPrice
}

// TierPrice is an item's price in one tier.
type TierPrice struct {
	Tier string
	Price
}

// PriceIn returns the item's price in tier (none if it has no price there).
func (it *Item) PriceIn(tier string) Price {
	for _, p := range it.Prices {
		if p.Tier == tier {
			return p.Price
		}
	}
	return Price{}
}

// OfferState is one linked offer as the last snapshot judged it.
type OfferState struct {
	ID        int64  `json:"id"`
	Supplier  string `json:"supplier"`
	Code      string `json:"code"`
	Name      string `json:"name"`
	Cost      int64  `json:"cost"`
	Active    bool   `json:"active"`
	Removed   bool   `json:"removed"`
	UpdatedAt string `json:"updated_at"`
	// SyncedAt is the supplier's last successful sync: how fresh this
	// offer's data is. Nil if the supplier never synced successfully.
	SyncedAt   *time.Time `json:"synced_at"`
	Method     string     `json:"match_method"`
	Confidence string     `json:"match_confidence"`
	Manual     bool       `json:"manual"`
	Review     bool       `json:"review"`
	Eligible   bool       `json:"eligible"`
	Ineligible string     `json:"ineligible_reason,omitempty"`
	Chosen     bool       `json:"chosen"`
	// Hold, when set, is a cost move the guard holds: the offer is not
	// sold until a sync confirms it or a merchandiser accepts it.
	Hold *offers.CostHold `json:"cost_hold,omitempty"`
	// unaffordable: eligible but for its supplier's deposit (balance.go).
	unaffordable bool
}

// Game is a canonical game with its order form.
type Game struct {
	ID      string
	Name    string
	IconURL string
	Form    []FormField
	// Settings are what each supplier that declares any needs beyond Form
	// to take the game's orders, by supplier and key (stored or default).
	Settings map[string]map[string]string
	Items    []*Item
	// Unfit says, per supplier game ("supplier/CODE"), why its orders
	// cannot be built from the game's form and settings.
	Unfit        map[string]string
	bal          *gameBalance // the deposits its items were chosen with
	answerChecks map[string][]func(string) error
}

// choose decides, per item, which offer sells it.
func (c *Catalog) choose(in *input) ([]*Item, map[string]*Game) {
	pref := map[string]int{}
	for i, s := range c.cfg.Suppliers {
		pref[s] = i + 1
	}
	rank := func(s string) int {
		if r, ok := pref[s]; ok {
			return r
		}
		return len(pref) + 1
	}
	now := c.clock()
	games := c.gameForms(in, rank)
	deposits := c.balanceFor(games)
	// One shared time per supplier, not one allocation per offer.
	syncedAt := map[string]*time.Time{}
	for name, h := range in.suppliers {
		if !h.LastSuccess.IsZero() {
			t := h.LastSuccess
			syncedAt[name] = &t
		}
	}

	byItem := map[string]*Item{}
	for i := range in.offers {
		o := &in.offers[i]
		it := byItem[o.ItemID]
		if it == nil {
			row := in.items[o.ItemID]
			if row == nil {
				continue // a link to an item that vanished: impossible by foreign key
			}
			it = &Item{ID: row.ID, GameID: row.GameID, Name: row.Name}
			byItem[o.ItemID] = it
		}
		st := o.OfferState // as loaded, judged here; each load is chosen once
		st.SyncedAt = syncedAt[o.Supplier]
		st.Ineligible = c.ineligible(in, games, o, now)
		st.Eligible = st.Ineligible == ""
		deposits.judgeOffer(st)
		it.Offers = append(it.Offers, st)
	}

	items := make([]*Item, 0, len(byItem))
	for _, it := range byItem {
		slices.SortFunc(it.Offers, func(a, b *OfferState) int {
			return cmp.Or(cmp.Compare(a.Cost, b.Cost), cmp.Compare(rank(a.Supplier), rank(b.Supplier)), cmp.Compare(a.Code, b.Code))
		})
		c.pick(it, in.items[it.ID].ChosenOfferID)
		deposits.note(it)
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *Item) int { return cmp.Compare(a.ID, b.ID) })
	return items, games
}

// pick chooses the cheapest eligible offer, unless the current one is
// still eligible and the cheapest beats it by less than the switch margin.
func (c *Catalog) pick(it *Item, current *int64) {
	var cheapest, kept *OfferState
	eligible := 0
	for _, o := range it.Offers {
		if !o.Eligible {
			continue
		}
		eligible++
		if cheapest == nil {
			cheapest = o
		}
		if current != nil && o.ID == *current {
			kept = o
		}
	}
	switch {
	case cheapest == nil:
		it.Reason = "no eligible offer"
		if len(it.Offers) > 0 {
			it.Reason = "no eligible offer: " + it.Offers[0].Supplier + " " + it.Offers[0].Ineligible
		}
		return
	case kept != nil && kept != cheapest && c.cfg.SwitchMargin.IsPositive() &&
		kept.Cost-cheapest.Cost < c.cfg.SwitchMargin.IntPart():
		it.Chosen = kept
		it.Reason = fmt.Sprintf("kept %s at %d: %s is cheaper by %d, under the switch margin of %s",
			kept.Supplier, kept.Cost, cheapest.Supplier, kept.Cost-cheapest.Cost, c.cfg.SwitchMargin)
	default:
		it.Chosen = cheapest
		switch {
		case eligible == 1:
			it.Reason = "the only eligible offer"
		default:
			next := nextEligible(it.Offers, cheapest)
			if next.Cost == cheapest.Cost {
				it.Reason = fmt.Sprintf("tied with %s at %d; %s is preferred", next.Supplier, next.Cost, cheapest.Supplier)
			} else {
				it.Reason = fmt.Sprintf("cheapest eligible: %d, next %s at %d", cheapest.Cost, next.Supplier, next.Cost)
			}
		}
	}
	it.Chosen.Chosen = true
}

func nextEligible(offers []*OfferState, not *OfferState) *OfferState {
	for _, o := range offers {
		if o.Eligible && o != not {
			return o
		}
	}
	return not
}

// ineligible says why an offer may not be sold now, or "" if it may.
func (c *Catalog) ineligible(in *input, games map[string]*Game, o *offerRow, now time.Time) string {
	sg := in.supplierGames[o.Supplier+"/"+o.GameCode]
	h, synced := in.suppliers[o.Supplier]
	switch {
	case o.Removed:
		return "removed from the supplier's catalog"
	case !o.Active:
		return "inactive at the supplier"
	case sg == nil || sg.Removed:
		return "its game is gone from the supplier's catalog"
	case !sg.Active:
		return "its game is inactive at the supplier"
	case !synced || h.LastSuccess.IsZero():
		return "the supplier has never synced successfully"
	case h.Unauthorized:
		// Its order endpoint would refuse syncd's credentials too.
		return "the supplier refused syncd's credentials at the last sync"
	// A failed sync alone does not make an offer ineligible: the supplier
	// is degraded, and its last good data is sold while it is younger
	// than StaleAfter.
	case now.Sub(h.LastSuccess) > c.cfg.StaleAfter:
		return fmt.Sprintf("the supplier's data is stale (last successful sync %s ago)", now.Sub(h.LastSuccess).Round(time.Second))
	case o.Hold != nil:
		return offers.HeldReason(o.Hold.ConfirmedCost, o.Cost)
	case o.Cost <= 0:
		return "zero cost"
	}
	if g := games[sg.GameID]; g != nil {
		if why, ok := g.Unfit[o.Supplier+"/"+o.GameCode]; ok {
			return "order form: " + why
		}
	}
	return ""
}

// gameForms builds each game's canonical form from its suppliers' forms,
// preferred supplier first, and notes which supplier games cannot be
// ordered with it.
func (c *Catalog) gameForms(in *input, rank func(string) int) map[string]*Game {
	bySupplierGame := map[string][]*supplierGameRow{}
	for _, sg := range in.supplierGames {
		bySupplierGame[sg.GameID] = append(bySupplierGame[sg.GameID], sg)
	}
	games := make(map[string]*Game, len(in.games))
	for id, row := range in.games {
		sgs := bySupplierGame[id]
		slices.SortFunc(sgs, func(a, b *supplierGameRow) int {
			// Active channels define the form before inactive ones.
			return cmp.Or(cmpBool(b.Active && !b.Removed, a.Active && !a.Removed),
				cmp.Compare(rank(a.Supplier), rank(b.Supplier)), cmp.Compare(a.Code, b.Code))
		})
		var forms []supplierForm
		for _, sg := range sgs {
			if len(sg.Form) > 0 {
				forms = append(forms, supplierForm{Supplier: sg.Supplier, GameCode: sg.Code, Fields: sg.Form})
			}
		}
		form, unfit := mergeForms(forms)
		settings := c.gameSettings(form, row.settings)
		g := &Game{ID: id, Name: row.Name, IconURL: row.IconURL, Form: form, Settings: settings, Unfit: unfit,
			answerChecks: c.answerChecks(settings)}
		// A supplier that declares game settings (a template building the
		// one string it takes from the form) is fit when they pass.
		for _, sg := range sgs {
			if why := c.settingsUnfit(sg.Supplier, form, settings); why != "" {
				unfit[sg.Supplier+"/"+sg.Code] = why
			}
		}
		games[id] = g
	}
	return games
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
