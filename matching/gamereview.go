package matching

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// GamePair is a pair of games a person should look at: their supplier
// games have the same name but one is tagged with a region or "Global"
// and the other is not ("PUBG Mobile (Global)" beside "PUBG Mobile").
// They are kept apart, as the same name in two regions often is two top-up
// channels; the evidence says how alike they are.
type GamePair struct {
	// Game is the qualified game, Sibling the bare one.
	Game, Sibling string
	// Listings and SiblingListings are the supplier games nobody decided
	// of each, by supplier and code.
	Listings, SiblingListings []Listing
	// Amounts counts the distinct amounts (unit and total, or pass and
	// count) each sells, and Shared those both sell.
	Amounts, SiblingAmounts, Shared int
	// Form and SiblingForm are the order forms' field keys.
	Form, SiblingForm []string
	Detail            string
}

// reviewGames pairs every qualified game with the bare game of the same
// base name. A listing a person placed is decided and takes no part: a
// pair is listed while the qualified game has a listing nobody decided.
// amounts holds each game's distinct amounts.
func reviewGames(listings []*Listing, form func(game string) []string, amounts map[string]map[compatKey]bool) []GamePair {
	type side struct {
		listings  []Listing
		qualified bool
	}
	sides := map[string]*side{}
	byBase := map[string][]string{}
	for _, sg := range listings {
		if sg.Manual {
			continue // a person placed it: decided
		}
		id, base, regions := gameIdentity(sg.Name)
		if id == "" {
			continue
		}
		sd := sides[sg.Game]
		if sd == nil {
			sd = &side{}
			sides[sg.Game] = sd
			byBase[base] = append(byBase[base], sg.Game)
		}
		sd.listings = append(sd.listings, *sg)
		sd.qualified = sd.qualified || len(regions) > 1 || regions[0] != defaultRegion
	}
	var out []GamePair
	for _, ids := range byBase {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		var bare []string
		for _, id := range ids {
			if !sides[id].qualified {
				bare = append(bare, id)
			}
		}
		for _, id := range ids {
			if !sides[id].qualified {
				continue
			}
			for _, b := range bare {
				p := GamePair{Game: id, Sibling: b, Amounts: len(amounts[id]), SiblingAmounts: len(amounts[b])}
				p.Listings, p.SiblingListings = sortedListings(sides[id].listings), sortedListings(sides[b].listings)
				for k := range amounts[id] {
					if amounts[b][k] {
						p.Shared++
					}
				}
				p.Form, p.SiblingForm = form(id), form(b)
				forms := fmt.Sprintf("order forms %s and %s", formText(p.Form), formText(p.SiblingForm))
				if slices.Equal(p.Form, p.SiblingForm) {
					forms = "the same order form (" + formText(p.Form) + ")"
				}
				p.Detail = fmt.Sprintf("%s is %s's name with a region or Global: %d of its %d amounts are also sold in %s (%d), %s; kept apart until a person decides",
					id, b, p.Shared, p.Amounts, b, p.SiblingAmounts, forms)
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b GamePair) int {
		return cmp.Or(cmp.Compare(a.Game, b.Game), cmp.Compare(a.Sibling, b.Sibling))
	})
	return out
}

func sortedListings(ls []Listing) []Listing {
	out := slices.Clone(ls)
	slices.SortFunc(out, func(a, b Listing) int {
		return cmp.Or(cmp.Compare(a.Supplier, b.Supplier), cmp.Compare(a.Code, b.Code))
	})
	return out
}

func formText(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, "+")
}
