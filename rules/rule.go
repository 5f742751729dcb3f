package rules

import (
	"time"

	"github.com/shopspring/decimal"
)

// Rule is one margin rule: what it matches, the price it sets, the grid
// prices are rounded to and the guards that bound them. The zero value of
// an optional field means "not set" (see each field).
//
// A Rule is a value: copying it copies everything except the MaxPrice and
// Priority pointers' targets, which callers must treat as immutable.
type Rule struct {
	ID      string // assigned by the store; "" for a rule not yet saved
	Version int64  // assigned by the store; bumped on every change
	Name    string
	Enabled bool
	Note    string

	Match  Match
	Action Action
	Round  *Round // nil: the rule sets no grid
	Guard  *Guard // nil: the rule adds no guard

	// ValidFrom and ValidUntil bound the half-open window [from, until) in
	// which the rule applies; the zero time means unbounded on that side.
	// Decode returns both in UTC.
	ValidFrom  time.Time
	ValidUntil time.Time

	// Priority breaks ties only between rules that both set it: higher
	// wins. nil: not set.
	Priority *int64
}

// Match says which prices a rule applies to. An empty field matches
// anything.
type Match struct {
	Game     string // canonical game id, "mobile-legends"
	Item     string // canonical item id, "mobile-legends.diamonds-86-78-8"
	Supplier string // the supplier of the item's chosen offer, by its registered name
	Tier     string // storefront price tier, "public"
}

// Kind is how an action turns cost into price.
type Kind string

// The action kinds, with cost c, value v and extra amount plus. As in
// pricing, every kind adds plus.
const (
	MarkupPercent Kind = "markup_percent" // c·(1+v/100) + plus, v > −100
	MarginPercent Kind = "margin_percent" // c/(1−v/100) + plus, 0 ≤ v < 100
	CostPlus      Kind = "cost_plus"      // c + v + plus
	FixedPrice    Kind = "fixed_price"    // v + plus
)

// Action is the price a rule sets. Value is a rate for the percent kinds
// and a whole-rupiah amount for cost_plus and fixed_price; Plus is a
// whole-rupiah amount, 0 or more, added after it.
type Action struct {
	Kind  Kind
	Value decimal.Decimal
	Plus  decimal.Decimal
}

// DefaultAction is what prices an item no rule matches: sell at cost, so
// only the guards add a margin.
func DefaultAction() Action { return Action{Kind: MarkupPercent} }

// Mode is the direction a price moves to reach the grid.
type Mode string

// The rounding modes. Nearest rounds half up.
const (
	Up      Mode = "up"
	Down    Mode = "down"
	Nearest Mode = "nearest"
)

// Round is a price grid: prices k·Step + Ending, in whole rupiah.
type Round struct {
	Step   decimal.Decimal
	Mode   Mode
	Ending decimal.Decimal
}

// DefaultRound is the grid when no matching rule sets one: whole rupiah,
// rounded up.
func DefaultRound() Round { return Round{Step: oneRupiah, Mode: Up} }

// oneRupiah is shared: decimal values are never changed in place.
var oneRupiah = decimal.NewFromInt(1)

// Guard bounds the price a rule's item may sell at. Every matching rule's
// guard applies, not only the winner's. A zero minimum adds no floor above
// cost.
type Guard struct {
	MinMarginPercent decimal.Decimal  // floor c·(1+p/100)
	MinMarginAmount  decimal.Decimal  // floor c + amount, whole rupiah
	MaxPrice         *decimal.Decimal // ceiling, whole rupiah; nil: none
}

// Equal reports whether r and o say the same thing, comparing decimals by
// value and times as instants.
func (r Rule) Equal(o Rule) bool {
	return r.ID == o.ID && r.Version == o.Version && r.Name == o.Name &&
		r.Enabled == o.Enabled && r.Note == o.Note && r.Match == o.Match &&
		r.Action.Equal(o.Action) &&
		equalPtr(r.Round, o.Round, Round.Equal) &&
		equalPtr(r.Guard, o.Guard, Guard.Equal) &&
		r.ValidFrom.Equal(o.ValidFrom) && r.ValidUntil.Equal(o.ValidUntil) &&
		equalPtr(r.Priority, o.Priority, func(a, b int64) bool { return a == b })
}

// Equal reports whether a and o are the same action.
func (a Action) Equal(o Action) bool {
	return a.Kind == o.Kind && a.Value.Equal(o.Value) && a.Plus.Equal(o.Plus)
}

// Equal reports whether g and o are the same grid.
func (g Round) Equal(o Round) bool {
	return g.Mode == o.Mode && g.Step.Equal(o.Step) && g.Ending.Equal(o.Ending)
}

// Equal reports whether g and o are the same guard.
func (g Guard) Equal(o Guard) bool {
	return g.MinMarginPercent.Equal(o.MinMarginPercent) &&
		g.MinMarginAmount.Equal(o.MinMarginAmount) &&
		equalPtr(g.MaxPrice, o.MaxPrice, decimal.Decimal.Equal)
}

func equalPtr[T any](a, b *T, eq func(T, T) bool) bool {
	if a == nil || b == nil {
		return a == b
	}
	return eq(*a, *b)
}

// windowed reports whether r has a validity window (either bound set).
func (r *Rule) windowed() bool { return !r.ValidFrom.IsZero() || !r.ValidUntil.IsZero() }

// ValidAt reports whether t is inside r's window [ValidFrom, ValidUntil).
// It ignores Enabled.
func (r Rule) ValidAt(t time.Time) bool { return r.validAt(t) }

func (r *Rule) validAt(t time.Time) bool {
	return (r.ValidFrom.IsZero() || !t.Before(r.ValidFrom)) &&
		(r.ValidUntil.IsZero() || t.Before(r.ValidUntil))
}

// label names r for messages: its id and name.
func (r Rule) label() string {
	if r.ID == "" {
		return "new rule " + quote(r.Name)
	}
	return "rule " + r.ID + " " + quote(r.Name)
}
