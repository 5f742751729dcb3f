package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/rules"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
)

// withReliability turns reliability-weighted routing on with a tolerance
// of amount rupiah and a minimum of 5 finished attempts; figures are read
// afresh for every order.
func withReliability(amount int64) option {
	return func(_ *env, c *orders.Config, _ *orders.NotifyConfig) {
		c.Reliability = orders.ReliabilityConfig{Amount: amount, MinSamples: 5, Window: time.Hour, CacheFor: time.Nanosecond}
	}
}

// routeEvent is the detail of an order's first route event.
type routeEvent struct {
	Candidates  []orders.Decision       `json:"candidates"`
	Reliability *orders.ReliabilityNote `json:"reliability"`
}

func firstRoute(t *testing.T, r *orders.Routing) routeEvent {
	t.Helper()
	for _, ev := range r.Events {
		if ev.Kind == "route" {
			var d routeEvent
			if err := json.Unmarshal(ev.Detail, &d); err != nil {
				t.Fatal(err)
			}
			return d
		}
	}
	t.Fatalf("order %s: no route event", r.Order.ID)
	return routeEvent{}
}

// flakyIsipay places n orders for 86 Diamonds (cheapest at Isipay, 2520
// more at Senpay, priced at 24420) with Isipay clearly refusing 30% of
// them (3 in every 10 sent there, which then fall back), and drives each
// to a final status. It returns the orders' routings, in order.
func flakyIsipay(t *testing.T, e *env, n int) []*orders.Routing {
	t.Helper()
	var out []*orders.Routing
	for i := range n {
		e.isipay.ClearFaults()
		if i%10 == 0 || i%10 == 3 || i%10 == 6 {
			e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultErrorBody, Code: 400,
				Message: "Produk sedang gangguan", Count: 1})
		}
		o := e.create(e.request(fmt.Sprintf("flaky-%d", i)))
		deadline := time.Now().Add(10 * time.Second)
		for !o.Status.Final() {
			if time.Now().After(deadline) {
				t.Fatalf("order %d: still %s (%s)", i, o.Status, o.Reason)
			}
			e.poll(2 * time.Second)
			o = e.get(o.ID)
		}
		out = append(out, e.routing(o.ID))
	}
	e.isipay.ClearFaults()
	return out
}

// TestReliabilityMovesOrders: with Isipay refusing 30% of its orders and
// Senpay within the tolerance, once both have enough finished attempts
// orders go to Senpay first, each decision saying why, with the figures;
// every attempt leaves the order's price at or above its floor.
func TestReliabilityMovesOrders(t *testing.T) {
	e := newEnv(t, withReliability(3000))
	routings := flakyIsipay(t, e, 30)
	for i, r := range routings {
		if r.Order.Status != orders.Success {
			t.Errorf("order %d: got %s (%s), want success", i, r.Order.Status, r.Order.Reason)
		}
		for _, d := range firstRoute(t, r).Candidates {
			if d.Verdict != "tried" {
				continue
			}
			if floor, err := decimal.NewFromString(d.MinPrice); err != nil || floor.GreaterThan(decimal.NewFromInt(r.Order.Price)) {
				t.Errorf("order %d: tried %s at cost %d with a floor of %q over the price %d: a loss", i, d.Supplier, d.Cost, d.MinPrice, r.Order.Price)
			}
		}
	}
	// The first orders have no record to weigh: cheapest first.
	if got := routings[0].Attempts[0].Supplier; got != isipay.Name {
		t.Errorf("first order: got %s first, want %s (no record yet)", got, isipay.Name)
	}
	if n := firstRoute(t, routings[0]).Reliability; n == nil || n.Changed {
		t.Errorf("first order's reliability note: got %+v, want one that changed nothing", n)
	}
	// Isipay at 70% and Senpay at 100%, both past the minimum: the last
	// ten go to Senpay, and say so.
	for i, r := range routings[20:] {
		ev := firstRoute(t, r)
		if got := r.Attempts[0].Supplier; got != senpay.Name {
			t.Errorf("order %d: got %s first, want %s (more reliable, within 3000): %+v", 20+i, got, senpay.Name, ev.Reliability)
			continue
		}
		if ev.Reliability == nil || !ev.Reliability.Changed || ev.Reliability.Why == "" {
			t.Errorf("order %d: reliability note %+v, want changed with a why", 20+i, ev.Reliability)
		}
		weighed := 0
		for _, d := range ev.Candidates {
			if d.Reliability != nil {
				weighed++
				if d.Reliability.Samples < 5 || d.Reliability.SuccessRate == "" {
					t.Errorf("order %d: %s's figures %+v, want at least 5 samples and a rate", 20+i, d.Supplier, d.Reliability)
				}
			}
		}
		if weighed < 2 {
			t.Errorf("order %d: %d candidates carry figures, want both suppliers'", 20+i, weighed)
		}
	}
}

// TestReliabilityOffRoutesCheapest: the same flaky Isipay with the option
// off: every order goes to Isipay first, and no decision carries figures.
func TestReliabilityOffRoutesCheapest(t *testing.T) {
	e := newEnv(t)
	for i, r := range flakyIsipay(t, e, 20) {
		ev := firstRoute(t, r)
		if got := r.Attempts[0].Supplier; got != isipay.Name {
			t.Errorf("order %d: got %s first, want %s (cheapest)", i, got, isipay.Name)
		}
		if ev.Reliability != nil {
			t.Errorf("order %d: reliability note %+v with the option off", i, ev.Reliability)
		}
		for _, d := range ev.Candidates {
			if d.Reliability != nil {
				t.Errorf("order %d: %s carries figures with the option off", i, d.Supplier)
			}
		}
	}
}

// TestReliabilityNeverAtALoss: a guard that Senpay's cost cannot meet at
// the order's price keeps every order off Senpay however reliable it is
// and however wide the tolerance: a refused order fails instead.
func TestReliabilityNeverAtALoss(t *testing.T) {
	e := newEnv(t, withReliability(100_000))
	// 2000 over cost: Isipay's 20350 needs 22350, Senpay's 22870 needs
	// 24870, above the 24420 the order is priced at.
	guard, err := rules.Decode([]byte(`{"name": "+20%, 2000 at least", "action": {"kind": "markup_percent", "value": "20", "plus": 0},
		"match": {"tier": "public"}, "guard": {"min_margin_amount": 2000}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.cat.SaveRule(context.Background(), catalog.RuleChange{Op: "create", Rule: guard}, "test"); err != nil {
		t.Fatal(err)
	}
	for i, r := range flakyIsipay(t, e, 20) {
		for _, a := range r.Attempts {
			if a.Supplier == senpay.Name {
				t.Errorf("order %d: attempt at %s at cost %d for a price of %d: a loss past the guard", i, a.Supplier, a.Cost, r.Order.Price)
			}
		}
		if want := orders.Success; i%10 != 0 && i%10 != 3 && i%10 != 6 && r.Order.Status != want {
			t.Errorf("order %d: got %s (%s), want %s", i, r.Order.Status, r.Order.Reason, want)
		}
	}
}
