package matching

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Offer is an offer as matching sees it: who sells it, in which of the
// supplier's games, and under which code and name.
type Offer struct {
	// Supplier tells listings apart; matching never looks inside it.
	Supplier string
	GameCode string // the supplier game's code
	GameName string // the supplier game's name
	Code     string // the offer's code
	Name     string // the offer's name
	// Prefixed says that the supplier writes Code as GameCode followed by
	// the SKU ("FFMAX-BJ-V3" + "FFMAX_ID_10"); false when Code is the SKU.
	Prefixed bool
}

// Method says how an offer was linked to its canonical item.
type Method string

const (
	// MethodSKU: the denomination read from the name is confirmed by the
	// supplier's SKU.
	MethodSKU Method = "sku"
	// MethodDenomination: the name alone was read; the SKU said nothing
	// either way.
	MethodDenomination Method = "denomination"
	// MethodNone: not linked. The offer is its own item until a person
	// reviews it.
	MethodNone Method = "none"
)

// Link is where one offer belongs: its canonical game and, when it could be
// read with confidence, its canonical item within that game.
type Link struct {
	Game string // GameID of the offer's game
	// Item is the denomination key within Game; empty when !OK.
	Item         string
	SKU          string
	Denomination Denomination
	Method       Method
	// Confidence is 1 when SKU and name agree, lower when only the name
	// was read or its unit or pass was not in the vocabulary, near 0 when
	// not linked.
	Confidence float64
	// OK is false when the offer must not be merged with any other: its
	// name could not be read, or its SKU, game or name contradict each
	// other. Reason says which.
	OK     bool
	Reason string
}

// Key identifies the canonical item, e.g. "mobile-legends/diamonds:86:78+8";
// a store can derive stable item ids from it. It is empty when !OK.
func (l Link) Key() string {
	if !l.OK {
		return ""
	}
	return l.Game + "/" + l.Item
}

// SKU returns the supplier's own product code, upper-cased: offerCode less
// the gameCode prefix when it has one. Pass the supplier game's code as
// gameCode when the supplier prefixes its product codes with it (see
// Offer.Prefixed), and "" when a product code is its SKU.
func SKU(offerCode, gameCode string) string {
	code := strings.ToUpper(strings.TrimSpace(offerCode))
	prefix := strings.ToUpper(strings.TrimSpace(gameCode))
	if prefix != "" && len(code) > len(prefix) && strings.HasPrefix(code, prefix) {
		code = strings.TrimLeft(code[len(prefix):], "_-")
	}
	return code
}

// Match finds the canonical game and item of one offer. The item is
// the offer's denomination read from its name (the game's own name in it
// ignored), which the SKU confirms or says nothing about. Whenever they
// disagree, or the name cannot be read, the offer is not linked (OK false).
//
// Confidence combines the evidence: the name read with the curated
// vocabulary (0.9) or with a unit or pass it had never seen (0.75); the SKU
// naming the same amount or pass (+0.1); the SKU naming the offer's game
// (+0.05). SameItem adds the strongest evidence of all, the same SKU at two
// suppliers.
func Match(in Offer) Link {
	gameName := in.GameName
	if strings.TrimSpace(gameName) == "" {
		gameName = in.GameCode
	}
	game, base, gameRegions := gameIdentity(gameName)
	l := Link{Game: game, Method: MethodNone}
	if in.Prefixed {
		l.SKU = SKU(in.Code, in.GameCode)
	} else {
		l.SKU = SKU(in.Code, "")
	}
	if game == "" {
		l.Reason = fmt.Sprintf("game name %q has no words left after normalising", gameName)
		return l
	}
	d, ok := parseDenomination(in.Name, gameNamePhrases(gameName))
	if !ok {
		l.Reason = fmt.Sprintf("cannot read a denomination from name %q", in.Name)
		return l
	}
	if d.Region != "" {
		if !slices.Contains(gameRegions, d.Region) {
			l.Denomination = d
			l.Confidence = 0.1
			l.Reason = fmt.Sprintf("name %q states region %s, game %s is %s", in.Name, d.Region, game, strings.Join(gameRegions, "+"))
			return l
		}
		// The game already says it; keep the key the same as an offer
		// that does not repeat it.
		d.Region = ""
	}
	l.Denomination = d
	h := readSKU(l.SKU)
	if why := h.conflict(d, base, gameRegions); why != "" {
		l.Confidence = 0.1
		l.Reason = fmt.Sprintf("sku %s %s, name %q", l.SKU, why, in.Name)
		return l
	}
	l.OK, l.Item, l.Method = true, d.Key(), MethodDenomination
	l.Confidence = 0.75
	if d.known() {
		l.Confidence = 0.9
	}
	if h.confirms() {
		l.Method = MethodSKU
		l.Confidence += 0.1
	}
	if h.game != "" {
		l.Confidence += 0.05
	}
	l.Confidence = min(1, math.Round(l.Confidence*100)/100)
	return l
}

// SameSKU is the confidence of a link that another supplier's offer of
// the same item confirms with the very same SKU.
const SameSKU = 0.95

// ReviewBelow is the confidence under which an automatic link waits for a
// merchandiser in the review queue (it is still used meanwhile).
const ReviewBelow = 0.9

// SameItem reports whether two offers are the same canonical item: both are
// linked, to the same game and the same item key, and they are not two
// descriptions of one total in one supplier's listing (Groups sends
// those to review). The method is MethodSKU
// when both links are SKU-confirmed or both suppliers use the same SKU, and
// the confidence is the lower of the two, raised to 0.95 by the same SKU;
// a pair that is not the same reports MethodNone and 0.
func SameItem(a, b Offer) (bool, Method, float64) {
	la, lb := Match(a), Match(b)
	if !la.OK || !lb.OK || la.Key() != lb.Key() {
		return false, MethodNone, 0
	}
	if strings.EqualFold(a.Supplier, b.Supplier) && a.GameCode == b.GameCode && la.Denomination.Split() != lb.Denomination.Split() {
		// One listing, one total, two descriptions: do not guess.
		return false, MethodNone, 0
	}
	m := MethodDenomination
	if la.Method == MethodSKU && lb.Method == MethodSKU {
		m = MethodSKU
	}
	conf := min(la.Confidence, lb.Confidence)
	if la.SKU != "" && la.SKU == lb.SKU {
		m, conf = MethodSKU, max(conf, SameSKU)
	}
	return true, m, conf
}

// Group is one canonical item and the offers that sell it.
type Group struct {
	// Key is Link.Key of its offers; for an offer that could not be linked,
	// or that one listing makes ambiguous, a key of its own
	// ("<game>/review:<supplier>:<code>").
	Key    string
	Game   string
	Offers []int // indexes into Groups' input, in input order
	Links  []Link
	// Review is true when a person should look at the group: its offer
	// could not be linked or is ambiguous, or one supplier game lists the
	// same item twice (a duplicate or a misreading).
	Review bool
}

// Groups groups offers into canonical items, in order of first
// appearance. Offers that cannot be linked get a group of their own, marked
// for review; so does every offer of a supplier game that lists one total
// with two different descriptions (a bare total and a split of it, or two
// splits): which of them the other suppliers' offer is, nobody can tell
// from the text.
func Groups(offers []Offer) []Group {
	links := make([]Link, len(offers))
	for i, in := range offers {
		links[i] = Match(in)
	}
	ambiguous := ambiguousListings(offers, links)
	var groups []Group
	index := make(map[string]int)
	listed := make(map[string]bool) // item key + supplier + supplier game
	for i, in := range offers {
		l := links[i]
		key := l.Key()
		if key == "" || ambiguous[i] {
			key = l.Game + "/review:" + strings.ToLower(in.Supplier) + ":" + strings.TrimSpace(in.Code)
		}
		g, ok := index[key]
		if !ok {
			g = len(groups)
			index[key] = g
			groups = append(groups, Group{Key: key, Game: l.Game, Review: !l.OK || ambiguous[i]})
		}
		listing := key + "\x00" + strings.ToLower(in.Supplier) + "\x00" + in.GameCode
		if listed[listing] {
			groups[g].Review = true
		}
		listed[listing] = true
		groups[g].Offers = append(groups[g].Offers, i)
		groups[g].Links = append(groups[g].Links, l)
	}
	return groups
}

// ambiguousListings marks the offers whose supplier game lists their item
// key with more than one description (split).
func ambiguousListings(offers []Offer, links []Link) map[int]bool {
	type listing struct{ supplier, game, key string }
	splits := map[listing]map[string]bool{}
	for i, l := range links {
		if !l.OK {
			continue
		}
		k := listing{strings.ToLower(offers[i].Supplier), offers[i].GameCode, l.Key()}
		if splits[k] == nil {
			splits[k] = map[string]bool{}
		}
		splits[k][l.Denomination.Split()] = true
	}
	out := map[int]bool{}
	for i, l := range links {
		if l.OK && len(splits[listing{strings.ToLower(offers[i].Supplier), offers[i].GameCode, l.Key()}]) > 1 {
			out[i] = true
		}
	}
	return out
}

// skuHint is what an SKU says about its offer, read from codes such as
// "MLBB_ID_86", "PUBGM_60UC" or "MLBB_ID_WDP2". Zero fields say nothing.
type skuHint struct {
	game     string // expanded game abbreviation of the first segment
	region   string
	quantity int64
	unit     string
	pass     string
	count    int64
}

func readSKU(sku string) skuHint {
	var h skuHint
	segs := strings.FieldsFunc(sku, func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' })
	if len(segs) == 0 {
		return h
	}
	if len(segs) > 1 {
		if g, ok := gameAliases[strings.ToLower(segs[0])]; ok {
			h.game = g
		}
	}
	for i := 1; i < len(segs)-1; i++ {
		if r, ok := regionCode(segs[i]); ok {
			h.region = r
		}
	}
	last := segs[len(segs)-1]
	lead := strings.IndexFunc(last, isDigit)
	if lead < 0 {
		h.pass, h.count = skuPasses[last], 1
		if h.pass == "" {
			h.count = 0
		}
		return h
	}
	end := lead + strings.IndexFunc(last[lead:], func(r rune) bool { return !isDigit(r) })
	if end < lead {
		end = len(last)
	}
	n, err := strconv.ParseInt(last[lead:end], 10, 64)
	if err != nil || n <= 0 {
		return h
	}
	letters, trail := last[:lead], last[end:]
	switch {
	case letters == "" && trail == "":
		h.quantity = n
	case letters == "":
		if u, ok := skuUnits[trail]; ok {
			h.quantity, h.unit = n, u
		}
	case trail == "":
		if p, ok := skuPasses[letters]; ok {
			h.pass, h.count = p, n
		}
	}
	return h
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// confirms reports whether the SKU names a denomination at all; conflict
// has already ruled out that it names a different one.
func (h skuHint) confirms() bool { return h.quantity > 0 || h.pass != "" }

// conflict says how the SKU contradicts the name's denomination or the
// game, or returns "" when it does not. An SKU amount may be the total or,
// when the name states a split, the base ("GI_300" for "300+30").
func (h skuHint) conflict(d Denomination, gameBase string, gameRegions []string) string {
	switch {
	case h.game != "" && h.game != gameBase && !strings.HasPrefix(gameBase, h.game+" "):
		// The SKU may name the game's family (GI_ in "Genshin Impact PC"),
		// never another game (FFMAX_ in "Free Fire").
		return "is for " + h.game + ", game is " + gameBase
	case h.region != "" && !slices.Contains(gameRegions, h.region):
		return "is for region " + h.region + ", game is " + strings.Join(gameRegions, "+")
	case h.quantity > 0 && d.Pass != "":
		return fmt.Sprintf("says an amount of %d", h.quantity)
	case h.quantity > 0 && h.quantity != d.Quantity && h.quantity != d.Base:
		return fmt.Sprintf("says %d", h.quantity)
	case h.unit != "" && h.unit != d.Unit:
		return "says unit " + h.unit
	case h.pass != "" && (h.pass != d.Pass || h.count != d.Count):
		return fmt.Sprintf("says pass %s x%d", h.pass, h.count)
	}
	return ""
}
