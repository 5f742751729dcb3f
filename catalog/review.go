package catalog

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Why an offer is in the review queue, most urgent first. An offer may
// have several reasons; its entry names them all, the first as Reason.
const (
	// ReviewUnreadable: the offer's name cannot be read as a denomination.
	ReviewUnreadable = "unreadable"
	// ReviewConflictingSplits: the offer's supplier game lists its total
	// with another description too (a bare total and a split of it, or two
	// splits), so which one another supplier's offer is cannot be told.
	ReviewConflictingSplits = "conflicting_splits"
	// ReviewDuplicate: the offer's supplier game lists the same item twice.
	ReviewDuplicate = "duplicate_listing"
	// ReviewUnmatched: the name reads, but was not linked (its SKU or a
	// region in it contradicts the name or the game).
	ReviewUnmatched = "unmatched"
	// ReviewLone: no other supplier sells the offer's item, while another
	// supplier has an offer of the same unit and total (or the same pass
	// and count) in another item of the same game or a sibling game.
	ReviewLone = "lone"
	// ReviewLowConfidence: linked automatically below reviewBelow.
	ReviewLowConfidence = "low_confidence"
)

var reviewOrder = []string{ReviewUnreadable, ReviewConflictingSplits, ReviewDuplicate, ReviewUnmatched, ReviewLone, ReviewLowConfidence}

// ReviewEntry is an offer waiting for a merchandiser, with why and the
// items it might be.
type ReviewEntry struct {
	Offer *OfferState `json:"offer"`
	Item  string      `json:"item"`
	Game  string      `json:"game"`
	// Reason is the most urgent of Reasons.
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

// readKey caches readings by canonical game and name: the same few
// thousand names recur across games, across a game's supplier channels
// ("[PROMO TERMURAH] V3", "BJ") and across every snapshot.
type readKey struct{ game, name string }

// reading is an offer name as read in its supplier game, with what the
// review derivation compares precomputed, so that a refresh allocates
// nothing per offer for it.
type reading struct {
	d      Denomination
	ok     bool
	key    string    // d.Key()
	split  string    // d.Split()
	compat compatKey // without the game's base
	what   int32     // compat.what as a small number, for cheap map keys
}

var (
	readingsMu sync.Mutex
	// plain holds the names that read the same in every game ("86
	// Diamonds": a known unit, no region), most of them; readings the
	// rest, by game.
	plain    = map[string]*reading{}
	readings = map[readKey]*reading{}
	whats    = map[string]int32{} // unit or "pass:" + pass → its number
)

const maxReadings = 200_000

// readOf reads an offer name as MatchOffer does, in its supplier game
// (the game's own name ignored, a region that agrees with the game
// dropped), without the SKU; readings are cached.
func readOf(gameName, name string) *reading {
	id, _, _ := gameIdentity(gameName)
	readingsMu.Lock()
	defer readingsMu.Unlock()
	return readLocked(id, gameName, name)
}

// readLocked is readOf with readingsMu held and the game's id known:
// deriveReview reads 100,000 names under one lock. A reading depends on
// the game only through its id (its base name and regions).
func readLocked(id, gameName, name string) *reading {
	if r, ok := plain[name]; ok {
		return r
	}
	k := readKey{id, name}
	if r, ok := readings[k]; ok {
		return r
	}
	r := &reading{}
	r.d, r.ok = ParseDenomination(name)
	isPlain := r.ok && r.d.known() && r.d.Region == ""
	if !isPlain {
		// What parseDenomination does with a known reading is to return
		// it: only the others need the game.
		_, _, regions := gameIdentity(gameName)
		r.d, r.ok = parseDenomination(name, gameNamePhrases(gameName))
		if r.ok && r.d.Region != "" && slices.Contains(regions, r.d.Region) {
			r.d.Region = ""
		}
	}
	if r.ok {
		r.key, r.split, r.compat = r.d.Key(), r.d.Split(), compatOf("", r.d)
	}
	if r.ok {
		w := r.compat.what
		if r.compat.pass {
			w = "pass:" + w
		}
		id, ok := whats[w]
		if !ok && len(whats) < maxReadings {
			id = int32(len(whats) + 1)
			whats[w] = id
		}
		r.what = id // 0 only past the cap: then nothing is compatible with it
	}
	switch {
	case isPlain && len(plain) < maxReadings:
		plain[name] = r
	case !isPlain && len(readings) < maxReadings:
		readings[k] = r
	}
	return r
}

// compatKey is what makes offers of two suppliers worth showing side by
// side: the base name of their game (siblings share it) and the unit and
// total, or the pass and count.
type compatKey struct {
	base   string
	what   string // unit or pass
	pass   bool
	amount int64
}

func compatOf(base string, d Denomination) compatKey {
	if d.Pass != "" {
		return compatKey{base, d.Pass, true, d.Count}
	}
	return compatKey{base, d.Unit, false, d.Quantity}
}

func (k compatKey) String() string {
	if k.pass {
		return "pass:" + k.what + ":x" + strconv.FormatInt(k.amount, 10)
	}
	return k.what + ":" + strconv.FormatInt(k.amount, 10)
}

// offerKey is compatKey for a map: the game family and the unit or pass
// as small numbers.
type offerKey struct {
	base, what int32
	amount     int64
}

// deriveReview finds every offer a merchandiser should look at, from the
// offers as loaded and the items as chosen, and marks them Review. It is
// cheap by design (names read through a cache, one map of small keys, no
// allocation per offer): it runs with every full snapshot.
func deriveReview(in *input, items []*Item, games map[string]*Game) *reviewQueue {
	q := &reviewQueue{siblings: map[string][]string{}}
	baseIDs := map[string]int32{}
	bases := make(map[*supplierGameRow]int32, len(in.supplierGames))
	ids := make(map[*supplierGameRow]string, len(in.supplierGames))
	family := map[string][]string{} // base → games
	for _, sg := range in.supplierGames {
		gid, base, _ := gameIdentity(sg.Name)
		id, ok := baseIDs[base]
		if !ok {
			id = int32(len(baseIDs))
			baseIDs[base] = id
		}
		bases[sg], ids[sg] = id, gid
		if !slices.Contains(family[base], sg.GameID) {
			family[base] = append(family[base], sg.GameID)
		}
	}
	for _, list := range family {
		slices.Sort(list)
		for _, g := range list {
			q.siblings[g] = list
		}
	}

	// Per offer, aligned with in.offers: its supplier game, its name read,
	// the group of offers of its game family and amount (chained through
	// next, -1 at the end), and whether its item has several suppliers.
	type offerInfo struct {
		sg          *supplierGameRow
		r           *reading
		group, next int32
		mixed       bool
	}
	infos := make([]offerInfo, len(in.offers))
	groups := make(map[offerKey]int32, len(in.offers)/2)
	var heads []int32
	var lastKey [2]string
	var last *supplierGameRow
	var lastID string
	amounts := map[string]map[compatKey]bool{} // of games with siblings
	readingsMu.Lock()
	for i := range in.offers {
		o := &in.offers[i]
		info := &infos[i]
		info.group, info.next = -1, -1
		if o.Removed {
			continue
		}
		if o.Supplier != lastKey[0] || o.GameCode != lastKey[1] {
			last, lastKey = in.supplierGames[o.Supplier+"/"+o.GameCode], [2]string{o.Supplier, o.GameCode}
			lastID = ids[last]
		}
		if last == nil {
			continue
		}
		info.sg, info.r = last, readLocked(lastID, last.Name, o.Name)
		if !info.r.ok || info.r.what == 0 {
			continue
		}
		if len(q.siblings[last.GameID]) > 1 {
			a := amounts[last.GameID]
			if a == nil {
				a = map[compatKey]bool{}
				amounts[last.GameID] = a
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
				infos[i].mixed = true
			}
		}
	}

	confidence := map[string]float64{}
	type flagged struct {
		reasons []string
		detail  string
		game    string
	}
	flags := map[int64]*flagged{}
	for i := range in.offers {
		o, info := &in.offers[i], infos[i]
		if o.Removed || o.Manual || info.sg == nil {
			continue // manual decisions stand
		}
		var reasons []string
		var detail []string
		if r := info.r; !r.ok {
			reasons = append(reasons, ReviewUnreadable)
			detail = append(detail, fmt.Sprintf("%q cannot be read as an amount or a pass", o.Name))
		} else if info.group >= 0 {
			// One walk of the offers of the same game family and amount:
			// this listing's other descriptions of the total, its
			// duplicates, and other suppliers' items.
			var splits, others []string
			dup := false
			for j := heads[info.group]; j >= 0; j = infos[j].next {
				other, or := &in.offers[j], infos[j].r
				switch {
				case other.Supplier == o.Supplier && other.GameCode == o.GameCode && or.key == r.key:
					if or.split != r.split && !slices.Contains(splits, or.split) {
						splits = append(splits, or.split)
					}
					dup = dup || int(j) != i && or.split == r.split
				case other.Supplier != o.Supplier && other.ItemID != o.ItemID && !slices.Contains(others, other.ItemID):
					others = append(others, other.ItemID)
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
				reasons = append(reasons, ReviewConflictingSplits)
				detail = append(detail, fmt.Sprintf("%s %s lists %s as %s", o.Supplier, o.GameCode, r.compat, strings.Join(splits, " and ")))
			}
			if dup {
				reasons = append(reasons, ReviewDuplicate)
				detail = append(detail, fmt.Sprintf("%s %s lists %q more than once", o.Supplier, o.GameCode, r.d.Label()))
			}
			if o.Method == "unmatched" && len(splits) == 0 {
				reasons = append(reasons, ReviewUnmatched)
				detail = append(detail, "its SKU or a region in its name contradicts the name or the game")
			}
			if len(others) > 0 && !info.mixed {
				slices.Sort(others)
				reasons = append(reasons, ReviewLone)
				detail = append(detail, fmt.Sprintf("no other supplier sells its item; %s is also in %s", r.compat, strings.Join(others, ", ")))
			}
		}
		if o.Method != "unmatched" {
			c, seen := confidence[o.Confidence]
			if !seen {
				c, _ = strconv.ParseFloat(o.Confidence, 64)
				confidence[o.Confidence] = c
			}
			if c < reviewBelow {
				reasons = append(reasons, ReviewLowConfidence)
				detail = append(detail, "matched with confidence "+o.Confidence)
			}
		}
		if len(reasons) > 0 {
			flags[o.ID] = &flagged{reasons: reasons, detail: strings.Join(detail, "; "), game: info.sg.Name}
		}
	}
	for _, it := range items {
		for _, o := range it.Offers {
			f := flags[o.ID]
			o.Review = f != nil
			if f == nil {
				continue
			}
			slices.SortFunc(f.reasons, func(a, b string) int {
				return cmp.Compare(slices.Index(reviewOrder, a), slices.Index(reviewOrder, b))
			})
			q.entries = append(q.entries, ReviewEntry{Offer: o, Item: it.ID, Game: it.GameID, Reason: f.reasons[0],
				Reasons: f.reasons, Detail: f.detail, gameName: f.game})
		}
	}
	slices.SortFunc(q.entries, func(a, b ReviewEntry) int {
		return cmp.Or(cmp.Compare(slices.Index(reviewOrder, a.Reason), slices.Index(reviewOrder, b.Reason)),
			cmp.Compare(a.Game, b.Game), cmp.Compare(a.Offer.Supplier, b.Offer.Supplier), cmp.Compare(a.Offer.Code, b.Offer.Code))
	})
	q.games = deriveGameReview(in, games, amounts)
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
			o.Review = true
			e.Offer = o
		}
		out.entries = append(out.entries, e)
	}
	return out
}

// suggestion is an item considered for an entry.
type suggestion struct {
	id       string
	tier     int     // 0 same unit and total / pass and count, 1 same unit or pass, 2 by name only
	distance float64 // between totals, on a log scale
	similar  float64 // of the names, 0 to 1
}

// familyIndex is the items of a game and its siblings, read by name and
// indexed so that an entry's suggestions cost a few lookups, not a scan:
// a game of 3,000 items and a queue of 30,000 entries must stay cheap.
type familyIndex struct {
	items    []candidate
	byCompat map[compatKey][]int // same unit and total, or pass and count
	byWhat   map[compatKey][]int // same unit or pass (amount 0), by amount
}

type candidate struct {
	id     string
	amount int64
	words  []string
}

func (s *Snapshot) familyIndex(games []string) *familyIndex {
	f := &familyIndex{byCompat: map[compatKey][]int{}, byWhat: map[compatKey][]int{}}
	for _, g := range games {
		e, ok := s.gameByID[g]
		if !ok {
			continue
		}
		for _, it := range e.game.Items {
			i := len(f.items)
			c := candidate{id: it.ID}
			if r := readOf(e.game.Name, it.Name); r.ok {
				k := r.compat
				c.amount = k.amount
				f.byCompat[k] = append(f.byCompat[k], i)
				w := k
				w.amount = 0
				f.byWhat[w] = append(f.byWhat[w], i)
			}
			f.items = append(f.items, c)
		}
	}
	for _, list := range f.byWhat {
		slices.SortFunc(list, func(a, b int) int { return cmp.Compare(f.items[a].amount, f.items[b].amount) })
	}
	return f
}

// words are a candidate's name words, made when first compared.
func (f *familyIndex) words(i int, s *Snapshot) []string {
	c := &f.items[i]
	if c.words == nil {
		if it, ok := s.Item(c.id); ok {
			c.words = nameWords(it.Name)
		}
	}
	return c.words
}

// suggest fills in every entry's suggestions, best first: items of the
// same game or a sibling with the same unit and total (or pass and count),
// then the nearest amounts of the same unit or pass; when there are none
// (a name that cannot be read, a pass tier of its own), the items whose
// names share most words with it.
func (q *reviewQueue) suggest(s *Snapshot) []ReviewEntry {
	out := slices.Clone(q.entries)
	families := map[string]*familyIndex{}
	for i := range out {
		e := &out[i]
		games := q.siblings[e.Game]
		if len(games) == 0 {
			games = []string{e.Game}
		}
		f := families[games[0]]
		if f == nil {
			f = s.familyIndex(games)
			families[games[0]] = f
		}
		words := nameWords(e.Offer.Name)
		var cands []suggestion
		add := func(j, tier int, distance float64) {
			c := f.items[j]
			if c.id == e.Item || slices.ContainsFunc(cands, func(x suggestion) bool { return x.id == c.id }) {
				return
			}
			cands = append(cands, suggestion{id: c.id, tier: tier, distance: distance, similar: jaccard(words, f.words(j, s))})
		}
		if r := readOf(e.gameName, e.Offer.Name); r.ok {
			k := r.compat
			for _, j := range f.byCompat[k] {
				add(j, 0, 0)
			}
			w := k
			w.amount = 0
			list := f.byWhat[w]
			at, _ := slices.BinarySearchFunc(list, k.amount, func(j int, n int64) int { return cmp.Compare(f.items[j].amount, n) })
			for j := max(0, at-6); j < min(len(list), at+6); j++ {
				if a := f.items[list[j]].amount; a != k.amount {
					add(list[j], 1, math.Abs(math.Log(float64(a)/float64(k.amount))))
				}
			}
		}
		if len(cands) == 0 {
			// Nothing of the same unit or pass (a name that cannot be read,
			// a Plus tier): the names most alike.
			for j := range f.items {
				if jaccard(words, f.words(j, s)) > 0 {
					add(j, 2, 0)
				}
			}
		}
		slices.SortFunc(cands, func(a, b suggestion) int {
			return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.distance, b.distance),
				cmp.Compare(b.similar, a.similar), cmp.Compare(a.id, b.id))
		})
		e.Suggestions = make([]string, 0, 5)
		for _, c := range cands[:min(5, len(cands))] {
			e.Suggestions = append(e.Suggestions, c.id)
		}
	}
	return out
}

// nameWords are a name's lower-case words and numbers, thousands
// separators removed, for comparing names.
func nameWords(name string) []string {
	toks, _ := lexName(name)
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		switch t.kind {
		case tokWord:
			if !isNoise(t.word) {
				out = append(out, t.word)
			}
		case tokNum:
			out = append(out, strconv.FormatInt(t.num, 10))
		}
	}
	if len(toks) == 0 {
		// lexName refuses a doubtful number; compare the raw words then.
		out = strings.Fields(strings.ToLower(name))
	}
	return out
}

// jaccard is the share of distinct words two names have in common.
func jaccard(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common, union := 0, 0
	seen := map[string]bool{}
	for _, w := range a {
		if !seen[w] {
			seen[w] = true
			union++
			if slices.Contains(b, w) {
				common++
			}
		}
	}
	for _, w := range b {
		if !seen[w] {
			seen[w] = true
			union++
		}
	}
	return float64(common) / float64(union)
}
