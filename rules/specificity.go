package rules

import "time"

// Subject is what a price is decided for: an item of a game, the supplier
// of its chosen offer, and a storefront tier.
type Subject struct {
	Game     string `json:"game"`
	Item     string `json:"item"`
	Supplier string `json:"supplier"`
	Tier     string `json:"tier"`
}

// The criteria Compare decides on, in the order it tries them.
const (
	ByTarget       = "target"        // item > game > everything
	BySupplierTier = "supplier/tier" // names more of supplier and tier
	ByWindow       = "window"        // has a validity window, the other none
	ByPriority     = "priority"      // both set a priority; the higher wins
)

// Compare returns 1 when a is more specific than b, -1 when b is more
// specific than a, and 0 when neither is, with the criterion that decided
// ("" on a tie). The criteria, in order:
//
//  1. target: a rule naming an item beats one naming only a game, which
//     beats one naming neither;
//  2. supplier/tier: naming both of supplier and tier beats naming one,
//     which beats naming none;
//  3. window: a rule with a validity window (either bound set) beats one
//     without: a dated rule is an exception to a standing one;
//  4. priority: only between two rules that both set one; the higher
//     wins. A priority never beats a rule without one: that would be a
//     comparison against nothing, so such a pair is a tie, which Lint
//     refuses where the two can apply to the same item.
//
// Creation order and ids never decide.
func Compare(a, b Rule) (int, string) { return compare(&a, &b) }

func compare(a, b *Rule) (int, string) {
	if c := cmpInt(target(a.Match), target(b.Match)); c != 0 {
		return c, ByTarget
	}
	if c := cmpInt(named(a.Match), named(b.Match)); c != 0 {
		return c, BySupplierTier
	}
	if aw, bw := a.windowed(), b.windowed(); aw != bw {
		if aw {
			return 1, ByWindow
		}
		return -1, ByWindow
	}
	if a.Priority != nil && b.Priority != nil && *a.Priority != *b.Priority {
		if *a.Priority > *b.Priority {
			return 1, ByPriority
		}
		return -1, ByPriority
	}
	return 0, ""
}

func target(m Match) int {
	switch {
	case m.Item != "":
		return 2
	case m.Game != "":
		return 1
	}
	return 0
}

func named(m Match) int {
	n := 0
	if m.Supplier != "" {
		n++
	}
	if m.Tier != "" {
		n++
	}
	return n
}

func cmpInt(a, b int) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

// Matches reports whether r's match applies to subj, ignoring Enabled and
// the validity window: callers use it to find the prices a rule change can
// touch (those the old or the new rule matches). Every field r names must
// equal subj's; an empty subject field matches only a rule that leaves it
// open.
func Matches(r Rule, subj Subject) bool { return r.Match.matches(&subj) }

func (m *Match) matches(subj *Subject) bool {
	return (m.Item == "" || m.Item == subj.Item) &&
		(m.Game == "" || m.Game == subj.Game) &&
		(m.Supplier == "" || m.Supplier == subj.Supplier) &&
		(m.Tier == "" || m.Tier == subj.Tier)
}

// gameOf returns the game a match is confined to: its game, or the game
// its item id starts with.
func gameOf(m Match) string {
	if m.Game != "" {
		return m.Game
	}
	for i := 0; i < len(m.Item); i++ {
		if m.Item[i] == '.' {
			return m.Item[:i]
		}
	}
	return ""
}

// overlap reports whether some subject could match both a and b: no field
// both name differently. Item ids carry their game.
func overlap(a, b Match) bool {
	differ := func(x, y string) bool { return x != "" && y != "" && x != y }
	return !differ(a.Item, b.Item) && !differ(gameOf(a), gameOf(b)) &&
		!differ(a.Supplier, b.Supplier) && !differ(a.Tier, b.Tier)
}

// windowsOverlap reports whether a and b are both valid at some instant.
func windowsOverlap(a, b *Rule) bool {
	return before(a.ValidFrom, b.ValidUntil) && before(b.ValidFrom, a.ValidUntil)
}

// before reports from < until, where a zero from is the distant past and
// a zero until the distant future.
func before(from, until time.Time) bool {
	return from.IsZero() || until.IsZero() || from.Before(until)
}

// covers reports whether a is valid whenever b is.
func covers(a, b *Rule) bool {
	fromOK := a.ValidFrom.IsZero() || (!b.ValidFrom.IsZero() && !b.ValidFrom.Before(a.ValidFrom))
	untilOK := a.ValidUntil.IsZero() || (!b.ValidUntil.IsZero() && !b.ValidUntil.After(a.ValidUntil))
	return fromOK && untilOK
}
