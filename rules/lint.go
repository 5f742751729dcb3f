package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/fault"
)

// Finding codes. Errors refuse a save; warnings are shown to the
// merchandiser.
const (
	CodeInvalid        = "invalid"         // error: the rule fails Validate
	CodeConflict       = "conflict"        // error: two rules tie where both apply
	CodeMatchesNothing = "matches_nothing" // warning: no catalog item and tier matches
	CodeShadowed       = "shadowed"        // warning: the rule's action can never win
	CodeExpired        = "expired"         // warning: the window closed before now
)

// MaxExamples bounds the example items a finding names.
const MaxExamples = 5

// Finding is one lint result.
type Finding struct {
	Code string `json:"code"`
	// Rules are the ids of the rules concerned; "" is a rule not yet
	// saved.
	Rules []string `json:"rules"`
	// Items are up to MaxExamples example item ids; MoreItems counts the
	// other items concerned.
	Items     []string `json:"items,omitempty"`
	MoreItems int      `json:"more_items,omitempty"`
	Message   string   `json:"message"`
}

// Findings are a lint's results, in the order of the rules given.
type Findings struct {
	Errors   []Finding `json:"errors"`
	Warnings []Finding `json:"warnings"`
}

// ErrConflict is what the error of Findings with errors is.
var ErrConflict = fault.New(fault.RuleConflict, "rules conflict")

// LintError refuses a rule set: Findings.Errors as an error.
type LintError struct {
	Findings []Finding
}

func (e *LintError) Error() string {
	msgs := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		msgs[i] = f.Message
	}
	return "rules refused: " + strings.Join(msgs, "; ")
}

// Unwrap makes a LintError match ErrConflict, and carry its code.
func (e *LintError) Unwrap() error { return ErrConflict }

// Err returns a *LintError when f has errors, else nil.
func (f Findings) Err() error {
	if len(f.Errors) == 0 {
		return nil
	}
	return &LintError{Findings: f.Errors}
}

// Lint checks a whole rule set (the saved rules with a new or changed one
// in place) against the catalog: subjects are every (game, item,
// supplier) the catalog offers, their Tier ignored; tiers are the
// storefront tiers ("public" is always added). A zero now considers all
// time; otherwise windows that closed before now are left out of the
// conflict check.
//
// Errors:
//   - invalid: a rule fails Validate (and is left out of the rest);
//   - conflict: two enabled rules that can apply to the same subject at
//     the same instant with equal specificity (Compare returns 0). "Can"
//     is decided from the matches themselves, not only today's catalog:
//     an offer added by the next sync must not make a price ambiguous. The
//     finding names the catalog items concerned today, if any.
//
// Warnings:
//   - matches_nothing: no subject and tier of the catalog matches the
//     rule, saying which of its fields finds nothing;
//   - shadowed: conservatively, every subject and tier the rule matches
//     also has an enabled, strictly more specific rule whose window
//     covers the rule's, so its action never wins (its round and guard
//     may still apply);
//   - expired: an enabled rule whose window closed before now.
func Lint(rules []Rule, subjects []Subject, tiers []string, now time.Time) Findings {
	l := newLinter(rules, tiers, now)
	l.conflicts()
	l.scan(subjects)
	return l.findings()
}

type linter struct {
	rules []Rule
	tiers []string
	now   time.Time

	ok      []bool // valid, so in the analysis
	live    []bool // ok, enabled and not expired
	invalid []Finding
	pairs   map[[2]int]*conflict // i < j

	index *matchIndex // every ok rule, ignoring time and Enabled

	matched   []int  // catalog subjects × tiers each rule matches
	shadowed  []bool // still possibly shadowed
	shadowers []map[int]bool
	seen      catalogSeen
}

type conflict struct {
	items    []string
	more     int
	lastItem string
}

// catalogSeen records what the catalog has, to say why a rule matches
// nothing.
type catalogSeen struct {
	games, items, suppliers map[string]bool
}

func newLinter(rules []Rule, tiers []string, now time.Time) *linter {
	l := &linter{
		rules:     rules,
		now:       now,
		ok:        make([]bool, len(rules)),
		live:      make([]bool, len(rules)),
		pairs:     map[[2]int]*conflict{},
		matched:   make([]int, len(rules)),
		shadowed:  make([]bool, len(rules)),
		shadowers: make([]map[int]bool, len(rules)),
		seen:      catalogSeen{map[string]bool{}, map[string]bool{}, map[string]bool{}},
	}
	l.tiers = append([]string{"public"}, tiers...)
	slices.Sort(l.tiers)
	l.tiers = slices.DeleteFunc(slices.Compact(l.tiers), func(t string) bool { return t == "" })
	var okIdx []int
	for i := range rules {
		r := &rules[i]
		if err := r.Validate(); err != nil {
			l.invalid = append(l.invalid, Finding{
				Code: CodeInvalid, Rules: []string{r.ID},
				Message: r.label() + ": " + err.Error(),
			})
			continue
		}
		l.ok[i] = true
		l.live[i] = r.Enabled && !l.expired(r)
		l.shadowed[i] = l.live[i]
		okIdx = append(okIdx, i)
	}
	l.index = newMatchIndex(rules, okIdx)
	return l
}

func (l *linter) expired(r *Rule) bool {
	return !l.now.IsZero() && !r.ValidUntil.IsZero() && !l.now.Before(r.ValidUntil)
}

// conflicts finds the pairs of live rules that tie where both can apply.
func (l *linter) conflicts() {
	for i := range l.rules {
		for j := i + 1; j < len(l.rules); j++ {
			a, b := &l.rules[i], &l.rules[j]
			if !l.live[i] || !l.live[j] || !overlap(a.Match, b.Match) || !windowsOverlap(a, b) {
				continue
			}
			if c, _ := compare(a, b); c == 0 {
				l.pairs[[2]int{i, j}] = &conflict{}
			}
		}
	}
}

// scan runs every catalog subject and tier through the rules once,
// counting matches, collecting conflict examples and refuting shadowing.
func (l *linter) scan(subjects []Subject) {
	// Sorted by item, the subjects of one item are adjacent, so a
	// conflict counts each item once without a set per conflict.
	subjects = slices.Clone(subjects)
	slices.SortFunc(subjects, func(a, b Subject) int { return cmp.Compare(a.Item, b.Item) })
	var m []int
	for _, s := range subjects {
		l.seen.games[s.Game] = true
		l.seen.items[s.Item] = true
		l.seen.suppliers[s.Supplier] = true
		for _, tier := range l.tiers {
			s.Tier = tier
			m = l.index.matching(m[:0], &s)
			l.visit(m, s.Item)
		}
	}
}

// visit accounts for one subject and tier matched by the rules m.
func (l *linter) visit(m []int, item string) {
	for x, i := range m {
		l.matched[i]++
		for _, j := range m[x+1:] {
			a, b := min(i, j), max(i, j)
			if c := l.pairs[[2]int{a, b}]; c != nil && c.lastItem != item {
				c.lastItem = item
				if len(c.items) < MaxExamples {
					c.items = append(c.items, item)
				} else {
					c.more++
				}
			}
		}
		if !l.shadowed[i] {
			continue
		}
		by := -1
		for _, j := range m {
			if l.live[j] && covers(&l.rules[j], &l.rules[i]) {
				if c, _ := compare(&l.rules[j], &l.rules[i]); c > 0 {
					by = j
					break
				}
			}
		}
		if by < 0 {
			l.shadowed[i] = false
			continue
		}
		if l.shadowers[i] == nil {
			l.shadowers[i] = map[int]bool{}
		}
		l.shadowers[i][by] = true
	}
}

func (l *linter) findings() Findings {
	f := Findings{Errors: l.invalid}
	keys := make([][2]int, 0, len(l.pairs))
	for k := range l.pairs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]int) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	for _, k := range keys {
		f.Errors = append(f.Errors, l.conflictFinding(k[0], k[1], l.pairs[k]))
	}
	for i := range l.rules {
		r := &l.rules[i]
		switch {
		case !l.ok[i]:
		case l.matched[i] == 0:
			f.Warnings = append(f.Warnings, Finding{
				Code: CodeMatchesNothing, Rules: []string{r.ID},
				Message: r.label() + " matches no item of the catalog: " + l.whyNothing(r),
			})
		case l.shadowed[i]:
			f.Warnings = append(f.Warnings, l.shadowFinding(i))
		}
		if l.ok[i] && r.Enabled && l.expired(r) {
			f.Warnings = append(f.Warnings, Finding{
				Code: CodeExpired, Rules: []string{r.ID},
				Message: r.label() + " expired at " + r.ValidUntil.Format(time.RFC3339) + "; it no longer applies",
			})
		}
	}
	return f
}

func (l *linter) conflictFinding(i, j int, c *conflict) Finding {
	a, b := &l.rules[i], &l.rules[j]
	var where string
	if n := len(c.items) + c.more; n > 0 {
		where = fmt.Sprintf("both apply to %d item(s) of the catalog, such as %s", n, strings.Join(c.items, ", "))
	} else {
		where = "no item of today's catalog has both, but any " + describe(merge(a.Match, b.Match)) + " would"
	}
	return Finding{
		Code: CodeConflict, Rules: []string{a.ID, b.ID}, Items: c.items, MoreItems: c.more,
		Message: fmt.Sprintf("%s and %s are equally specific and can apply at the same time (%s); "+
			"no creation order decides a price: give both a priority, narrow one, or make their windows not overlap",
			a.label(), b.label(), where),
	}
}

func (l *linter) shadowFinding(i int) Finding {
	r := &l.rules[i]
	by := make([]int, 0, len(l.shadowers[i]))
	for j := range l.shadowers[i] {
		by = append(by, j)
	}
	slices.Sort(by)
	ids := []string{r.ID}
	names := make([]string, len(by))
	for x, j := range by {
		ids = append(ids, l.rules[j].ID)
		names[x] = l.rules[j].label()
	}
	msg := r.label() + "'s action never wins: wherever it matches, a more specific rule always applies (" +
		strings.Join(names, ", ") + ")"
	if r.Round != nil || r.Guard != nil {
		msg += "; its round and guard still count"
	}
	return Finding{Code: CodeShadowed, Rules: ids, Message: msg}
}

// whyNothing names the fields of r the catalog has nothing for.
func (l *linter) whyNothing(r *Rule) string {
	var why []string
	m := r.Match
	if m.Game != "" && !l.seen.games[m.Game] {
		why = append(why, "no game "+quote(m.Game))
	}
	if m.Item != "" && !l.seen.items[m.Item] {
		why = append(why, "no item "+quote(m.Item))
	}
	if m.Supplier != "" && !l.seen.suppliers[m.Supplier] {
		why = append(why, "no offer from supplier "+quote(m.Supplier))
	}
	if m.Tier != "" && !slices.Contains(l.tiers, m.Tier) {
		why = append(why, "no storefront tier "+quote(m.Tier))
	}
	if len(why) == 0 {
		return "no item has all of " + describe(m)
	}
	return strings.Join(why, ", ")
}

// merge is the match of what both a and b match (they overlap).
func merge(a, b Match) Match {
	pick := func(x, y string) string { return cmp.Or(x, y) }
	return Match{Game: pick(a.Game, b.Game), Item: pick(a.Item, b.Item),
		Supplier: pick(a.Supplier, b.Supplier), Tier: pick(a.Tier, b.Tier)}
}

// describe writes a match for people: item x of supplier s for tier t.
func describe(m Match) string {
	var parts []string
	switch {
	case m.Item != "":
		parts = append(parts, "item "+m.Item)
	case m.Game != "":
		parts = append(parts, "item of game "+m.Game)
	default:
		parts = append(parts, "item")
	}
	if m.Supplier != "" {
		parts = append(parts, "from supplier "+m.Supplier)
	}
	if m.Tier != "" {
		parts = append(parts, "for tier "+m.Tier)
	}
	return strings.Join(parts, " ")
}

// matchIndex finds the rules whose match a subject meets, by item, game
// and the rest, ignoring Enabled and time.
type matchIndex struct {
	rules          []Rule
	byItem, byGame map[string][]int
	global         []int
}

func newMatchIndex(rules []Rule, idx []int) *matchIndex {
	x := &matchIndex{rules: rules, byItem: map[string][]int{}, byGame: map[string][]int{}}
	for _, i := range idx {
		m := rules[i].Match
		switch {
		case m.Item != "":
			x.byItem[m.Item] = append(x.byItem[m.Item], i)
		case m.Game != "":
			x.byGame[m.Game] = append(x.byGame[m.Game], i)
		default:
			x.global = append(x.global, i)
		}
	}
	return x
}

func (x *matchIndex) matching(m []int, s *Subject) []int {
	for _, bucket := range [][]int{x.byItem[s.Item], x.byGame[s.Game], x.global} {
		for _, i := range bucket {
			if x.rules[i].Match.matches(s) {
				m = append(m, i)
			}
		}
	}
	return m
}
