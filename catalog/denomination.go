package catalog

import (
	"strconv"
	"strings"
)

// Denomination is what an offer's name says the buyer gets: an amount of an
// in-game currency, or a pass or membership. Two offers of one game are the
// same item exactly when their denominations have the same Key.
//
// The bonus split is part of the identity: "86 (78+8) Diamonds" and
// "86 (80+6) Diamonds" are different items (events count base diamonds
// only). However it is written — "86 (78+8) Diamonds", "78+8 Diamonds",
// "86 Diamonds (78+8)", "78 Diamonds + 8 Bonus" — the same split gives the
// same Denomination: Quantity is always the total, Base and Bonus the split.
// A split with no bonus ("5 (5+0)") is stored as no split, so it equals a bare
// "5 Diamonds". A bare total is read literally, as no stated bonus: "330
// Genesis Crystals" is not "300+30 Genesis Crystals", and "172 Diamonds" is
// not "172 (156+16) Diamonds". They are probably the same pack, but the text
// does not prove it, so they are left apart for a person to merge.
type Denomination struct {
	// Unit is the normalised currency ("diamonds", "uc", "genesis-crystals"),
	// empty for a pass.
	Unit string
	// Quantity is the total amount of Unit, bonus included; 0 for a pass.
	Quantity int64
	// Base and Bonus are the stated split of Quantity (Base+Bonus ==
	// Quantity), both 0 when no bonus is stated.
	Base, Bonus int64
	// Pass is the normalised pass or membership ("weekly-diamond-pass"),
	// empty for a currency.
	Pass string
	// Count is how many of Pass ("Weekly Diamond Pass x2" is 2); 0 for a
	// currency.
	Count int64
	// Region is a region the name itself states ("86 Diamonds MY"), in the
	// vocabulary of GameID; usually empty.
	Region string
}

// Key is a stable, readable identity of the denomination within a game, such
// as "diamonds:86:78+8", "vp:1375" or "pass:weekly-diamond-pass:x2". A store
// may persist it: it changes only if the parser's vocabulary does.
func (d Denomination) Key() string {
	var b strings.Builder
	if d.Pass != "" {
		b.WriteString("pass:")
		b.WriteString(d.Pass)
		b.WriteString(":x")
		b.WriteString(strconv.FormatInt(d.Count, 10))
	} else {
		b.WriteString(d.Unit)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(d.Quantity, 10))
		if d.Bonus != 0 {
			b.WriteByte(':')
			b.WriteString(strconv.FormatInt(d.Base, 10))
			b.WriteByte('+')
			b.WriteString(strconv.FormatInt(d.Bonus, 10))
		}
	}
	if d.Region != "" {
		b.WriteByte('@')
		b.WriteString(d.Region)
	}
	return b.String()
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
// "1.450 Diamonds", "300+30 Genesis Crystals" or "Weekly Diamond Pass x2".
// It reports false when the name cannot be read with confidence: then the
// offer must not be matched by its name.
func ParseDenomination(name string) (Denomination, bool) {
	toks, ok := lexName(name)
	if !ok {
		return Denomination{}, false
	}
	var d Denomination
	kept := toks[:0]
	isPass := false
	for _, t := range toks {
		if t.kind == tokWord {
			if isNoise(t.word) {
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
		return parsePass(kept, d)
	}
	return parseCurrency(kept, d)
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
// "(x2)"). Any other number makes the name doubtful.
func parsePass(toks []token, d Denomination) (Denomination, bool) {
	d.Count = 1
	var words []string
	counted := false
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
		case t.kind == tokWord:
			words = append(words, t.word)
		default:
			return Denomination{}, false
		}
	}
	phrase := strings.Join(words, " ")
	if p, ok := passes[phrase]; ok {
		d.Pass = p
		return d, true
	}
	if len(words) == 0 || len(words) > 5 {
		return Denomination{}, false
	}
	d.Pass = strings.Join(words, "-")
	return d, true
}

// parseCurrency reads an amount of a currency. The token stream is reduced
// to a shape — n number, u unit phrase, b "bonus", + and brackets — and only
// the shapes suppliers are known to use are accepted.
func parseCurrency(toks []token, d Denomination) (Denomination, bool) {
	var shape []byte
	var nums []int64
	var phrases []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tokNum:
			shape = append(shape, 'n')
			nums = append(nums, t.num)
		case t.kind == tokWord && t.word == "bonus":
			shape = append(shape, 'b')
		case t.kind == tokWord:
			words := []string{t.word}
			for i+1 < len(toks) && toks[i+1].kind == tokWord && toks[i+1].word != "bonus" {
				i++
				words = append(words, toks[i].word)
			}
			shape = append(shape, 'u')
			phrases = append(phrases, strings.Join(words, " "))
		default:
			shape = append(shape, byte(t.kind))
		}
	}
	unit := ""
	for _, p := range phrases {
		u, ok := normaliseUnit(p)
		if !ok || unit != "" && u != unit {
			return Denomination{}, false
		}
		unit = u
	}
	if unit == "" {
		return Denomination{}, false
	}
	for _, n := range nums {
		if n > maxQuantity {
			return Denomination{}, false
		}
	}
	var total, base, bonus int64
	switch string(shape) {
	case "nu", "un":
		total = nums[0]
	case "n(n+n)u", "nu(n+n)", "un(n+n)":
		total, base, bonus = nums[0], nums[1], nums[2]
		if base+bonus != total {
			return Denomination{}, false
		}
	case "n+nu", "un+n", "n+nbu", "nu+nb", "nu+nbu", "nu(+nb)", "nu(+n)", "n(+nb)u", "n(+n)u":
		base, bonus = nums[0], nums[1]
		total = base + bonus
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
// of at most three words becomes a slug, singular and plural alike, unless it
// mixes in a known unit word.
func normaliseUnit(phrase string) (string, bool) {
	if u, ok := units[phrase]; ok {
		return u, true
	}
	words := strings.Fields(phrase)
	if len(words) > 3 {
		return "", false
	}
	for i, w := range words {
		if unitWords[w] || passWords[w] || w == "x" {
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
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return strings.TrimSuffix(w, "s")
	}
	return w
}
