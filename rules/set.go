package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Set is a compiled, immutable rule set: what decides, for each subject,
// the winning rule, the grid and the guards. It is safe for concurrent use.
//
// Rules are indexed by the item or game they name, so Evaluate looks only
// at the rules that can match a subject, already in specificity order.
type Set struct {
	rules   []Rule // enabled rules, most specific first
	byItem  map[string][]int32
	byGame  map[string][]int32
	global  []int32
	changes []time.Time // window bounds, ascending, unique
}

// NewSet compiles rules. Disabled rules are left out; every enabled rule
// must be valid. The rules are copied: later changes to them do not reach
// the set.
func NewSet(rules []Rule) (*Set, error) {
	s := &Set{byItem: map[string][]int32{}, byGame: map[string][]int32{}}
	var errs []error
	for _, r := range rules {
		if !r.Enabled {
			continue
		}
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("compile %s: %w", r.label(), err))
			continue
		}
		s.rules = append(s.rules, clone(r))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// Ranking once makes each bucket's order, and so every match list,
	// consistent with Compare: a rule that beats another comes first.
	slices.SortStableFunc(s.rules, rank)
	for i, r := range s.rules {
		switch {
		case r.Match.Item != "":
			s.byItem[r.Match.Item] = append(s.byItem[r.Match.Item], int32(i))
		case r.Match.Game != "":
			s.byGame[r.Match.Game] = append(s.byGame[r.Match.Game], int32(i))
		default:
			s.global = append(s.global, int32(i))
		}
		for _, t := range []time.Time{r.ValidFrom, r.ValidUntil} {
			if !t.IsZero() {
				s.changes = append(s.changes, t)
			}
		}
	}
	slices.SortFunc(s.changes, time.Time.Compare)
	s.changes = slices.CompactFunc(s.changes, time.Time.Equal)
	return s, nil
}

// rank orders rules most specific first: a total order that agrees with
// Compare wherever Compare decides. Rules with a priority come before
// those without in the same class, which only orders the trace: Compare
// still calls them a tie.
func rank(a, b Rule) int {
	if c := cmp.Compare(target(b.Match), target(a.Match)); c != 0 {
		return c
	}
	if c := cmp.Compare(named(b.Match), named(a.Match)); c != 0 {
		return c
	}
	if aw, bw := a.windowed(), b.windowed(); aw != bw {
		if aw {
			return -1
		}
		return 1
	}
	switch {
	case a.Priority != nil && b.Priority != nil:
		return cmp.Compare(*b.Priority, *a.Priority)
	case a.Priority != nil:
		return -1
	case b.Priority != nil:
		return 1
	}
	return 0
}

func clone(r Rule) Rule {
	if r.Round != nil {
		g := *r.Round
		r.Round = &g
	}
	if r.Guard != nil {
		g := *r.Guard
		if g.MaxPrice != nil {
			p := *g.MaxPrice
			g.MaxPrice = &p
		}
		r.Guard = &g
	}
	if r.Priority != nil {
		p := *r.Priority
		r.Priority = &p
	}
	return r
}

// Len returns the number of enabled rules in the set.
func (s *Set) Len() int { return len(s.rules) }

// ForItem returns the enabled rules that name item, most specific first,
// as copies: changing them does not change the set.
func (s *Set) ForItem(item string) []Rule {
	idx := s.byItem[item]
	out := make([]Rule, len(idx))
	for i, j := range idx {
		out[i] = clone(s.rules[j])
	}
	return out
}

// Decision is what the rule set decides for one subject at one instant.
// Its *Rule pointers point into the Set: read them, never modify them.
type Decision struct {
	// Winner is the most specific matching rule. nil with an empty
	// Conflict: no rule matches and DefaultAction (markup_percent 0)
	// prices the item.
	Winner *Rule
	// Conflict lists matching rules that tie for the win (or, with
	// different grids, for the grid) with nothing to break the tie. Lint
	// refuses such rule sets, so this only happens with rules saved
	// without it. No price can be decided: the caller must block the
	// item and show Reason(). Winner is nil.
	Conflict []*Rule
	// Beaten holds every other enabled matching rule valid at the
	// instant, most specific first, with the criterion it lost on.
	Beaten []Beaten
	// Grid is the round of the most specific matching rule that sets
	// one, even when that is not the winner; DefaultRound otherwise.
	Grid Grid
	// Guards holds the guard of every matching rule that sets one,
	// winner and beaten alike, most specific first. All of them apply.
	Guards []RuleGuard

	gridTie bool // Conflict is on the grid, not the win
}

// Beaten is a matching rule that lost, and the criterion it lost on (one
// of ByTarget, BySupplierTier, ByWindow, ByPriority).
type Beaten struct {
	Rule   *Rule
	Reason string
}

// Grid is the price grid in force and the rule that set it (nil for
// DefaultRound).
type Grid struct {
	Round
	Rule *Rule
}

// RuleGuard is a guard in force and the rule that set it.
type RuleGuard struct {
	Guard
	Rule *Rule
}

// Action returns the action that prices the subject: the winner's, or
// DefaultAction when no rule matches. It is meaningless with a Conflict.
func (d Decision) Action() Action {
	if d.Winner == nil {
		return DefaultAction()
	}
	return d.Winner.Action
}

// Evaluate decides the winning rule, the grid and the guards for subj at
// now. Only enabled rules whose window [ValidFrom, ValidUntil) contains
// now match.
func (s *Set) Evaluate(subj Subject, now time.Time) Decision {
	var buf [16]int32
	m := buf[:0]
	// The buckets are rank-ordered and item rules outrank game rules,
	// which outrank global ones: the concatenation stays in rank order.
	m = s.collect(m, s.byItem[subj.Item], subj, now)
	m = s.collect(m, s.byGame[subj.Game], subj, now)
	m = s.collect(m, s.global, subj, now)

	d := Decision{Grid: Grid{Round: DefaultRound()}}
	if len(m) == 0 {
		return d
	}
	first := &s.rules[m[0]]
	if len(m) > 1 {
		d.Beaten = make([]Beaten, 0, len(m)-1)
	}
	guards := 0
	for x, i := range m {
		r := &s.rules[i]
		if r.Guard != nil {
			guards++
		}
		if x == 0 {
			continue
		}
		if c, why := compare(first, r); c > 0 {
			d.Beaten = append(d.Beaten, Beaten{Rule: r, Reason: why})
		} else {
			d.Conflict = append(d.Conflict, r)
		}
	}
	if guards > 0 {
		d.Guards = make([]RuleGuard, 0, guards)
		for _, i := range m {
			if r := &s.rules[i]; r.Guard != nil {
				d.Guards = append(d.Guards, RuleGuard{Guard: *r.Guard, Rule: r})
			}
		}
	}
	gridTie := s.grid(&d, m)
	switch {
	case len(d.Conflict) > 0:
		d.Conflict = append([]*Rule{first}, d.Conflict...)
	case len(gridTie) > 0:
		d.Conflict = gridTie
		d.gridTie = true
	default:
		d.Winner = first
	}
	return d
}

// Reason says in one sentence how the action was chosen, for the explain
// trace.
func (d Decision) Reason() string {
	switch {
	case d.gridTie:
		return tieReason(d.Conflict, "the grid (their rounds differ)")
	case len(d.Conflict) > 0:
		return tieReason(d.Conflict, "the win")
	case d.Winner == nil:
		return "no rule matches: the built-in default markup_percent 0 applies (sell at cost; guards still apply)"
	}
	return d.Winner.label() + " is the most specific matching rule"
}

// collect appends the rules of bucket that match subj at now.
func (s *Set) collect(m, bucket []int32, subj Subject, now time.Time) []int32 {
	for _, i := range bucket {
		r := &s.rules[i]
		if r.Match.matches(&subj) && r.validAt(now) {
			m = append(m, i)
		}
	}
	return m
}

// grid sets d.Grid from the most specific matching rule that sets a
// round, and returns the rules tying with it on a different round.
func (s *Set) grid(d *Decision, m []int32) []*Rule {
	var (
		src *Rule
		tie []*Rule
	)
	for _, i := range m {
		r := &s.rules[i]
		if r.Round == nil {
			continue
		}
		if src == nil {
			src = r
			d.Grid = Grid{Round: *r.Round, Rule: r}
			continue
		}
		if c, _ := compare(src, r); c == 0 && !src.Round.Equal(*r.Round) {
			tie = append(tie, r)
		}
	}
	if len(tie) > 0 {
		return append([]*Rule{src}, tie...)
	}
	return nil
}

func tieReason(rs []*Rule, what string) string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.label()
	}
	return strings.Join(names, ", ") + " tie for " + what +
		" with nothing to break the tie: no price until the rules are changed"
}

// NextChange returns the first instant after now at which a rule's window
// opens or closes, so a scheduler can reprice exactly then; false when no
// window bound lies ahead.
func (s *Set) NextChange(now time.Time) (time.Time, bool) {
	i, found := slices.BinarySearchFunc(s.changes, now, time.Time.Compare)
	if found {
		i++
	}
	if i == len(s.changes) {
		return time.Time{}, false
	}
	return s.changes[i], true
}
