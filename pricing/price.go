package pricing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// The stages of a trace, in order.
const (
	StageCost    = "cost"
	StageAction  = "action"
	StageRound   = "round"
	StageFloor   = "floor"
	StageCeiling = "ceiling"
	StageResult  = "result"
)

// ReportPrecision is the number of decimal places of a Quote's margin and
// markup percentages. They describe a price and are never fed back into one.
const ReportPrecision = 4

// Input is everything a price depends on.
type Input struct {
	// Cost is the chosen offer's cost. It may have a fraction; zero is
	// allowed (the price is then the plus amount or fixed price, rounded);
	// a negative cost blocks the quote as invalid.
	Cost decimal.Decimal
	// Action is the winning rule's action. The zero Action means no rule
	// matched: Price uses DefaultAction and says so in the trace.
	Action       Action
	ActionSource string
	// Grid is the most specific rounding rule's grid. The zero Grid means no
	// rule set one: Price uses DefaultGrid and says so in the trace.
	Grid       Grid
	GridSource string
	// Guards are every matching rule's guard and the global one. The no-loss
	// floor, the cost itself, applies without a guard.
	Guards []Guard
}

// Step is one stage of a price's explanation: what went in, what came out,
// and why in words.
type Step struct {
	Stage   string
	In, Out decimal.Decimal
	Detail  string
}

// Quote is a price and its explanation.
type Quote struct {
	// Price is a grid price; zero when Blocked.
	Price decimal.Decimal
	// Blocked means the item must not be sold; Reason says why.
	Blocked bool
	Reason  string

	// What the price was computed from, defaults filled in.
	Cost   decimal.Decimal
	Action Action
	Grid   Grid

	// Floor is the highest of Bounds' floors, Ceiling the lowest max_price
	// (nil without one); Bounds lists every limit and who set it.
	Floor   decimal.Decimal
	Ceiling *decimal.Decimal
	Bounds  []Bound

	// Realised: Margin = Price − Cost; MarginPercent = Margin/Price·100
	// (zero when Price is zero); MarkupPercent = Margin/Cost·100 (zero when
	// Cost is zero, where a markup means nothing). All zero when Blocked.
	Margin        decimal.Decimal
	MarginPercent decimal.Decimal
	MarkupPercent decimal.Decimal

	// Steps are the stages from cost to result; Replay checks them.
	Steps []Step
}

// Price computes the sell price for in: the action on the cost, rounded to
// the grid, then moved along the grid above the floor and below the ceiling.
// When no grid price lies between floor and ceiling the quote is Blocked.
// An invalid Input is Blocked too, before any arithmetic, with the problem as
// Reason: a broken rule never yields a price. The same Input always gives
// the same Quote.
func Price(in Input) Quote {
	in = in.withDefaults()
	q := Quote{Cost: in.Cost, Action: in.Action, Grid: in.Grid}
	if err := in.validate(); err != nil {
		q.Blocked, q.Reason = true, "invalid input: "+err.Error()
		q.Steps = []Step{{Stage: StageResult, Detail: "blocked: " + q.Reason}}
		return q
	}
	c, g := in.Cost, in.Grid
	q.Bounds = bounds(c, in.Guards)
	q.Floor, q.Ceiling = limits(q.Bounds)
	add := func(stage string, in, out decimal.Decimal, detail string) {
		q.Steps = append(q.Steps, Step{Stage: stage, In: in, Out: out, Detail: detail})
	}

	add(StageCost, c, c, "cost "+c.String())
	raw, formula := in.Action.apply(c)
	add(StageAction, c, raw, formula+from(in.ActionSource))
	rounded := g.Round(raw)
	add(StageRound, raw, rounded, g.String()+from(in.GridSource))
	floored := raise(g, q.Floor, rounded)
	add(StageFloor, rounded, floored, q.floorDetail(rounded, floored))
	capped := lower(g, q.Ceiling, floored)
	add(StageCeiling, floored, capped, q.ceilingDetail(floored, capped))

	if reason := settle(g, q.Floor, q.Ceiling, capped); reason != "" {
		q.Blocked, q.Reason = true, reason
		add(StageResult, capped, decimal.Zero, "blocked: "+q.Reason)
		return q
	}
	q.Price = capped
	q.Margin = capped.Sub(c)
	if capped.Sign() > 0 {
		q.MarginPercent = q.Margin.Mul(hundred).DivRound(capped, ReportPrecision)
	}
	if c.Sign() > 0 {
		q.MarkupPercent = q.Margin.Mul(hundred).DivRound(c, ReportPrecision)
	}
	add(StageResult, capped, capped, fmt.Sprintf("price %s: margin %s, %s%% of the price, %s%% markup on cost",
		capped, q.Margin, q.MarginPercent, q.MarkupPercent))
	return q
}

func noFit(g Grid, floor, ceiling decimal.Decimal) string {
	return fmt.Sprintf("no grid price (step %s ending %s) lies between the floor %s and the ceiling %s",
		g.Step, g.Ending, floor, ceiling)
}

// Amount is Price without the explanation: the same price, Blocked and
// Reason (the fuzz test holds it to that), for bulk repricing, where
// building 300,000 traces' text would cost more than their arithmetic.
func Amount(in Input) (price decimal.Decimal, blocked bool, reason string) {
	in = in.withDefaults()
	if err := in.validate(); err != nil {
		return decimal.Zero, true, "invalid input: " + err.Error()
	}
	c, g := in.Cost, in.Grid
	floor, ceiling := limits(bounds(c, in.Guards))
	p := lower(g, ceiling, raise(g, floor, g.Round(in.Action.value(c))))
	if reason := settle(g, floor, ceiling, p); reason != "" {
		return decimal.Zero, true, reason
	}
	return p, false, ""
}

func (q *Quote) floorDetail(in, out decimal.Decimal) string {
	s := fmt.Sprintf("floor %s = max of %s: ", q.Floor, describe(q.Bounds, false))
	if out.Equal(in) {
		return s + in.String() + " is at or above it"
	}
	return s + fmt.Sprintf("%s is below it, up the grid to %s", in, out)
}

func (q *Quote) ceilingDetail(in, out decimal.Decimal) string {
	if q.Ceiling == nil {
		return "no ceiling"
	}
	s := fmt.Sprintf("ceiling %s = min of %s: %s is ", *q.Ceiling, describe(q.Bounds, true), in)
	switch {
	case !in.GreaterThan(*q.Ceiling):
		return s + "at or below it"
	case out.GreaterThan(*q.Ceiling):
		return s + "above it, and no grid price is at or below it"
	case out.LessThan(q.Floor):
		return s + fmt.Sprintf("above it, down the grid to %s, under the floor %s", out, q.Floor)
	default:
		return s + "above it, down the grid to " + out.String()
	}
}

// raise is the floor stage: a price below the floor goes up the grid to the
// first grid price at or above it.
func raise(g Grid, floor, p decimal.Decimal) decimal.Decimal {
	if p.LessThan(floor) {
		return g.Up(floor)
	}
	return p
}

// lower is the ceiling stage: a price above the ceiling goes down the grid to
// the last grid price at or below it. When there is none, Down gives the
// lowest grid price, still above the ceiling, and fits blocks the quote.
func lower(g Grid, ceiling *decimal.Decimal, p decimal.Decimal) decimal.Decimal {
	if ceiling != nil && p.GreaterThan(*ceiling) {
		return g.Down(*ceiling)
	}
	return p
}

// settle is the result stage's verdict on p, the price after the ceiling
// stage: "" when it may be sold, else why the quote is blocked. p is
// unsellable when no grid price lies between floor and ceiling, or when it
// is above MaxPrice, where a price stops being an amount anyone pays and
// starts being one that overflows on its way to a storefront.
func settle(g Grid, floor decimal.Decimal, ceiling *decimal.Decimal, p decimal.Decimal) string {
	switch {
	case !fits(floor, ceiling, p):
		// fits fails only above a ceiling: raise never leaves p under the floor.
		return noFit(g, floor, *ceiling)
	case p.Cmp(maxPrice) > 0:
		return overCap(p)
	}
	return ""
}

// fits reports whether p is between floor and ceiling. After raise and
// lower, p is outside only when no grid price is inside.
func fits(floor decimal.Decimal, ceiling *decimal.Decimal, p decimal.Decimal) bool {
	return !p.LessThan(floor) && (ceiling == nil || !p.GreaterThan(*ceiling))
}

func from(source string) string {
	if source == "" {
		return ""
	}
	return " (from " + source + ")"
}

func (in Input) withDefaults() Input {
	if in.Action.Kind == "" && in.Action.Value.IsZero() && in.Action.Plus.IsZero() {
		in.Action, in.ActionSource = DefaultAction(), "built-in default: no rule matched"
	}
	if in.Grid.isZero() {
		in.Grid, in.GridSource = DefaultGrid(), "built-in default: no rule sets rounding"
	}
	return in
}

// validate checks the whole Input; a guard's problems name its source.
func (in Input) validate() error {
	var p problems
	switch {
	case in.Cost.Sign() < 0:
		p.add("cost", "must not be negative, got %s", in.Cost)
	case in.Cost.Cmp(maxPrice) > 0:
		p.add("cost", "must be at most %s, got %s", maxPrice, in.Cost)
	}
	p.merge(in.Action.Validate(), in.ActionSource)
	p.merge(in.Grid.Validate(), in.GridSource)
	for _, g := range in.Guards {
		p.merge(g.Validate(), g.Source)
	}
	return p.err()
}

func (p *problems) merge(err error, source string) {
	var ve *InputError
	if !errors.As(err, &ve) {
		return
	}
	for _, f := range ve.Fields {
		f.Message += from(source)
		*p = append(*p, f)
	}
}
