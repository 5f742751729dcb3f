package catalog

import (
	"slices"

	"github.com/syncd/syncd/matching"
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

// gameReviewEntries are the game pairs matching found, as the API shows
// them.
func gameReviewEntries(pairs []matching.GamePair) []GameReviewEntry {
	var out []GameReviewEntry
	for _, p := range pairs {
		out = append(out, GameReviewEntry{Game: p.Game, Sibling: p.Sibling,
			Names: listingNames(p.Listings), SiblingNames: listingNames(p.SiblingListings),
			SupplierGames: listingRefs(p.Listings), SiblingSupplierGames: listingRefs(p.SiblingListings),
			Amounts: p.Amounts, SiblingAmounts: p.SiblingAmounts, Shared: p.Shared,
			Form: p.Form, SiblingForm: p.SiblingForm, Detail: p.Detail})
	}
	return out
}

// listingNames are supplier games as "supplier/code: name", sorted.
func listingNames(ls []matching.Listing) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Supplier+"/"+l.Code+": "+l.Name)
	}
	slices.Sort(out)
	return out
}

func listingRefs(ls []matching.Listing) []SupplierGameRef {
	out := make([]SupplierGameRef, 0, len(ls))
	for _, l := range ls {
		out = append(out, SupplierGameRef{Supplier: l.Supplier, Code: l.Code, Name: l.Name})
	}
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
