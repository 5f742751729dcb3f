package reports

import (
	"errors"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// Figures are one row of an order report: what the orders created in a
// bucket, of a game, through a supplier or from a storefront came to.
// Amounts are whole rupiah; rates are percentages as decimal strings with
// two places, null when there is nothing to divide by; times are whole
// milliseconds, null without a sample.
//
// What counts (the API document says the same):
//   - orders: every order created in the period, whatever its status now.
//   - succeeded, failed: orders whose status is final; operators'
//     settlements count as what they decided. attention: waiting for an
//     operator; open: pending or processing.
//   - success_percent: succeeded ÷ (succeeded + failed). Orders not yet
//     final are left out rather than counted as failures.
//   - revenue: the price of the orders that succeeded. cost: what the
//     supplier that delivered each charges (the winning attempt's cost,
//     orders.cost). margin = revenue − cost, the sum of each successful
//     order's price − cost; margin_percent = margin ÷ revenue. A failed
//     order, refunded or never taken, and an order in attention or still
//     open, add neither revenue nor cost.
//   - settled_by_operator: orders an operator settled from attention
//     (either way).
//   - fallbacks: orders sent to more than one supplier attempt.
//   - unknown_outcomes: orders with a send whose outcome was unknown at
//     the time (a timeout, a 5xx, a lost reply), reconciled or not.
//   - time_to_success: from intake to success, in whole milliseconds, over
//     the orders that succeeded, settled ones included; p50 and p95 by
//     nearest rank, computed exactly in Go over every such order of the
//     row (the roll-up keeps each order's time, not a histogram).
type Figures struct {
	Orders            int64   `json:"orders"`
	Succeeded         int64   `json:"succeeded"`
	Failed            int64   `json:"failed"`
	Attention         int64   `json:"attention"`
	Open              int64   `json:"open"`
	SuccessPercent    *string `json:"success_percent"`
	Revenue           int64   `json:"revenue"`
	Cost              int64   `json:"cost"`
	Margin            int64   `json:"margin"`
	MarginPercent     *string `json:"margin_percent"`
	SettledByOperator int64   `json:"settled_by_operator"`
	Fallbacks         int64   `json:"fallbacks"`
	UnknownOutcomes   int64   `json:"unknown_outcomes"`
	TimeToSuccessP50  *int64  `json:"time_to_success_p50_ms"`
	TimeToSuccessP95  *int64  `json:"time_to_success_p95_ms"`
}

// cell is what a roll-up row holds: the figures of orders whose status
// is final, and the flags of any order.
type cell struct {
	succeeded, failed, revenue, cost int64
	settled, fallbacks, unknown      int64
	durations                        []int64 // ms from intake to success
}

// add counts one order into c: its outcome if final, its flags always.
func (c *cell) add(r *orderRow) error {
	switch string(r.status) {
	case "success":
		created, err1 := stampNanos(r.created)
		updated, err2 := stampNanos(r.updated)
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		c.succeeded++
		c.revenue += r.price
		c.cost += r.cost
		c.durations = append(c.durations, max(updated-created, 0)/int64(time.Millisecond))
	case "failed":
		c.failed++
	}
	for _, f := range []struct {
		on bool
		n  *int64
	}{{r.settled, &c.settled}, {r.fallback, &c.fallbacks}, {r.unknown, &c.unknown}} {
		if f.on {
			*f.n++
		}
	}
	return nil
}

// merge adds o to c.
func (c *cell) merge(o *cell) {
	c.succeeded += o.succeeded
	c.failed += o.failed
	c.revenue += o.revenue
	c.cost += o.cost
	c.settled += o.settled
	c.fallbacks += o.fallbacks
	c.unknown += o.unknown
	c.durations = append(c.durations, o.durations...)
}

// acc accumulates one row of a report: a cell, and the orders not final.
type acc struct {
	orders, attention, open int64
	cell
}

func (a *acc) figures() Figures {
	f := Figures{
		Orders: a.orders, Succeeded: a.succeeded, Failed: a.failed, Attention: a.attention, Open: a.open,
		Revenue: a.revenue, Cost: a.cost, Margin: a.revenue - a.cost,
		SettledByOperator: a.settled, Fallbacks: a.fallbacks, UnknownOutcomes: a.unknown,
		SuccessPercent: percent(a.succeeded, a.succeeded+a.failed),
		MarginPercent:  percent(a.revenue-a.cost, a.revenue),
	}
	f.TimeToSuccessP50, f.TimeToSuccessP95 = percentiles(a.durations)
	return f
}

// percent is 100·n÷d to two places (half away from zero), nil when d is 0.
func percent(n, d int64) *string {
	if d == 0 {
		return nil
	}
	s := decimal.NewFromInt(n).Mul(decimal.NewFromInt(100)).DivRound(decimal.NewFromInt(d), 2).StringFixed(2)
	return &s
}

// percentiles are the nearest-rank p50 and p95 of xs (reordered), nil
// when xs is empty: the smallest value with at least half (95%) of the
// values at or below it.
func percentiles(xs []int64) (p50, p95 *int64) {
	n := len(xs)
	if n == 0 {
		return nil, nil
	}
	i50, i95 := rank(n, 50), rank(n, 95)
	a := selectNth(xs, i50)
	// Everything from i50 on is at least xs[i50]: p95 is in that part.
	b := selectNth(xs[i50:], i95-i50)
	return &a, &b
}

// rank is the 0-based index of the nearest-rank p-th percentile of n
// sorted values: ceil(p·n/100) − 1.
func rank(n, p int) int {
	return (p*n+99)/100 - 1
}

// selectNth reorders xs so that xs[k] is the value a sort would put
// there, everything before it no greater and everything after no less,
// and returns it: quickselect, linear on average, where sorting every
// row's sample would be the report's largest cost. Small slices are
// sorted.
func selectNth(xs []int64, k int) int64 {
	lo, hi := 0, len(xs)-1
	for hi-lo > 16 {
		// Median of three as the pivot: sorted input stays linear.
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		// Hoare partition: [lo, j] ≤ pivot ≤ [i, hi].
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k] // between the two parts: equal to the pivot
		}
	}
	slices.Sort(xs[lo : hi+1])
	return xs[k]
}
