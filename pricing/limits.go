package pricing

import (
	"errors"
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// The ranges every amount and rate of a price must stay within. They are
// far wider than any top-up shop needs and narrow enough that every price
// they allow is a whole rupiah an int64, a JSON integer and a supplier's
// integer all hold exactly. A rule outside them is refused when it is
// saved; an Input outside them blocks its quote, so a rule stored before a
// limit existed can never reach a price either.
const (
	// MaxPrice is the highest price syncd publishes or takes an order at,
	// a thousand million rupiah. A computed price above it blocks the item.
	MaxPrice = 1_000_000_000
	// MaxPercent bounds markup_percent and min_margin_percent: at most
	// ten times the cost on top of it.
	MaxPercent = 1000
	// MaxRateDecimals is how many decimal places a rate may have: "7.5"
	// and "12.3456" are rates, "99.999999999999" is a typo or an attack.
	MaxRateDecimals = 4
)

var (
	maxPrice   = decimal.NewFromInt(MaxPrice)
	maxPercent = decimal.NewFromInt(MaxPercent)
	maxInt64   = decimal.NewFromInt(math.MaxInt64)
	minInt64   = decimal.NewFromInt(math.MinInt64)
)

// ErrRange is what Rupiah's errors wrap: a decimal that is no whole rupiah
// amount an int64 holds.
var ErrRange = errors.New("not a representable rupiah amount")

// Rupiah converts a whole rupiah amount to an int64, the only way a decimal
// becomes a stored or served integer. Unlike Decimal.IntPart it never
// wraps or truncates: a fraction or a value outside int64 is an error.
func Rupiah(d decimal.Decimal) (int64, error) {
	if !d.IsInteger() {
		return 0, fmt.Errorf("%w: %s has a fraction", ErrRange, d)
	}
	if d.Cmp(maxInt64) > 0 || d.Cmp(minInt64) < 0 {
		return 0, fmt.Errorf("%w: %s is outside the int64 range", ErrRange, d)
	}
	return d.IntPart(), nil
}

// tooFine reports whether rate has more than MaxRateDecimals decimal
// places (trailing zeros do not count).
func tooFine(rate decimal.Decimal) bool {
	if rate.Exponent() >= -MaxRateDecimals {
		return false // the common case, and free of allocations
	}
	return !rate.Equal(rate.Truncate(MaxRateDecimals))
}

// checkRate adds a problem when rate has too many decimal places.
func (p *problems) checkRate(field string, rate decimal.Decimal) {
	if tooFine(rate) {
		p.add(field, "must have at most %d decimal places, got %s", MaxRateDecimals, rate)
	}
}

// checkMax adds a problem when x is above max.
func (p *problems) checkMax(field string, x, max decimal.Decimal) {
	if x.Cmp(max) > 0 {
		p.add(field, "must be at most %s, got %s", max, x)
	}
}

// overCap is the reason a price above MaxPrice is blocked.
func overCap(p decimal.Decimal) string {
	return fmt.Sprintf("price %s is above the highest price syncd sells at, %s", p, maxPrice)
}
