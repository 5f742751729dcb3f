package orders_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
)

// The order path's circuit breaker, with both simulators over HTTP. Isipay
// is the cheapest supplier of diamonds86; its order endpoint is made to
// answer 502 (a proxy in front of a dead API), which is an unknown outcome
// for each order sent there.

const (
	tripAfter = 3
	cooldown  = 30 * time.Second
)

func withBreaker(_ *env, cfg *orders.Config, _ *orders.NotifyConfig) {
	cfg.Breaker = orders.BreakerConfig{Failures: tripAfter, Cooldown: cooldown}
}

func (e *env) breaker(supplier string) orders.Breaker {
	e.t.Helper()
	for _, b := range e.svc.Breakers() {
		if b.Supplier == supplier {
			return b
		}
	}
	e.t.Fatalf("no breaker for %s in %+v", supplier, e.svc.Breakers())
	return orders.Breaker{}
}

// isipayOrders counts the requests Isipay's order endpoint received.
func (e *env) isipayOrders() int { return e.isipay.Requests(isipaysim.PathOrder) }

// decision finds the routing decision about supplier in an order's first
// route event.
func decision(t *testing.T, r *orders.Routing, supplier string) orders.Decision {
	t.Helper()
	for _, ev := range r.Events {
		if ev.Kind != "route" {
			continue
		}
		var d struct {
			Candidates []orders.Decision `json:"candidates"`
		}
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Candidates {
			if c.Supplier == supplier {
				return c
			}
		}
	}
	t.Fatalf("no routing decision about %s: %+v", supplier, r.Events)
	return orders.Decision{}
}

// trip sends tripAfter orders into Isipay's 502s and checks each was left
// at Isipay, unknown, and that the circuit opened.
func (e *env) trip() []*orders.Order {
	e.t.Helper()
	e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultBadGateway})
	var out []*orders.Order
	for i := range tripAfter {
		if b := e.breaker(isipay.Name); b.State != orders.BreakerClosed {
			e.t.Fatalf("after %d failures: circuit %s, want closed below %d", i, b.State, tripAfter)
		}
		o := e.create(e.request(fmt.Sprintf("trip-%d", i)))
		if o.Status != orders.Processing || o.Supplier != isipay.Name {
			e.t.Fatalf("order %d into the 502s: got %s at %q (%s), want processing at isipay", i, o.Status, o.Supplier, o.Reason)
		}
		out = append(out, o)
	}
	if got := e.isipayOrders(); got != tripAfter {
		e.t.Fatalf("isipay order requests: got %d, want %d", got, tripAfter)
	}
	b := e.breaker(isipay.Name)
	if b.State != orders.BreakerOpen || b.Failures != tripAfter || b.Since == nil || b.ProbeAt == nil ||
		!strings.Contains(b.LastFailure, "502") {
		e.t.Fatalf("after %d failures: got %+v, want open with %d failures, the 502 and a probe time", tripAfter, b, tripAfter)
	}
	return out
}

// checkUnknownAtIsipay holds that an order into the 502s stays with Isipay
// alone: one attempt, never rerouted.
func (e *env) checkUnknownAtIsipay(o *orders.Order) {
	e.t.Helper()
	r := e.routing(o.ID)
	if len(r.Attempts) != 1 || r.Attempts[0].Supplier != isipay.Name || r.Attempts[0].State != "unknown" {
		e.t.Fatalf("order %s: attempts %+v, want one unknown at isipay", o.Reference, r.Attempts)
	}
}

func TestBreakerOpensAndRoutesPastTheFailingSupplier(t *testing.T) {
	e := newEnv(t, withBreaker)
	tripped := e.trip()

	// The next orders go straight to Senpay: Isipay's order endpoint is
	// not called at all.
	for i := range 3 {
		o := e.create(e.request(fmt.Sprintf("past-%d", i)))
		if o.Supplier != senpay.Name {
			t.Fatalf("order with the circuit open: got %s at %q (%s), want senpay", o.Status, o.Supplier, o.Reason)
		}
		r := e.routing(o.ID)
		if len(r.Attempts) != 1 || r.Attempts[0].Supplier != senpay.Name {
			t.Fatalf("attempts: got %+v, want one, at senpay", r.Attempts)
		}
		d := decision(t, r, isipay.Name)
		if d.Verdict != "skipped" || !strings.Contains(d.Why, "isipay circuit open since") || !strings.Contains(d.Why, fmt.Sprintf("%d failures", tripAfter)) {
			t.Fatalf("isipay decision: got %+v, want skipped for its open circuit", d)
		}
		e.waitStatus(o.ID, orders.Success)
	}
	if got := e.isipayOrders(); got != tripAfter {
		t.Fatalf("isipay order requests with the circuit open: got %d, want still %d", got, tripAfter)
	}
	if b := e.breaker(isipay.Name); b.Skipped != 3 {
		t.Fatalf("skipped: got %d, want 3", b.Skipped)
	}

	// The orders it failed are reconciled at Isipay, never moved: the
	// circuit changes where new orders go, nothing else.
	e.poll(2 * time.Second)
	for _, o := range tripped {
		e.checkUnknownAtIsipay(o)
	}
	if got := e.isipayOrders(); got != 2*tripAfter {
		t.Fatalf("isipay order requests after a reconciling poll: got %d, want %d (one resend each)", got, 2*tripAfter)
	}
	if sp, _ := e.purchases(); sp != 3 {
		t.Fatalf("senpay purchases: got %d, want the 3 new orders only", sp)
	}
}

func TestBreakerRecoversThroughHalfOpen(t *testing.T) {
	e := newEnv(t, withBreaker)
	e.trip()

	// Isipay recovers. Within the cool-down nothing is sent there.
	e.isipay.ClearFaults()
	e.clock.Add(cooldown / 2)
	if o := e.create(e.request("in-cooldown")); o.Supplier != senpay.Name {
		t.Fatalf("within the cool-down: got %q, want senpay", o.Supplier)
	}

	// After it, one order probes Isipay, is taken, and closes the circuit.
	e.clock.Add(cooldown)
	probe := e.create(e.request("probe"))
	if probe.Supplier != isipay.Name || probe.Status != orders.Processing {
		t.Fatalf("probe: got %s at %q (%s), want processing at isipay", probe.Status, probe.Supplier, probe.Reason)
	}
	if d := decision(t, e.routing(probe.ID), isipay.Name); d.Verdict != "tried" || !strings.Contains(d.Why, "half-open") {
		t.Fatalf("probe decision: got %+v, want tried, probing the half-open circuit", d)
	}
	b := e.breaker(isipay.Name)
	if b.State != orders.BreakerClosed || b.Failures != 0 || b.Opened != 1 {
		t.Fatalf("after the probe was taken: got %+v, want closed, no failures, opened once", b)
	}

	// Closed: orders go to the cheapest again.
	before := e.isipayOrders()
	if o := e.create(e.request("closed")); o.Supplier != isipay.Name {
		t.Fatalf("after closing: got %q (%s), want isipay", o.Supplier, o.Reason)
	}
	if got := e.isipayOrders(); got != before+1 {
		t.Fatalf("isipay order requests: got %d, want %d", got, before+1)
	}
}

// The probe into a still failing supplier is an unknown outcome like any
// other: reconciled at that supplier, never rerouted; the circuit opens
// again and the next orders go elsewhere.
func TestUnknownOutcomeWhileHalfOpenIsReconciledNotRerouted(t *testing.T) {
	e := newEnv(t, withBreaker)
	e.trip()
	e.clock.Add(cooldown + time.Second)

	probe := e.create(e.request("probe"))
	if probe.Supplier != isipay.Name || probe.Status != orders.Processing {
		t.Fatalf("probe: got %s at %q (%s), want processing at isipay", probe.Status, probe.Supplier, probe.Reason)
	}
	e.checkUnknownAtIsipay(probe)
	b := e.breaker(isipay.Name)
	if b.State != orders.BreakerOpen || b.Opened != 2 || b.Probe != "" {
		t.Fatalf("after the probe failed: got %+v, want open again (twice), no probe in flight", b)
	}
	if o := e.create(e.request("after-probe")); o.Supplier != senpay.Name {
		t.Fatalf("after the failed probe: got %q, want senpay", o.Supplier)
	}

	// Isipay comes back. The probe order is resent to Isipay with its own
	// reference, taken there, and delivered: one purchase, at Isipay.
	e.isipay.ClearFaults()
	e.poll(2 * time.Second)
	e.poll(3 * time.Second)
	o := e.get(probe.ID)
	r := e.routing(probe.ID)
	if o.Status != orders.Success || o.Supplier != isipay.Name || len(r.Attempts) != 1 {
		t.Fatalf("probe order: got %s at %q with attempts %+v, want success at isipay with its one attempt", o.Status, o.Supplier, r.Attempts)
	}
	var bought int
	for _, io := range e.isipay.Orders() {
		if io.ReferenceNumber == r.Attempts[0].Ref {
			bought++
		}
	}
	if bought != 1 {
		t.Fatalf("isipay purchases of the probe's reference: got %d, want 1", bought)
	}
	// The resend's answer closed the circuit.
	if b := e.breaker(isipay.Name); b.State != orders.BreakerClosed {
		t.Fatalf("after isipay answered a resend: circuit %s, want closed", b.State)
	}
}

// When the open circuit's supplier is the only one that can deliver an
// item, its orders still go there: a slow supplier is better than none,
// and the item stays on sale.
func TestOpenCircuitWithNoAlternativeStillSends(t *testing.T) {
	e := newEnv(t, withBreaker)
	// Senpay stops selling 86 diamonds: Isipay is the only supplier.
	snap := e.cat.Snapshot()
	it, _ := snap.Item(diamonds86)
	for _, o := range it.Offers {
		if o.Supplier == senpay.Name {
			if err := e.senpay.SetActive(o.Code, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.sync(senpay.Name)
	if _, err := e.cat.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.trip()

	o := e.create(e.request("only-isipay"))
	if o.Supplier != isipay.Name || o.Status != orders.Processing {
		t.Fatalf("with the only supplier's circuit open: got %s at %q (%s), want processing at isipay", o.Status, o.Supplier, o.Reason)
	}
	d := decision(t, e.routing(o.ID), isipay.Name)
	if d.Verdict != "tried" || !strings.Contains(d.Why, "circuit open") || !strings.Contains(d.Why, "sent anyway") {
		t.Fatalf("decision: got %+v, want tried, sent anyway with the circuit open", d)
	}
	if got := e.isipayOrders(); got != tripAfter+1 {
		t.Fatalf("isipay order requests: got %d, want %d", got, tripAfter+1)
	}
	if it, _ := e.cat.Snapshot().Item(diamonds86); it.PriceIn("public").Amount == nil {
		t.Fatal("the item went off sale with its supplier's circuit open")
	}
}

// Clear refusals are answers: they never open a circuit, however many.
func TestBusinessRefusalsDoNotOpenTheCircuit(t *testing.T) {
	e := newEnv(t, withBreaker)
	for _, code := range []string{"MLBB_ID_86", "MLBB_MY_86"} {
		if err := e.isipay.SetActive(code, false); err != nil {
			t.Fatal(err)
		}
	}
	for i := range tripAfter + 2 {
		if o := e.create(e.request(fmt.Sprintf("refused-%d", i))); o.Supplier != senpay.Name {
			t.Fatalf("order %d: got %q (%s), want senpay after isipay's refusal", i, o.Supplier, o.Reason)
		}
	}
	if got := e.isipayOrders(); got != tripAfter+2 {
		t.Fatalf("isipay order requests: got %d, want every order tried there first (%d)", got, tripAfter+2)
	}
	if b := e.breaker(isipay.Name); b.State != orders.BreakerClosed || b.Failures != 0 {
		t.Fatalf("after refusals: got %+v, want closed, no failures", b)
	}
}

// A supplier whose address refuses connections never got the purchase:
// each order falls back at once, and the refusals open the circuit.
func TestConnectionRefusedOpensTheCircuit(t *testing.T) {
	e := newEnv(t, withBreaker)
	dead := isipay.New(isipay.Config{BaseURL: "http://127.0.0.1:1", APIToken: key, RatePerSecond: -1,
		HTTP: &http.Client{Timeout: time.Second}, Retry: suppliers.Retry{Attempts: 1}})
	e.cfg.Suppliers[isipay.Name] = dead
	e.start(orders.NotifyConfig{})
	for i := range tripAfter {
		o := e.create(e.request(fmt.Sprintf("refused-%d", i)))
		r := e.routing(o.ID)
		if o.Supplier != senpay.Name || len(r.Attempts) != 2 || r.Attempts[0].State != "rejected" {
			t.Fatalf("order %d: got %q with attempts %+v, want senpay after isipay's attempt was rejected", i, o.Supplier, r.Attempts)
		}
	}
	if b := e.breaker(isipay.Name); b.State != orders.BreakerOpen {
		t.Fatalf("after %d refused connections: got %+v, want open", tripAfter, b)
	}
	o := e.create(e.request("past"))
	if r := e.routing(o.ID); len(r.Attempts) != 1 || r.Attempts[0].Supplier != senpay.Name {
		t.Fatalf("with the circuit open: attempts %+v, want one, at senpay", r.Attempts)
	}
}

// A supplier that refused syncd's credentials at its last sync is not
// ordered from at all: its offers are ineligible from that sync on.
func TestUnauthorizedSyncStopsRouting(t *testing.T) {
	e := newEnv(t)
	wrong := isipay.New(isipay.Config{BaseURL: e.ipURL, APIToken: "wrong-key", RatePerSecond: -1,
		HTTP: &http.Client{Timeout: 2 * time.Second}, Retry: suppliers.Retry{Attempts: 1}})
	res, err := e.syncer.Sync(context.Background(), isipay.Name, wrong)
	if err == nil {
		t.Fatal("sync with a wrong key: got no error")
	}
	if _, err := e.cat.AfterSync(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	o := e.create(e.request("after-401"))
	if o.Supplier != senpay.Name {
		t.Fatalf("after isipay refused syncd's credentials: got %q (%s), want senpay", o.Supplier, o.Reason)
	}
	if got := e.isipayOrders(); got != 0 {
		t.Fatalf("isipay order requests: got %d, want none", got)
	}
	d := decision(t, e.routing(o.ID), isipay.Name)
	if d.Verdict != "skipped" || !strings.Contains(d.Why, "credentials") {
		t.Fatalf("isipay decision: got %+v, want skipped for the refused credentials", d)
	}

	// Isipay syncs again with the right key: ordered from again. A sync
	// that then fails for any other reason leaves it degraded, and still
	// ordered from.
	if e.sync2(isipay.Name) {
		t.Fatal("sync with the right key failed")
	}
	e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathProduct, Mode: isipaysim.FaultHTTP500})
	if !e.sync2(isipay.Name) {
		t.Fatal("sync into an outage: got no error")
	}
	if st, _ := e.syncer.Status(context.Background(), isipay.Name, time.Hour); st.State != offers.StateDegraded {
		t.Fatalf("isipay after a failed sync: got %s, want degraded", st.State)
	}
	if o := e.create(e.request("degraded")); o.Supplier != isipay.Name {
		t.Fatalf("with isipay degraded: got %q (%s), want isipay still", o.Supplier, o.Reason)
	}
}

// sync2 syncs a supplier that may fail and brings the catalog up to date
// as the scheduler does; it reports whether the sync failed.
func (e *env) sync2(supplier string) bool {
	e.t.Helper()
	src := e.sims.Client(supplier)
	res, err := e.syncer.Sync(context.Background(), supplier, src)
	if _, aerr := e.cat.AfterSync(context.Background(), res); aerr != nil {
		e.t.Fatal(aerr)
	}
	return err != nil
}
