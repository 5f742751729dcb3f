package pricing

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// ErrTrace is what Replay's errors wrap: the trace does not reproduce the
// quote.
var ErrTrace = errors.New("trace does not reproduce the quote")

// Replay recomputes a quote's price from its trace and reports where the
// trace and the quote disagree. It checks that the stages come in order,
// that each stage starts where the previous one ended and ends where its
// rule takes it (the action on the cost, the grid's rounding, the floor and
// the ceiling recomputed from Bounds, which must hold the no-loss floor), and
// that the result is q's price or q's blocking. It returns the recomputed
// price: zero for a blocked quote.
//
// A quote blocked as invalid input has no stages and fails to replay.
func Replay(q Quote) (decimal.Decimal, error) {
	stages := []string{StageCost, StageAction, StageRound, StageFloor, StageCeiling, StageResult}
	if len(q.Steps) != len(stages) {
		return decimal.Zero, fmt.Errorf("%w: %d steps, want %d (%s)", ErrTrace, len(q.Steps), len(stages), q.Reason)
	}
	for i, s := range q.Steps {
		if s.Stage != stages[i] {
			return decimal.Zero, fmt.Errorf("%w: step %d is %q, want %q", ErrTrace, i, s.Stage, stages[i])
		}
		if i > 0 && !s.In.Equal(q.Steps[i-1].Out) {
			return decimal.Zero, fmt.Errorf("%w: %s starts at %s, %s ended at %s", ErrTrace, s.Stage, s.In, stages[i-1], q.Steps[i-1].Out)
		}
	}
	if err := q.Action.Validate(); err != nil {
		return decimal.Zero, fmt.Errorf("%w: action: %v", ErrTrace, err)
	}
	if err := q.Grid.Validate(); err != nil {
		return decimal.Zero, fmt.Errorf("%w: grid: %v", ErrTrace, err)
	}
	c := q.Steps[0].In
	if !hasNoLoss(q.Bounds, c) {
		return decimal.Zero, fmt.Errorf("%w: bounds lack the no-loss floor %s", ErrTrace, c)
	}
	floor, ceiling := limits(q.Bounds)
	if !floor.Equal(q.Floor) || !sameCeiling(ceiling, q.Ceiling) {
		return decimal.Zero, fmt.Errorf("%w: bounds give floor %s ceiling %s, quote has %s and %s",
			ErrTrace, floor, show(ceiling), q.Floor, show(q.Ceiling))
	}

	raw, _ := q.Action.apply(c)
	rounded := q.Grid.Round(raw)
	floored := raise(q.Grid, floor, rounded)
	capped := lower(q.Grid, ceiling, floored)
	blocked := settle(q.Grid, floor, ceiling, capped) != ""
	price := capped
	if blocked {
		price = decimal.Zero
	}
	for i, want := range []decimal.Decimal{c, raw, rounded, floored, capped, price} {
		if !q.Steps[i].Out.Equal(want) {
			return decimal.Zero, fmt.Errorf("%w: %s gives %s, trace says %s", ErrTrace, stages[i], want, q.Steps[i].Out)
		}
	}
	switch {
	case !c.Equal(q.Cost):
		return decimal.Zero, fmt.Errorf("%w: trace prices cost %s, quote has %s", ErrTrace, c, q.Cost)
	case blocked != q.Blocked:
		return decimal.Zero, fmt.Errorf("%w: trace says blocked %t, quote %t", ErrTrace, blocked, q.Blocked)
	case !price.Equal(q.Price):
		return decimal.Zero, fmt.Errorf("%w: trace gives price %s, quote has %s", ErrTrace, price, q.Price)
	}
	return price, nil
}

func hasNoLoss(bs []Bound, c decimal.Decimal) bool {
	for _, b := range bs {
		if b.Kind == BoundNoLoss && b.Value.Equal(c) {
			return true
		}
	}
	return false
}

func sameCeiling(a, b *decimal.Decimal) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func show(d *decimal.Decimal) string {
	if d == nil {
		return "none"
	}
	return d.String()
}
