package matching

import (
	"strconv"
	"strings"
)

// Denomination is what an offer's name says the buyer gets: an amount of an
// in-game currency, or a pass or membership. Two offers of one game are the
// same item exactly when their denominations have the same Key.
//
// An item is what the player receives. For a currency that is the unit and
// the total quantity: a bonus split describes the item but is not its
// identity, so "86 Diamonds", "86 (78+8) Diamonds", "78+8 Diamonds" and
// "78 Diamonds + 8 Bonus" are one item (Key "diamonds:86"); Base and Bonus
// keep the split for display and for the review of a listing that states
// two different splits of one total. For a pass it is the pass and how many
// ("Weekly Diamond Pass x2" is not "Weekly Diamond Pass").
//
// What does not change identity: thousands separators ("1.500", "1,500"),
// word order ("UC 60", "Membership Mingguan" / "Weekly Membership"), the
// game's own name or abbreviation inside the name (handled by Match,
// which knows the game), singular and plural, Indonesian and English words
// for the same thing (berlian/diamonds, mingguan/weekly, bulanan/monthly),
// marketing tags, and a pass duration that is the pass's usual one
// ("Blessing of the Welkin Moon (30 Hari)").
//
// What does: Kind (a first-top-up or double-bonus promotion is not the
// standard pack of the same total), another pass or a "Plus"/premium tier
// of it (every word of a pass name counts), the pass count, an unusual
// duration, and a region the name states.
type Denomination struct {
	// Unit is the normalised currency ("diamonds", "uc", "genesis-crystals"),
	// empty for a pass.
	Unit string
	// Quantity is the total amount of Unit, bonus included; 0 for a pass.
	Quantity int64
	// Base and Bonus are the stated split of Quantity (Base+Bonus ==
	// Quantity), both 0 when no bonus is stated. Not part of the Key.
	Base, Bonus int64
	// Kind is a promotion that makes the pack another product than the
	// standard one of the same total: "first-topup" or "double-bonus"
	// (stated, or a split whose bonus equals its base, "50+50"). Empty for
	// a standard pack.
	Kind string
	// Pass is the normalised pass or membership ("weekly-diamond-pass"),
	// empty for a currency.
	Pass string
	// Count is how many of Pass ("Weekly Diamond Pass x2" is 2); 0 for a
	// currency.
	Count int64
	// Days is a pass duration the name states when it is not the pass's
	// usual one; 0 otherwise.
	Days int64
	// Region is a region the name itself states ("86 Diamonds MY"), in the
	// vocabulary of GameID; usually empty.
	Region string
}

// Key is the identity of the denomination within a game, such as
// "diamonds:86", "diamonds:100:first-topup", "vp:1375" or
// "pass:weekly-diamond-pass:x2". A store may persist it: it changes only if
// the matching policy or its vocabulary does (then the store rekeys, as
// catalog.ApplyMatchingPolicy does).
func (d Denomination) Key() string { return d.key(false) }

// Label is Key with the bonus split when one is stated
// ("diamonds:86:78+8"): a readable name for an item id, never an identity.
func (d Denomination) Label() string { return d.key(true) }

// Split is the stated bonus split ("78+8"), "" when none is stated.
func (d Denomination) Split() string {
	if d.Bonus == 0 {
		return ""
	}
	return strconv.FormatInt(d.Base, 10) + "+" + strconv.FormatInt(d.Bonus, 10)
}

func (d Denomination) key(split bool) string {
	var b strings.Builder
	if d.Pass != "" {
		b.WriteString("pass:")
		b.WriteString(d.Pass)
		b.WriteString(":x")
		b.WriteString(strconv.FormatInt(d.Count, 10))
		if d.Days != 0 {
			b.WriteByte(':')
			b.WriteString(strconv.FormatInt(d.Days, 10))
			b.WriteByte('d')
		}
	} else {
		b.WriteString(d.Unit)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(d.Quantity, 10))
		if split && d.Bonus != 0 {
			b.WriteByte(':')
			b.WriteString(d.Split())
		}
		if d.Kind != "" {
			b.WriteByte(':')
			b.WriteString(d.Kind)
		}
	}
	if d.Region != "" {
		b.WriteByte('@')
		b.WriteString(d.Region)
	}
	return b.String()
}

// Compatible is the denomination without what tells near misses apart:
// unit and total, or pass and count. Two offers of different suppliers
// with the same Compatible in one game (or a sibling game) but in
// different items are what the review queue shows side by side.
func (d Denomination) Compatible() string {
	if d.Pass != "" {
		return "pass:" + d.Pass + ":x" + strconv.FormatInt(d.Count, 10)
	}
	return d.Unit + ":" + strconv.FormatInt(d.Quantity, 10)
}

// known reports whether the unit or pass comes from the curated vocabulary
// rather than being a slug of words the parser had never seen.
func (d Denomination) known() bool {
	if d.Pass != "" {
		return knownPasses[d.Pass]
	}
	return knownUnits[d.Unit]
}

type tokKind byte

const (
	tokNum   tokKind = 'n'
	tokWord  tokKind = 'w'
	tokPlus  tokKind = '+'
	tokOpen  tokKind = '('
	tokClose tokKind = ')'
)

type token struct {
	kind tokKind
	word string
	num  int64
}

// lexName splits an offer name into numbers, words, '+' and brackets. It
// fails on a number it cannot read with certainty ("1.5", "1.000,50").
func lexName(name string) ([]token, bool) {
	var toks []token
	rs := []rune(strings.ToLower(name))
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r >= '0' && r <= '9':
			j := i
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == '.' || rs[j] == ',') {
				j++
			}
			n, ok := parseQuantity(strings.TrimRight(string(rs[i:j]), ".,"))
			if !ok {
				return nil, false
			}
			toks = append(toks, token{kind: tokNum, num: n})
			i = j
		case r == '+':
			toks = append(toks, token{kind: tokPlus})
			i++
		case r == '(' || r == '[' || r == '{':
			toks = append(toks, token{kind: tokOpen})
			i++
		case r == ')' || r == ']' || r == '}':
			toks = append(toks, token{kind: tokClose})
			i++
		case r == '×' || r == '*':
			toks = append(toks, token{kind: tokWord, word: "x"})
			i++
		case r == '\'' || r == '’':
			i++ // "Assassin's" reads as "assassins"
		case foldLetter(r) != 0:
			var b strings.Builder
			for i < len(rs) && (foldLetter(rs[i]) != 0 || rs[i] == '\'' || rs[i] == '’') {
				if c := foldLetter(rs[i]); c != 0 {
					b.WriteRune(c)
				}
				i++
			}
			w := b.String()
			if (w == "v" || w == "q") && i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
				// A version or batch tag such as "V3" or "Q2": noise.
				for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
					i++
				}
				continue
			}
			if syn, ok := synonyms[w]; ok {
				w = syn
			}
			toks = append(toks, token{kind: tokWord, word: w})
		default:
			i++
		}
	}
	return toks, true
}

// parseQuantity reads a whole number as Indonesian and English listings write
// it: "1000", "1.000" and "1,000" are all 1000. A separator must be followed
// by exactly three digits, and only one kind of separator may be used;
// anything else ("1.5", "1.000,50") is refused rather than guessed.
func parseQuantity(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	sep := rune(0)
	digits := make([]byte, 0, len(s))
	group := -1 // digits since the last separator; -1 before the first
	lead := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
			if group >= 0 {
				group++
			} else {
				lead++
			}
		case r == '.' || r == ',':
			if sep != 0 && r != sep || group >= 0 && group != 3 || group < 0 && (lead == 0 || lead > 3) {
				return 0, false
			}
			sep, group = r, 0
		default:
			return 0, false
		}
	}
	if group >= 0 && group != 3 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(digits), 10, 64)
	return n, err == nil
}

// ParseDenomination reads an offer name such as "86 (78+8) Diamonds",
// "1.450 Diamonds", "300+30 Genesis Crystals", "UC 60" or "Weekly Diamond
// Pass x2". It reports false when the name cannot be read with confidence:
// then the offer must not be matched by its name. It does not know the
// game: Match also reads names that repeat their game's name.
func ParseDenomination(name string) (Denomination, bool) {
	return parseDenomination(name, nil)
}

// parseDenomination is ParseDenomination that first drops the phrases of
// game (the game's name and abbreviations, lower-case words) wherever they
// stand in the name: "MLBB 86 Diamonds" in Mobile Legends is "86 Diamonds".
func parseDenomination(name string, game [][]string) (Denomination, bool) {
	toks, ok := lexName(name)
	if !ok {
		return Denomination{}, false
	}
	d, ok := readTokens(toks)
	if ok && d.known() || len(game) == 0 {
		// Read as written first: "100 Valorant Points" is a unit, not the
		// game.
		return d, ok
	}
	if stripped := dropPhrases(toks, game); len(stripped) < len(toks) {
		if sd, sok := readTokens(stripped); sok {
			return sd, true // "MLBB 86 Diamonds", "Twilight Pass MLBB"
		}
	}
	return d, ok
}

func readTokens(toks []token) (Denomination, bool) {
	first, double := false, false
	for _, t := range toks {
		if t.kind == tokWord {
			first = first || firstWords[t.word]
			double = double || doubleWords[t.word]
		}
	}
	var d Denomination
	kept := toks[:0]
	isPass := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tokWord {
			switch {
			case isNoise(t.word), firstWords[t.word], doubleWords[t.word], first && firstFiller[t.word]:
				continue
			case t.word == "top" && i+1 < len(toks) && toks[i+1].kind == tokWord && toks[i+1].word == "up":
				i++ // "Top Up 86 Diamonds", "First Top Up"
				continue
			}
			if reg, ok := regionCode(t.word); ok {
				if d.Region != "" && d.Region != reg {
					return Denomination{}, false
				}
				d.Region = reg
				continue
			}
			isPass = isPass || passWords[t.word]
		}
		kept = append(kept, t)
	}
	kept = dropEmptyBrackets(kept)
	if isPass {
		if first || double {
			return Denomination{}, false // a promotion on a pass: not a shape we know
		}
		return parsePass(kept, d)
	}
	d, ok := parseCurrency(kept, d)
	if !ok {
		return Denomination{}, false
	}
	switch {
	case first:
		d.Kind = "first-topup"
	case double || d.Bonus > 0 && d.Bonus == d.Base:
		d.Kind = "double-bonus"
	}
	return d, true
}

// dropPhrases removes every run of words equal to one of phrases, longest
// first.
func dropPhrases(toks []token, phrases [][]string) []token {
	if len(phrases) == 0 {
		return toks
	}
	var out []token
	for i := 0; i < len(toks); {
		n := 0
		for _, p := range phrases {
			if len(p) > n && matchWords(toks[i:], p) {
				n = len(p)
			}
		}
		if n > 0 {
			i += n
			continue
		}
		out = append(out, toks[i])
		i++
	}
	return out
}

func matchWords(toks []token, words []string) bool {
	if len(toks) < len(words) {
		return false
	}
	for i, w := range words {
		if toks[i].kind != tokWord || toks[i].word != w {
			return false
		}
	}
	return true
}

// dropEmptyBrackets removes brackets left empty by noise removal, so
// "86 Diamonds [PROMO]" reads as "86 Diamonds".
func dropEmptyBrackets(toks []token) []token {
	out := make([]token, 0, len(toks))
	for _, t := range toks {
		if t.kind == tokClose && len(out) > 0 && out[len(out)-1].kind == tokOpen {
			out = out[:len(out)-1]
			continue
		}
		out = append(out, t)
	}
	return out
}

// parsePass reads a pass name with an optional multiplicity ("x2", "2x",
// "(x2)") and duration ("30 Hari", "7 Days"). Any other number makes the
// name doubtful.
func parsePass(toks []token, d Denomination) (Denomination, bool) {
	d.Count = 1
	var words []string
	counted, timed := false, false
	var days int64
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokOpen || t.kind == tokClose:
		case t.kind == tokWord && t.word == "x" && i+1 < len(toks) && toks[i+1].kind == tokNum,
			t.kind == tokNum && i+1 < len(toks) && toks[i+1].kind == tokWord && toks[i+1].word == "x":
			n := t.num
			if t.kind == tokWord {
				n = toks[i+1].num
			}
			if counted || n < 1 {
				return Denomination{}, false
			}
			d.Count, counted = n, true
			i++
		case t.kind == tokNum && i+1 < len(toks) && toks[i+1].kind == tokWord && dayWords[toks[i+1].word]:
			if timed || t.num < 1 || t.num > 3660 {
				return Denomination{}, false
			}
			days, timed = t.num, true
			i++
		case t.kind == tokWord:
			words = append(words, t.word)
		default:
			return Denomination{}, false
		}
	}
	p, ok := passName(words)
	if !ok {
		return Denomination{}, false
	}
	d.Pass = p
	if timed && days != usualDays[p] {
		d.Days = days
	}
	return d, true
}

// parseCurrency reads an amount of a currency: one unit phrase (it may be
// repeated, "78 Diamonds + 8 Diamonds") and numbers that read as a total
// ("86"), a split ("78+8", "78 Diamonds + 8 Bonus") or both ("86 (78+8)",
// where the split must add up). Brackets describe; they do not change the
// reading. Anything else is refused.
func parseCurrency(toks []token, d Denomination) (Denomination, bool) {
	var seq []byte
	var nums []int64
	unit, bonusWord := "", false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokOpen || t.kind == tokClose:
		case t.kind == tokNum:
			if t.num > maxQuantity {
				return Denomination{}, false
			}
			seq = append(seq, 'n')
			nums = append(nums, t.num)
		case t.kind == tokPlus:
			seq = append(seq, '+')
		case t.word == "bonus":
			bonusWord = true
		default:
			words := []string{t.word}
			for i+1 < len(toks) && toks[i+1].kind == tokWord && toks[i+1].word != "bonus" {
				i++
				words = append(words, toks[i].word)
			}
			u, ok := normaliseUnit(strings.Join(words, " "))
			if !ok || unit != "" && u != unit {
				return Denomination{}, false
			}
			unit = u
		}
	}
	if unit == "" {
		return Denomination{}, false
	}
	var total, base, bonus int64
	switch string(seq) {
	case "n":
		if bonusWord {
			return Denomination{}, false
		}
		total = nums[0]
	case "n+n":
		base, bonus = nums[0], nums[1]
		total = base + bonus
	case "nn+n":
		total, base, bonus = nums[0], nums[1], nums[2]
		if base+bonus != total {
			return Denomination{}, false
		}
	default:
		return Denomination{}, false
	}
	if total <= 0 {
		return Denomination{}, false
	}
	if bonus == 0 {
		base = 0
	}
	d.Unit, d.Quantity, d.Base, d.Bonus = unit, total, base, bonus
	return d, true
}

// maxQuantity bounds amounts so that sums cannot overflow; no top-up comes
// near it.
const maxQuantity = 1 << 40

// normaliseUnit maps a unit phrase to its normalised name. An unknown phrase
// of at most three words becomes a slug, singular and plural alike ("Nyan
// Berries", "Big Cat Coins"), unless a known unit word stands before its
// end ("Diamonds Spesial"): a slug never equals a known unit, so an unknown
// phrase can only match itself.
func normaliseUnit(phrase string) (string, bool) {
	if u, ok := units[phrase]; ok {
		return u, true
	}
	words := strings.Fields(phrase)
	if len(words) > 3 {
		return "", false
	}
	for i, w := range words {
		if unitWords[w] && i < len(words)-1 || passWords[w] || w == "x" || dayWords[w] {
			return "", false
		}
		if i == len(words)-1 {
			words[i] = singular(w)
		}
	}
	return strings.Join(words, "-"), true
}

// singular undoes the common English plurals ("berries", "coins"), so that
// a unit the vocabulary lacks still matches across singular and plural.
func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return strings.TrimSuffix(w, "ies") + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return strings.TrimSuffix(w, "s")
	}
	return w
}
