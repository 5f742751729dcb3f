// Package pricing turns a cost into a sell price: the four margin kinds of a
// rule's action, the rounding grid, the floor and ceiling guards, and an
// explain trace of every stage that Replay can check.
//
// pricing is a leaf. It imports only the standard library and
// github.com/shopspring/decimal: no other syncd package, no I/O, no logging
// and no clock. That is what makes a price provable: the same Input always
// gives the same Quote, in a test, in a preview or in production, and nothing
// outside the Input can move it. rules builds Inputs from margin rules;
// catalog and orders read Quotes. Keep it that way.
//
// # Errors
//
// pricing keeps its own small errors (ErrInvalid, *InputError, ErrRange,
// ErrTrace) rather than syncd's error vocabulary (internal/fault): that
// would be a package of ours, and this one stays a leaf. Nothing is lost
// by it: rules checks every field of a margin rule itself, against
// pricing's limits (MaxPrice, MaxPercent, MaxRateDecimals) and in a
// merchandiser's words, before a rule can be saved or previewed, and
// reports it as a fault validation error. An *InputError therefore only
// ever describes an Input syncd built wrongly; it becomes a blocked
// price's reason and never reaches a client. Should one ever have to,
// rules translates it at its boundary.
//
// # Arithmetic
//
// Amounts are rupiah as decimal.Decimal; they are never float64. Everything
// before the rounding stage is unrounded decimal arithmetic. The only
// division with a fraction that need not end, margin_percent's c/(1−v/100),
// uses DivRound with DivisionPrecision digits; floors and ceilings are exact
// (multiplications and /100 only), so the no-loss floor and every minimum
// margin hold exactly whatever that division rounded. The final price is a
// grid price: k·step + ending, a whole rupiah.
//
// # Stages
//
//	cost     the cost being priced
//	action   the margin kind applied to it, plus the extra amount
//	round    onto the grid, in the grid's mode
//	floor    below the floor: up the grid to the first price ≥ floor
//	ceiling  above the ceiling: down the grid to the last price ≤ ceiling
//	result   the price, or blocked when no grid price lies in [floor, ceiling]
package pricing
