package offers

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// The price-move guard. A supplier cost that moves further from the last
// confirmed cost than a configured share, whether a webhook or a sync says
// so, is stored as said (cost_history stays honest) but not sold: the
// offer is held, ineligible with reason cost_unconfirmed, until a later
// sync confirms the move or a merchandiser accepts it. One word from a
// supplier (a bug at its end, a sender that should not be one) cannot move
// a price by 99%; two syncs saying the same, or a person, can.

// Default limits of the cost guard: a fall to less than half of the
// confirmed cost, or a rise to more than double it, waits for confirmation.
var (
	DefaultMaxCostFall = decimal.RequireFromString("0.5")
	DefaultMaxCostRise = decimal.NewFromInt(1)
)

// CostGuard decides which supplier cost moves are held.
type CostGuard struct {
	// MaxFall is the largest share of the confirmed cost a cost may fall
	// by and still be believed on one word (0.5: down to half). Zero: no
	// fall is held.
	MaxFall decimal.Decimal
	// MaxRise is the largest share of the confirmed cost a cost may rise
	// by (1: up to double). Zero: no rise is held.
	MaxRise decimal.Decimal
	// OnEvent, when set, learns of every hold begun, moved or ended, once
	// it is committed. For metrics; it must not block.
	OnEvent func(supplier string, ev HoldEvent)
}

// DefaultCostGuard is the guard with the default limits.
func DefaultCostGuard() CostGuard {
	return CostGuard{MaxFall: DefaultMaxCostFall, MaxRise: DefaultMaxCostRise}
}

// HoldEvent is what happened to an offer's hold.
type HoldEvent string

// What can happen to a hold.
const (
	// HoldBegun: a cost beyond the limits; the offer is held.
	HoldBegun HoldEvent = "held"
	// HoldMoved: while held, the supplier named another cost beyond the
	// limits; still held, now for that cost.
	HoldMoved HoldEvent = "moved"
	// HoldConfirmed: a sync named the held cost again, or a cost within
	// the limits of the confirmed one; released.
	HoldConfirmed HoldEvent = "confirmed"
	// HoldReturned: a webhook named a cost within the limits of the
	// confirmed one; released.
	HoldReturned HoldEvent = "returned"
	// HoldAccepted: a merchandiser accepted the held cost; released.
	HoldAccepted HoldEvent = "accepted"
)

// HoldEvents lists every HoldEvent, for labels that must all exist.
var HoldEvents = []HoldEvent{HoldBegun, HoldMoved, HoldConfirmed, HoldReturned, HoldAccepted}

// Who says a cost: the word a hold keeps, and what may confirm it.
const (
	sourceSync         = "sync"
	sourceWebhook      = "webhook"
	sourceMerchandiser = "merchandiser"
)

// costState is an offer's cost as the guard sees it.
type costState struct {
	cost int64 // as the supplier last said it (offers.cost)
	// confirmed, while the offer is held, is the last confirmed cost;
	// nil: cost itself is confirmed.
	confirmed *int64
}

func (s costState) held() bool { return s.confirmed != nil }

// decide is what the guard makes of a supplier's word, from source (sync
// or webhook), that an offer already stored now costs n. The event is ""
// when the hold did not change. A first sighting never comes here: there
// is no confirmed cost to hold it against.
//
// A move is judged against the last confirmed cost, never against an
// unconfirmed one, so two webhooks cannot confirm each other and a cost
// that comes back near where it was is simply a small move. Only a sync
// confirms: the catalog syncd fetched itself.
func (g CostGuard) decide(st costState, n int64, source string) (costState, HoldEvent) {
	base := st.cost
	if st.held() {
		base = *st.confirmed
	}
	within := g.within(base, n)
	switch {
	case !st.held() && within:
		return costState{cost: n}, ""
	case !st.held():
		return costState{cost: n, confirmed: &base}, HoldBegun
	case within && source == sourceSync, n == st.cost && source == sourceSync:
		return costState{cost: n}, HoldConfirmed
	case within:
		return costState{cost: n}, HoldReturned
	case n == st.cost:
		return st, "" // the same unconfirmed word again
	}
	return costState{cost: n, confirmed: st.confirmed}, HoldMoved
}

// within reports whether a move from base to n is inside the limits. From
// a confirmed cost of 0 (never a price) every rise is beyond any share.
func (g CostGuard) within(base, n int64) bool {
	if n == base {
		return true
	}
	b, v := decimal.NewFromInt(base), decimal.NewFromInt(n)
	if n < base {
		return !g.MaxFall.IsPositive() || b.Sub(v).LessThanOrEqual(b.Mul(g.MaxFall))
	}
	return !g.MaxRise.IsPositive() || v.Sub(b).LessThanOrEqual(b.Mul(g.MaxRise))
}

// changePercent is the move from confirmed to cost in percent of
// confirmed, cut (not rounded) to two places so it never overstates the
// move: -100.00 is a fall to 0, never to 1. Nil from 0, which no share
// describes.
func changePercent(confirmed, cost int64) *string {
	if confirmed == 0 {
		return nil
	}
	p := decimal.NewFromInt(cost-confirmed).Mul(decimal.NewFromInt(100)).DivRound(decimal.NewFromInt(confirmed), 8).Truncate(2)
	s := p.StringFixed(2)
	if p.IsPositive() {
		s = "+" + s
	}
	return &s
}

// ReasonCostUnconfirmed starts the ineligible reason of a held offer.
const ReasonCostUnconfirmed = "cost_unconfirmed"

// HeldReason is why a held offer is not sold.
func HeldReason(confirmed, cost int64) string {
	move := ""
	if p := changePercent(confirmed, cost); p != nil {
		move = " (" + *p + "%)"
	}
	return fmt.Sprintf("%s: the supplier's cost moved from %d to %d%s; held until a sync confirms it or a merchandiser accepts it",
		ReasonCostUnconfirmed, confirmed, cost, move)
}
