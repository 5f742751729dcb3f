package matching

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Candidate is an item an offer in review might be: its id, its name, and
// the name of its canonical game.
type Candidate struct {
	ID       string
	GameName string
	Name     string
}

// Family is the items of a game and its siblings (Findings.Siblings), read
// by name and indexed so that an offer's suggestions cost a few lookups,
// not a scan: a game of 3,000 items and a queue of 30,000 entries must
// stay cheap. Names are split into words when first compared, so a Family
// is not safe for concurrent use.
type Family struct {
	items    []candidate
	byCompat map[compatKey][]int // same unit and total, or pass and count
	byWhat   map[compatKey][]int // same unit or pass (amount 0), by amount
}

type candidate struct {
	id     string
	name   string
	amount int64
	words  []string
}

// suggestion is an item considered for an offer.
type suggestion struct {
	id       string
	tier     int     // 0 same unit and total / pass and count, 1 same unit or pass, 2 by name only
	distance float64 // between totals, on a log scale
	similar  float64 // of the names, 0 to 1
}

// NewFamily indexes items, in the order given.
func NewFamily(items []Candidate) *Family {
	f := &Family{byCompat: map[compatKey][]int{}, byWhat: map[compatKey][]int{}}
	for _, it := range items {
		i := len(f.items)
		c := candidate{id: it.ID, name: it.Name}
		if r := readOf(it.GameName, it.Name); r.ok {
			k := r.compat
			c.amount = k.amount
			f.byCompat[k] = append(f.byCompat[k], i)
			w := k
			w.amount = 0
			f.byWhat[w] = append(f.byWhat[w], i)
		}
		f.items = append(f.items, c)
	}
	for _, list := range f.byWhat {
		slices.SortFunc(list, func(a, b int) int { return cmp.Compare(f.items[a].amount, f.items[b].amount) })
	}
	return f
}

// words are a candidate's name words, made when first compared.
func (f *Family) words(i int) []string {
	c := &f.items[i]
	if c.words == nil {
		c.words = nameWords(c.name)
	}
	return c.words
}

// Suggest lists up to five items of the family that the offer called name,
// of the supplier game called gameName, might be instead of item, best
// first: the same unit and total (or pass and count), then the nearest
// amounts of the same unit or pass; when there are none (a name that
// cannot be read, a pass tier of its own), the items whose names share
// most words with it.
func (f *Family) Suggest(gameName, name, item string) []string {
	words := nameWords(name)
	var cands []suggestion
	add := func(j, tier int, distance float64) {
		c := f.items[j]
		if c.id == item || slices.ContainsFunc(cands, func(x suggestion) bool { return x.id == c.id }) {
			return
		}
		cands = append(cands, suggestion{id: c.id, tier: tier, distance: distance, similar: jaccard(words, f.words(j))})
	}
	if r := readOf(gameName, name); r.ok {
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
			if jaccard(words, f.words(j)) > 0 {
				add(j, 2, 0)
			}
		}
	}
	slices.SortFunc(cands, func(a, b suggestion) int {
		return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.distance, b.distance),
			cmp.Compare(b.similar, a.similar), cmp.Compare(a.id, b.id))
	})
	out := make([]string, 0, 5)
	for _, c := range cands[:min(5, len(cands))] {
		out = append(out, c.id)
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
