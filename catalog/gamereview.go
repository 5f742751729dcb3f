package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// GameReviewEntry is a pair of games a person should look at: their
// supplier games have the same name but one is tagged with a region or
// "Global" and the other is not ("PUBG Mobile (Global)" beside "PUBG
// Mobile"). They are kept apart, as the same name in two regions often is
// two top-up channels; the evidence says how alike they are.
type GameReviewEntry struct {
	// Game is the qualified game, Sibling the bare one.
	Game    string `json:"game"`
	Sibling string `json:"sibling"`
	// Names are the supplier games of each, as "supplier/code: name";
	// SupplierGames and SiblingSupplierGames the same, to act on.
	Names                []string          `json:"names"`
	SiblingNames         []string          `json:"sibling_names"`
	SupplierGames        []SupplierGameRef `json:"supplier_games"`
	SiblingSupplierGames []SupplierGameRef `json:"sibling_supplier_games"`
	// Amounts counts the distinct amounts (unit and total, or pass and
	// count) each sells, and Shared those both sell.
	Amounts        int `json:"amounts"`
	SiblingAmounts int `json:"sibling_amounts"`
	Shared         int `json:"shared"`
	// Form and SiblingForm are the order forms' field keys.
	Form        []string `json:"form"`
	SiblingForm []string `json:"sibling_form"`
	Detail      string   `json:"detail"`
}

// SupplierGameRef names a supplier's game.
type SupplierGameRef struct {
	Supplier string `json:"supplier"`
	Code     string `json:"code"`
	Name     string `json:"name"`
}

// GameReview lists the game pairs waiting for a person, by game. A
// supplier game a person linked or split (LinkGame, SplitGame) is
// decided and takes no part: a pair is listed while the qualified game
// has a supplier game nobody decided.
func (s *Snapshot) GameReview() []GameReviewEntry {
	if s.review == nil {
		return nil
	}
	return s.review.games
}

// deriveGameReview pairs every qualified game with the bare game of the
// same base name. amounts holds each game's distinct amounts.
func deriveGameReview(in *input, games map[string]*Game, amounts map[string]map[compatKey]bool) []GameReviewEntry {
	type side struct {
		names     []string
		refs      []SupplierGameRef
		qualified bool
	}
	sides := map[string]*side{}
	byBase := map[string][]string{}
	for _, sg := range in.supplierGames {
		if sg.Manual {
			continue // a person placed it: decided
		}
		id, base, regions := gameIdentity(sg.Name)
		if id == "" {
			continue
		}
		sd := sides[sg.GameID]
		if sd == nil {
			sd = &side{}
			sides[sg.GameID] = sd
			byBase[base] = append(byBase[base], sg.GameID)
		}
		sd.names = append(sd.names, sg.Supplier+"/"+sg.Code+": "+sg.Name)
		sd.refs = append(sd.refs, SupplierGameRef{Supplier: sg.Supplier, Code: sg.Code, Name: sg.Name})
		sd.qualified = sd.qualified || len(regions) > 1 || regions[0] != defaultRegion
	}
	var out []GameReviewEntry
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
				e := GameReviewEntry{Game: id, Sibling: b, Amounts: len(amounts[id]), SiblingAmounts: len(amounts[b])}
				e.Names, e.SiblingNames = slices.Sorted(slices.Values(sides[id].names)), slices.Sorted(slices.Values(sides[b].names))
				e.SupplierGames, e.SiblingSupplierGames = sortedRefs(sides[id].refs), sortedRefs(sides[b].refs)
				for k := range amounts[id] {
					if amounts[b][k] {
						e.Shared++
					}
				}
				e.Form, e.SiblingForm = formKeys(games[id]), formKeys(games[b])
				form := fmt.Sprintf("order forms %s and %s", formText(e.Form), formText(e.SiblingForm))
				if slices.Equal(e.Form, e.SiblingForm) {
					form = "the same order form (" + formText(e.Form) + ")"
				}
				e.Detail = fmt.Sprintf("%s is %s's name with a region or Global: %d of its %d amounts are also sold in %s (%d), %s; kept apart until a person decides",
					id, b, e.Shared, e.Amounts, b, e.SiblingAmounts, form)
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b GameReviewEntry) int {
		return cmp.Or(cmp.Compare(a.Game, b.Game), cmp.Compare(a.Sibling, b.Sibling))
	})
	return out
}

func sortedRefs(refs []SupplierGameRef) []SupplierGameRef {
	out := slices.Clone(refs)
	slices.SortFunc(out, func(a, b SupplierGameRef) int {
		return cmp.Or(cmp.Compare(a.Supplier, b.Supplier), cmp.Compare(a.Code, b.Code))
	})
	return out
}

func formKeys(g *Game) []string {
	keys := []string{}
	if g == nil {
		return keys
	}
	for _, f := range g.Form {
		keys = append(keys, f.Key)
	}
	return keys
}

func formText(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, "+")
}
