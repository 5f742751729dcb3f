package offers

import (
	"testing"

	"github.com/shopspring/decimal"
)

// TestCostGuardDecides walks the guard through every sequence of words a
// supplier can send about one offer whose confirmed cost is 14,900.
func TestCostGuardDecides(t *testing.T) {
	type step struct {
		source string
		cost   int64
		want   HoldEvent
		held   bool  // held after the step
		base   int64 // the confirmed cost after the step, held or not
	}
	w := func(cost int64, want HoldEvent, held bool, base int64) step {
		return step{sourceWebhook, cost, want, held, base}
	}
	s := func(cost int64, want HoldEvent, held bool, base int64) step {
		return step{sourceSync, cost, want, held, base}
	}
	def := DefaultCostGuard()
	limits := func(fall, rise string) CostGuard {
		return CostGuard{MaxFall: decimal.RequireFromString(fall), MaxRise: decimal.RequireFromString(rise)}
	}
	at := func(cost int64) costState { return costState{cost: cost} }
	heldAt := func(cost, confirmed int64) costState { return costState{cost: cost, confirmed: &confirmed} }
	tests := []struct {
		name  string
		guard CostGuard
		start costState
		steps []step
	}{
		{"small moves pass", def, at(14900), []step{w(14000, "", false, 14000), s(15500, "", false, 15500)}},
		{"a fall of exactly half passes", def, at(14900), []step{w(7450, "", false, 7450)}},
		{"a fall past half is held", def, at(14900), []step{w(7449, HoldBegun, true, 14900)}},
		{"a rise to exactly double passes", def, at(14900), []step{w(29800, "", false, 29800)}},
		{"a rise past double is held", def, at(14900), []step{w(29801, HoldBegun, true, 14900)}},
		{"price_new 0 is held", def, at(14900), []step{w(0, HoldBegun, true, 14900)}},
		{"webhook -95%, then a sync says the same: confirmed", def, at(14900), []step{
			w(745, HoldBegun, true, 14900), s(745, HoldConfirmed, false, 745)}},
		{"webhook -95%, then a sync says the old cost: released at it", def, at(14900), []step{
			w(745, HoldBegun, true, 14900), s(14900, HoldConfirmed, false, 14900)}},
		{"webhook to 1, then a sync near the old cost: released at the sync's", def, at(14900), []step{
			w(1, HoldBegun, true, 14900), s(13000, HoldConfirmed, false, 13000)}},
		{"a sync's big move waits for the next sync", def, at(14900), []step{
			s(1, HoldBegun, true, 14900), s(1, HoldConfirmed, false, 1)}},
		{"two syncs that disagree confirm nothing", def, at(14900), []step{
			s(1, HoldBegun, true, 14900), s(2, HoldMoved, true, 14900), s(2, HoldConfirmed, false, 2)}},
		{"webhook big, then webhook back: released", def, at(14900), []step{
			w(1, HoldBegun, true, 14900), w(14900, HoldReturned, false, 14900)}},
		{"webhook big, then webhook partly back within the limits: released", def, at(14900), []step{
			w(1, HoldBegun, true, 14900), w(8000, HoldReturned, false, 8000)}},
		{"the same big webhook twice stays held", def, at(14900), []step{
			w(1, HoldBegun, true, 14900), w(1, "", true, 14900)}},
		{"two different big webhooks stay held, against the confirmed cost", def, at(14900), []step{
			w(1, HoldBegun, true, 14900), w(30000, HoldMoved, true, 14900), w(30000, "", true, 14900),
			s(30000, HoldConfirmed, false, 30000)}},
		{"a held cost then confirmed at 0 is confirmed (still no price)", def, at(14900), []step{
			w(0, HoldBegun, true, 14900), s(0, HoldConfirmed, false, 0)}},
		{"from a confirmed 0 every rise is held", def, at(0), []step{
			w(14900, HoldBegun, true, 0), s(14900, HoldConfirmed, false, 14900)}},
		{"fall limit 0: no fall is held", limits("0", "1"), at(14900), []step{
			w(1, "", false, 1), w(0, "", false, 0)}},
		{"fall limit 0: rises still are", limits("0", "1"), at(14900), []step{w(30000, HoldBegun, true, 14900)}},
		{"rise limit 0: no rise is held", limits("0.5", "0"), at(14900), []step{w(1_000_000, "", false, 1_000_000)}},
		{"rise limit 0: falls still are", limits("0.5", "0"), at(14900), []step{w(1, HoldBegun, true, 14900)}},
		{"both 0: the guard is off", limits("0", "0"), at(0), []step{w(14900, "", false, 14900), w(1, "", false, 1)}},
		{"tighter limits", limits("0.1", "0.1"), at(10000), []step{
			w(9000, "", false, 9000), w(8099, HoldBegun, true, 9000), s(9899, HoldConfirmed, false, 9899)}},
		{"a hold begun under other limits ends at the next word once nothing holds it", limits("0", "0"), heldAt(2, 14900), []step{
			w(1, HoldReturned, false, 1)}},
		{"held: a sync naming the held cost again confirms it", def, heldAt(2, 14900), []step{s(2, HoldConfirmed, false, 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.start
			for i, step := range tt.steps {
				next, ev := tt.guard.decide(st, step.cost, step.source)
				base := next.cost
				if next.held() {
					base = *next.confirmed
				}
				if ev != step.want || next.held() != step.held || base != step.base || next.cost != step.cost {
					t.Fatalf("step %d (%s says %d): got event %q, held %v, confirmed %d, cost %d; want %q, %v, %d, %d",
						i+1, step.source, step.cost, ev, next.held(), base, next.cost, step.want, step.held, step.base, step.cost)
				}
				st = next
			}
		})
	}
}

func TestChangePercent(t *testing.T) {
	for _, tt := range []struct {
		from, to int64
		want     string
	}{
		{14900, 1, "-99.99"}, {22870, 1, "-99.99"}, {14900, 0, "-100.00"}, {14900, 745, "-95.00"}, {100, 250, "+150.00"},
		{3, 4, "+33.33"}, {3, 5, "+66.66"}, {100, 100, "0.00"}, {0, 5, "<nil>"},
	} {
		got := "<nil>"
		if p := changePercent(tt.from, tt.to); p != nil {
			got = *p
		}
		if got != tt.want {
			t.Errorf("%d → %d: got %s, want %s", tt.from, tt.to, got, tt.want)
		}
	}
}
