package matching

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Why an offer is in the review queue, most urgent first. An offer may
// have several reasons; its Doubt names them all, the most urgent first.
const (
	// Unreadable: the offer's name cannot be read as a denomination.
	Unreadable = "unreadable"
	// ConflictingSplits: the offer's supplier game lists its total with
	// another description too (a bare total and a split of it, or two
	// splits), so which one another supplier's offer is cannot be told.
	ConflictingSplits = "conflicting_splits"
	// DuplicateListing: the offer's supplier game lists the same item
	// twice.
	DuplicateListing = "duplicate_listing"
	// Unmatched: the name reads, but was not linked (its SKU or a region in
	// it contradicts the name or the game).
	Unmatched = "unmatched"
	// Lone: no other supplier sells the offer's item, while another
	// supplier has an offer of the same unit and total (or the same pass
	// and count) in another item of the same game or a sibling game.
	Lone = "lone"
	// LowConfidence: linked automatically below ReviewBelow.
	LowConfidence = "low_confidence"
)

var reasonOrder = []string{Unreadable, ConflictingSplits, DuplicateListing, Unmatched, Lone, LowConfidence}

// CompareReasons orders two reasons by urgency, the most urgent first.
func CompareReasons(a, b string) int {
	return cmp.Compare(slices.Index(reasonOrder, a), slices.Index(reasonOrder, b))
}

// Listing is a supplier's game as linked: the supplier's code and name for
// it, and the canonical game it is in (GameID of its name, unless a person
// placed it elsewhere).
type Listing struct {
	Supplier string
	Code     string
	Name     string
	Game     string
	// Manual: a person linked or split it; the game review leaves it
	// alone.
	Manual bool
}

// LinkedOffer is an offer as linking left it, as the review reads it.
type LinkedOffer struct {
	// Listing is the offer's supplier game, one of those given to Review;
	// nil when it has none (then the offer is not reviewed).
	Listing *Listing
	Name    string
	// Item is the id of the item the offer is linked to.
	Item string
	// Unmatched: linking could not match the offer, which is an item of
	// its own.
	Unmatched bool
	// Confidence is the link's confidence as stored ("0.85").
	Confidence string
	// Manual: a merchandiser decided the link; it is never reviewed.
	Manual  bool
	Removed bool
	// Shared: another supplier sells the offer's item too.
	Shared bool
}

// Doubt is why an offer should be looked at.
type Doubt struct {
	// Reasons are the reasons above, the most urgent first.
	Reasons []string
	// Detail says it in a sentence, naming the other offers involved.
	Detail string
}

// Findings is what Review finds.
type Findings struct {
	// Offers are the doubtful offers, by position in the offers given.
	Offers map[int]Doubt
	// Games are the game pairs waiting for a person, by game and sibling.
	Games []GamePair
	// Siblings maps each canonical game to the games of its base name
	// (BaseName), itself included, sorted: where Family looks for
	// suggestions.
	Siblings map[string][]string
}

// offerKey is compatKey for a map: the game family and the unit or pass
// as small numbers.
type offerKey struct {
	base, what int32
	amount     int64
}

// Review finds every offer and game a merchandiser should look at, from
// the supplier games and offers as linked. form gives a canonical game's
// order form field keys, for the game pairs' evidence.
//
// It is cheap by design (names read through a cache, one map of small
// keys, no allocation per offer): a store runs it with every full
// snapshot, never only at link time, so an offer that arrives later at
// another supplier brings its doubts with it.
func Review(listings []*Listing, offers []LinkedOffer, form func(game string) []string) Findings {
	found := Findings{Offers: map[int]Doubt{}, Siblings: map[string][]string{}}
	baseIDs := map[string]int32{}
	bases := make(map[*Listing]int32, len(listings))
	ids := make(map[*Listing]string, len(listings))
	family := map[string][]string{} // base → games
	for _, sg := range listings {
		gid, base, _ := gameIdentity(sg.Name)
		id, ok := baseIDs[base]
		if !ok {
			id = int32(len(baseIDs))
			baseIDs[base] = id
		}
		bases[sg], ids[sg] = id, gid
		if !slices.Contains(family[base], sg.Game) {
			family[base] = append(family[base], sg.Game)
		}
	}
	for _, list := range family {
		slices.Sort(list)
		for _, g := range list {
			found.Siblings[g] = list
		}
	}

	// Per offer, aligned with offers: its name read, the group of offers
	// of its game family and amount (chained through next, -1 at the
	// end).
	type offerInfo struct {
		r           *reading
		group, next int32
	}
	infos := make([]offerInfo, len(offers))
	groups := make(map[offerKey]int32, len(offers)/2)
	var heads []int32
	var last *Listing
	var lastID string
	amounts := map[string]map[compatKey]bool{} // of games with siblings
	readingsMu.Lock()
	for i := range offers {
		o := &offers[i]
		info := &infos[i]
		info.group, info.next = -1, -1
		if o.Removed || o.Listing == nil {
			continue
		}
		if o.Listing != last {
			last, lastID = o.Listing, ids[o.Listing]
		}
		info.r = readLocked(lastID, last.Name, o.Name)
		if !info.r.ok || info.r.what == 0 {
			continue
		}
		if len(found.Siblings[last.Game]) > 1 {
			a := amounts[last.Game]
			if a == nil {
				a = map[compatKey]bool{}
				amounts[last.Game] = a
			}
			a[info.r.compat] = true
		}
		k := offerKey{bases[last], info.r.what, info.r.compat.amount}
		g, ok := groups[k]
		if !ok {
			g = int32(len(heads))
			groups[k] = g
			heads = append(heads, -1)
		}
		info.group, info.next, heads[g] = g, heads[g], int32(i)
	}
	readingsMu.Unlock()

	confidence := map[string]float64{}
	for i := range offers {
		o, info := &offers[i], infos[i]
		if o.Removed || o.Manual || o.Listing == nil {
			continue // manual decisions stand
		}
		l := o.Listing
		var reasons []string
		var detail []string
		if r := info.r; !r.ok {
			reasons = append(reasons, Unreadable)
			detail = append(detail, fmt.Sprintf("%q cannot be read as an amount or a pass", o.Name))
		} else if info.group >= 0 {
			// One walk of the offers of the same game family and amount:
			// this listing's other descriptions of the total, its
			// duplicates, and other suppliers' items.
			var splits, others []string
			dup := false
			for j := heads[info.group]; j >= 0; j = infos[j].next {
				other, or := &offers[j], infos[j].r
				switch {
				case other.Listing.Supplier == l.Supplier && other.Listing.Code == l.Code && or.key == r.key:
					if or.split != r.split && !slices.Contains(splits, or.split) {
						splits = append(splits, or.split)
					}
					dup = dup || int(j) != i && or.split == r.split
				case other.Listing.Supplier != l.Supplier && other.Item != o.Item && !slices.Contains(others, other.Item):
					others = append(others, other.Item)
				}
			}
			if len(splits) > 0 {
				splits = append(splits, r.split)
				for k, sp := range splits {
					if sp == "" {
						splits[k] = "a bare total"
					}
				}
				slices.Sort(splits)
				reasons = append(reasons, ConflictingSplits)
				detail = append(detail, fmt.Sprintf("%s %s lists %s as %s", l.Supplier, l.Code, r.compat, strings.Join(splits, " and ")))
			}
			if dup {
				reasons = append(reasons, DuplicateListing)
				detail = append(detail, fmt.Sprintf("%s %s lists %q more than once", l.Supplier, l.Code, r.d.Label()))
			}
			if o.Unmatched && len(splits) == 0 {
				reasons = append(reasons, Unmatched)
				detail = append(detail, "its SKU or a region in its name contradicts the name or the game")
			}
			if len(others) > 0 && !o.Shared {
				slices.Sort(others)
				reasons = append(reasons, Lone)
				detail = append(detail, fmt.Sprintf("no other supplier sells its item; %s is also in %s", r.compat, strings.Join(others, ", ")))
			}
		}
		if !o.Unmatched {
			c, seen := confidence[o.Confidence]
			if !seen {
				c, _ = strconv.ParseFloat(o.Confidence, 64)
				confidence[o.Confidence] = c
			}
			if c < ReviewBelow {
				reasons = append(reasons, LowConfidence)
				detail = append(detail, "matched with confidence "+o.Confidence)
			}
		}
		if len(reasons) > 0 {
			slices.SortFunc(reasons, CompareReasons)
			found.Offers[i] = Doubt{Reasons: reasons, Detail: strings.Join(detail, "; ")}
		}
	}
	found.Games = reviewGames(listings, form, amounts)
	return found
}
