package pricing

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Mode is the direction Grid.Round takes a price that is not on the grid.
type Mode string

// The rounding modes.
const (
	RoundUp      Mode = "up"
	RoundDown    Mode = "down"
	RoundNearest Mode = "nearest" // half up: a price midway goes up
)

// Grid is the set of prices an item may be sold at: k·Step + Ending for every
// whole k ≥ 0, e.g. step 1000 ending 900 gives 900, 1900, ..., 14900.
//
// The helpers Up, Down, Round and Contains require a valid grid (see
// Validate); with a step of zero they panic.
type Grid struct {
	Step   decimal.Decimal
	Ending decimal.Decimal
	Mode   Mode
}

// DefaultGrid is the grid when no rule sets one: every whole rupiah, rounding
// up.
func DefaultGrid() Grid {
	return Grid{Step: decimal.NewFromInt(1), Ending: decimal.Zero, Mode: RoundUp}
}

// Validate reports every problem with g: the step must be a whole rupiah
// amount above 0, the ending a whole amount with 0 ≤ ending < step, and the
// mode up, down or nearest.
func (g Grid) Validate() error {
	var p problems
	p.checkAmount("round.step", g.Step, true)
	switch {
	case !g.Ending.IsInteger() || g.Ending.Sign() < 0:
		p.checkAmount("round.ending", g.Ending, false)
	case g.Step.Sign() > 0 && g.Ending.Cmp(g.Step) >= 0:
		p.add("round.ending", "must be below the step %s, got %s", g.Step, g.Ending)
	}
	switch g.Mode {
	case RoundUp, RoundDown, RoundNearest:
	default:
		p.add("round.mode", "must be one of up, down, nearest; got %q", g.Mode)
	}
	return p.err()
}

// isZero reports whether g is the zero Grid, which Price reads as "no rule
// set a grid".
func (g Grid) isZero() bool {
	return g.Step.IsZero() && g.Ending.IsZero() && g.Mode == ""
}

// index returns the k of the last grid position at or below x, which is −1
// or less when x is below Ending, and whether x is exactly on it.
func (g Grid) index(x decimal.Decimal) (k decimal.Decimal, exact bool) {
	// QuoRem truncates toward zero, exactly; move a negative quotient down
	// to make it a floor.
	q, r := x.Sub(g.Ending).QuoRem(g.Step, 0)
	if r.Sign() < 0 {
		q = q.Sub(decimal.NewFromInt(1))
	}
	return q, r.IsZero()
}

func (g Grid) at(k decimal.Decimal) decimal.Decimal {
	if k.Sign() < 0 {
		k = decimal.Zero
	}
	return k.Mul(g.Step).Add(g.Ending)
}

// Contains reports whether x is a grid price.
func (g Grid) Contains(x decimal.Decimal) bool {
	k, exact := g.index(x)
	return exact && k.Sign() >= 0
}

// Up returns the first grid price ≥ x.
func (g Grid) Up(x decimal.Decimal) decimal.Decimal {
	k, exact := g.index(x)
	if !exact {
		k = k.Add(decimal.NewFromInt(1))
	}
	return g.at(k)
}

// Down returns the last grid price ≤ x. Below Ending there is none; Down
// then returns Ending, the lowest grid price, which is above x: callers that
// must not exceed x compare.
func (g Grid) Down(x decimal.Decimal) decimal.Decimal {
	k, _ := g.index(x)
	return g.at(k)
}

// Round takes x to the grid in g's mode. Nearest goes up from the midpoint
// between two grid prices. Below Ending every mode gives Ending, since the
// grid has no lower price.
func (g Grid) Round(x decimal.Decimal) decimal.Decimal {
	switch g.Mode {
	case RoundDown:
		return g.Down(x)
	case RoundNearest:
		lo, hi := g.Down(x), g.Up(x)
		if x.Sub(lo).Cmp(hi.Sub(x)) >= 0 {
			return hi
		}
		return lo
	default:
		return g.Up(x)
	}
}

func (g Grid) String() string {
	return fmt.Sprintf("step %s ending %s mode %s", g.Step, g.Ending, g.Mode)
}
