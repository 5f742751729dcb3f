package catalog

import (
	"cmp"
	"slices"
	"sync"

	"github.com/syncd/syncd/matching"
)

// ReviewEntry is an offer waiting for a merchandiser, with why and the
// items it might be.
type ReviewEntry struct {
	Offer *OfferState `json:"offer"`
	Item  string      `json:"item"`
	Game  string      `json:"game"`
	// Reason is the most urgent of Reasons (matching.Unreadable, ...).
	Reason  string   `json:"reason"`
	Reasons []string `json:"reasons"`
	// Detail says it in a sentence, naming the other offers involved.
	Detail string `json:"detail"`
	// Suggestions are items of the same game or a sibling game, best
	// first: the same unit and total (or pass and count), then the nearest
	// totals of the same unit, then the most similar names.
	Suggestions []string `json:"suggestions"`

	gameName string // the offer's supplier game's name, to read its name
}

// reviewQueue is a snapshot's review queue. Entries are derived when the
// snapshot is built; their suggestions when first asked for.
type reviewQueue struct {
	entries  []ReviewEntry
	games    []GameReviewEntry
	siblings map[string][]string // game → games with the same base name, itself included

	once sync.Once
	full []ReviewEntry
}

// Review lists the offers waiting for a merchandiser, most urgent reason
// first, each with the items it might be.
func (s *Snapshot) Review() []ReviewEntry {
	q := s.review
	if q == nil {
		return nil
	}
	q.once.Do(func() { q.full = q.suggest(s) })
	return q.full
}

// reviewCount is how many offers wait, without making suggestions.
func (s *Snapshot) reviewCount() int {
	if s.review == nil {
		return 0
	}
	return len(s.review.entries)
}

// deriveReview hands the offers as loaded and the items as chosen to
// matching.Review, and makes its findings the snapshot's queue, marking
// each doubtful offer Review. It runs with every full snapshot, so it
// stays cheap: one copy of the offers, a supplier game looked up once per
// run of its offers, and an item's offers found by position (a binary
// search in a full load).
func deriveReview(in *input, items []*Item, games map[string]*Game) *reviewQueue {
	listings := make([]*matching.Listing, 0, len(in.supplierGames))
	bySG := make(map[*supplierGameRow]*matching.Listing, len(in.supplierGames))
	for _, sg := range in.supplierGames {
		l := &matching.Listing{Supplier: sg.Supplier, Code: sg.Code, Name: sg.Name, Game: sg.GameID, Manual: sg.Manual}
		listings = append(listings, l)
		bySG[sg] = l
	}
	offers := make([]matching.LinkedOffer, len(in.offers))
	var lastKey [2]string
	var last *matching.Listing
	for i := range in.offers {
		o := &in.offers[i]
		if o.Removed {
			offers[i] = matching.LinkedOffer{Removed: true}
			continue
		}
		if o.Supplier != lastKey[0] || o.GameCode != lastKey[1] {
			lastKey = [2]string{o.Supplier, o.GameCode}
			last = nil
			if sg := in.supplierGames[o.Supplier+"/"+o.GameCode]; sg != nil {
				last = bySG[sg]
			}
		}
		offers[i] = matching.LinkedOffer{Listing: last, Name: o.Name, Item: o.ItemID, Unmatched: o.Method == "unmatched",
			Confidence: o.Confidence, Manual: o.Manual}
	}
	// Which items several suppliers sell, through the offers' positions:
	// a full load reads offers in id order, so a position is a binary
	// search away (a map otherwise).
	at := func(id int64) (int, bool) { return offerAt(in.offers, id) }
	if !slices.IsSortedFunc(in.offers, func(a, b offerRow) int { return cmp.Compare(a.ID, b.ID) }) {
		pos := make(map[int64]int, len(in.offers))
		for i, o := range in.offers {
			pos[o.ID] = i
		}
		at = func(id int64) (int, bool) { i, ok := pos[id]; return i, ok }
	}
	for _, it := range items {
		mixed := false
		for _, o := range it.Offers {
			mixed = mixed || !o.Removed && o.Supplier != it.Offers[0].Supplier
		}
		if !mixed {
			continue
		}
		for _, o := range it.Offers {
			if i, ok := at(o.ID); ok {
				offers[i].Shared = true
			}
		}
	}

	found := matching.Review(listings, offers, func(game string) []string { return formKeys(games[game]) })
	q := &reviewQueue{siblings: found.Siblings, games: gameReviewEntries(found.Games)}
	for _, it := range items {
		for _, o := range it.Offers {
			i, ok := at(o.ID)
			var d matching.Doubt
			if ok {
				d, ok = found.Offers[i]
			}
			o.Review = ok
			if ok {
				q.entries = append(q.entries, ReviewEntry{Offer: o, Item: it.ID, Game: it.GameID, Reason: d.Reasons[0],
					Reasons: d.Reasons, Detail: d.Detail, gameName: offers[i].Listing.Name})
			}
		}
	}
	slices.SortFunc(q.entries, func(a, b ReviewEntry) int {
		return cmp.Or(matching.CompareReasons(a.Reason, b.Reason),
			cmp.Compare(a.Game, b.Game), cmp.Compare(a.Offer.Supplier, b.Offer.Supplier), cmp.Compare(a.Offer.Code, b.Offer.Code))
	})
	return q
}

// offerAt finds the position of offer id in offers, which load reads in
// id order.
func offerAt(offers []offerRow, id int64) (int, bool) {
	return slices.BinarySearchFunc(offers, id, func(o offerRow, id int64) int { return cmp.Compare(o.ID, id) })
}

// carry is the queue of a snapshot derived from the one q belongs to:
// links did not change, so neither did the entries, but the changed
// games' offers are new values (costs, eligibility) that take the place of
// the old ones.
func (q *reviewQueue) carry(changed map[string]*Game) *reviewQueue {
	if q == nil {
		return nil
	}
	fresh := map[int64]*OfferState{}
	for _, g := range changed {
		if g == nil {
			continue
		}
		for _, it := range g.Items {
			for _, o := range it.Offers {
				fresh[o.ID] = o
			}
		}
	}
	out := &reviewQueue{siblings: q.siblings, games: q.games, entries: make([]ReviewEntry, 0, len(q.entries))}
	for _, e := range q.entries {
		if _, ok := changed[e.Game]; ok {
			o, ok := fresh[e.Offer.ID]
			if !ok {
				continue // its game lost it
			}
			if !o.Review {
				// A fresh state; one kept from the served snapshot
				// (repriceItemsLocked) is marked already and is never
				// written once published.
				o.Review = true
			}
			e.Offer = o
		}
		out.entries = append(out.entries, e)
	}
	return out
}

// suggest fills in every entry's suggestions (matching.Family.Suggest),
// from one index of items per game family.
func (q *reviewQueue) suggest(s *Snapshot) []ReviewEntry {
	out := slices.Clone(q.entries)
	families := map[string]*matching.Family{}
	for i := range out {
		e := &out[i]
		games := q.siblings[e.Game]
		if len(games) == 0 {
			games = []string{e.Game}
		}
		f := families[games[0]]
		if f == nil {
			f = s.family(games)
			families[games[0]] = f
		}
		e.Suggestions = f.Suggest(e.gameName, e.Offer.Name, e.Item)
	}
	return out
}

// family is the items of games as matching.Family indexes them.
func (s *Snapshot) family(games []string) *matching.Family {
	var items []matching.Candidate
	for _, g := range games {
		e, ok := s.gameByID[g]
		if !ok {
			continue
		}
		for _, it := range e.game.Items {
			items = append(items, matching.Candidate{ID: it.ID, GameName: e.game.Name, Name: it.Name})
		}
	}
	return matching.NewFamily(items)
}
