// Package supplierstest is the conformance suite every supplier adapter
// passes: its descriptor, its catalog against its simulator (and never a
// partial one), the classification of an order's outcome (taken, clearly
// refused, unknown, never sent), status checks, and its optional
// capabilities (balance, webhooks, game settings). An adapter's test
// calls Run with a Harness over its simulator.
package supplierstest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
)

// Harness is one adapter under the suite.
type Harness struct {
	Descriptor suppliers.Descriptor
	// Start serves a fresh simulator for one test and returns its handles.
	Start func(t *testing.T) *Sim
}

// Sim is a running simulator of the adapter's supplier, steered by the
// suite through the harness.
type Sim struct {
	// Values open the adapter against the simulator, with its credentials
	// and no client-side rate limit.
	Values suppliers.Values
	// Refuse makes the simulator refuse orders of a product clearly (out
	// of stock, inactive): the supplier definitely does not take them.
	Refuse func(code string)
	// Break makes the next order fail with a server error: it may have
	// been taken.
	Break func()
	// Garble makes the next catalog fetch meet an unreadable reply part
	// way through (a page of a listing, if the catalog takes several).
	Garble func()
	// Stop shuts the simulator down: nothing reaches it any more.
	Stop func()
	// Balance is the deposit the simulator starts with, for an adapter
	// with a balance capability.
	Balance int64
	// Webhook, for an adapter that takes webhooks: a delivery its parser
	// takes and one it must refuse.
	Webhook *Webhook
}

// Webhook is a delivery the adapter's parser takes and one it refuses.
type Webhook struct{ Valid, Invalid []byte }

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	d := h.Descriptor
	start := func(t *testing.T) *Sim {
		t.Helper()
		sim := h.Start(t)
		// Every setting as configuration parsing leaves it: the default
		// where the harness gives none.
		v := suppliers.Values{}
		for _, st := range d.Settings {
			v[st.Env] = st.Default
		}
		maps.Copy(v, sim.Values)
		sim.Values = v
		return sim
	}
	openWith := func(t *testing.T, sim *Sim) *suppliers.Adapter {
		t.Helper()
		ad, err := d.Open(sim.Values, suppliers.Hooks{})
		if err != nil {
			t.Fatalf("open %s: %v", d.Name, err)
		}
		if ad.Source == nil || ad.Orders == nil {
			t.Fatalf("open %s: got source %v, orders %v; want both", d.Name, ad.Source, ad.Orders)
		}
		return ad
	}
	open := func(t *testing.T) (*Sim, *suppliers.Adapter) {
		t.Helper()
		sim := start(t)
		return sim, openWith(t, sim)
	}
	ctx := context.Background()

	t.Run("descriptor", func(t *testing.T) {
		if err := suppliers.CheckRegistry([]suppliers.Descriptor{d}); err != nil {
			t.Fatal(err)
		}
		if d.Title == "" || d.EnabledBy() == "" {
			t.Errorf("title %q, enabled by %q: want both", d.Title, d.EnabledBy())
		}
		sim := start(t)
		if !d.Enabled(sim.Values) {
			t.Errorf("the simulator's settings do not enable %s", d.Name)
		}
		if err := d.Check(sim.Values); err != nil {
			t.Errorf("the simulator's settings: %v", err)
		}
		if d.Enabled(suppliers.Values{}) {
			t.Errorf("enabled with no settings at all")
		}
		for _, s := range d.Settings {
			if !strings.HasPrefix(s.Flag, d.Name) && !strings.HasPrefix(strings.ToLower(s.Env), strings.ReplaceAll(d.Name, "-", "_")) {
				t.Errorf("setting %s (-%s) is not named after the supplier", s.Env, s.Flag)
			}
			if s.Check != nil && s.Default != "" {
				if err := s.Check(s.Default); err != nil {
					t.Errorf("setting %s: its default %q is refused: %v", s.Env, s.Default, err)
				}
			}
		}
	})

	t.Run("catalog", func(t *testing.T) {
		_, ad := open(t)
		cat, err := ad.Source.FetchCatalog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		checkCatalog(t, cat)
	})

	t.Run("bad reply fails the whole catalog", func(t *testing.T) {
		sim, ad := open(t)
		sim.Garble()
		cat, err := ad.Source.FetchCatalog(ctx)
		if err == nil || cat != nil {
			t.Fatalf("got %v and a catalog of %d offers, want an error and no catalog", err, offerCount(cat))
		}
		if k := suppliers.KindOf(err); k == suppliers.KindRejected || k == 0 {
			t.Errorf("got %v (kind %v), want a classified failure of the reply or the supplier", err, k)
		}
	})

	t.Run("order taken and checked", func(t *testing.T) {
		_, ad := open(t)
		p := purchase(t, ad, d, "conf-taken-1")
		rc, err := ad.Orders.Place(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Ref != p.Ref {
			t.Errorf("receipt ref: got %q, want %q", rc.Ref, p.Ref)
		}
		if rc.Progress == orders.NotDelivered {
			t.Errorf("a fresh order reads as not delivered: %+v", rc)
		}
		if rc.Txn == "" {
			return // the supplier gave no id: only its webhook can say more
		}
		got, err := ad.Orders.Check(ctx, rc.Txn)
		if err != nil {
			t.Fatal(err)
		}
		if got.Txn != rc.Txn {
			t.Errorf("check: got txn %q, want %q", got.Txn, rc.Txn)
		}
	})

	t.Run("resend of a taken order is taken", func(t *testing.T) {
		_, ad := open(t)
		p := purchase(t, ad, d, "conf-again-1")
		if _, err := ad.Orders.Place(ctx, p); err != nil {
			t.Fatal(err)
		}
		_, err := ad.Orders.Place(ctx, p)
		wantOutcome(t, err, orders.ErrTaken)
	})

	t.Run("clear refusal is not taken", func(t *testing.T) {
		sim, ad := open(t)
		p := purchase(t, ad, d, "conf-refused-1")
		sim.Refuse(p.Code)
		_, err := ad.Orders.Place(ctx, p)
		wantOutcome(t, err, orders.ErrNotTaken)
		if errors.Is(err, orders.ErrUnreachable) {
			t.Errorf("a refusal reads as unreachable: %v", err)
		}
	})

	t.Run("server error is an unknown outcome", func(t *testing.T) {
		sim, ad := open(t)
		p := purchase(t, ad, d, "conf-broken-1")
		sim.Break()
		_, err := ad.Orders.Place(ctx, p)
		wantOutcome(t, err, orders.ErrUnknownOutcome)
	})

	t.Run("never sent is not taken and unreachable", func(t *testing.T) {
		sim, ad := open(t)
		p := purchase(t, ad, d, "conf-down-1")
		sim.Stop()
		// A fresh client: a connection pooled before the stop would be
		// cut mid-request, which is another case (an unknown outcome).
		ad = openWith(t, sim)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := ad.Orders.Place(ctx, p)
		wantOutcome(t, err, orders.ErrNotTaken)
		if !errors.Is(err, orders.ErrUnreachable) {
			t.Errorf("got %v, want it unreachable too (for the circuit breaker)", err)
		}
	})

	t.Run("balance", func(t *testing.T) {
		sim, ad := open(t)
		if ad.Balance == nil {
			t.Skipf("%s reports no balance", d.Name)
		}
		got, err := ad.Balance(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(decimal.NewFromInt(sim.Balance)) {
			t.Errorf("balance: got %s, want %d", got, sim.Balance)
		}
	})

	t.Run("webhook", func(t *testing.T) {
		if d.Webhook == nil {
			t.Skipf("%s posts no webhooks", d.Name)
		}
		sim := start(t)
		w := d.Webhook
		if w.Parse == nil || w.Access == nil || w.Reply == nil || w.Messages.UnknownOrder == nil {
			t.Fatalf("webhook capability incomplete: %+v", w)
		}
		if sim.Webhook == nil {
			t.Fatal("the harness gives no deliveries to parse")
		}
		if _, err := w.Parse(sim.Webhook.Valid); err != nil {
			t.Errorf("a valid delivery: %v", err)
		}
		if ev, err := w.Parse(sim.Webhook.Invalid); err == nil {
			t.Errorf("an invalid delivery: got %+v, want an error", ev)
		}
		if _, err := w.Access(sim.Values); err != nil {
			t.Errorf("access from the simulator's settings: %v", err)
		}
		if _, err := json.Marshal(w.Reply(400, "why")); err != nil {
			t.Errorf("reply does not encode: %v", err)
		}
	})

	t.Run("game settings", func(t *testing.T) {
		if len(d.GameSettings) == 0 {
			t.Skipf("%s declares no game settings", d.Name)
		}
		for _, form := range [][]catalog.FormField{
			{{Key: "user_id", Type: "text"}},
			{{Key: "user_id", Type: "text"}, {Key: "server", Type: "text"}},
		} {
			for _, st := range d.GameSettings {
				if st.Key == "" || st.Label == "" || st.Default == nil {
					t.Fatalf("setting %+v: want a key, a label and a default", st)
				}
				if st.Check != nil {
					if err := st.Check(st.Default(form), form); err != nil {
						t.Errorf("setting %s: the default for %v is refused: %v", st.Key, form, err)
					}
				}
			}
		}
	})
}

// checkCatalog holds what sync refuses in a catalog.
func checkCatalog(t *testing.T, cat *offers.SupplierCatalog) {
	t.Helper()
	if cat == nil || len(cat.Games) == 0 || len(cat.Offers) == 0 {
		t.Fatalf("got %d offers, want the simulator's catalog", offerCount(cat))
	}
	games := map[string]bool{}
	for _, g := range cat.Games {
		if g.Code == "" || games[g.Code] {
			t.Errorf("game %q: empty or listed twice", g.Code)
		}
		games[g.Code] = true
	}
	codes := map[string]bool{}
	for _, o := range cat.Offers {
		switch {
		case o.Code == "" || codes[o.Code]:
			t.Errorf("offer %q: empty or listed twice", o.Code)
		case !games[o.GameCode]:
			t.Errorf("offer %s: game %q not in the catalog", o.Code, o.GameCode)
		case o.Cost.IsNegative():
			t.Errorf("offer %s: cost %s", o.Code, o.Cost)
		}
		codes[o.Code] = true
	}
}

func offerCount(cat *offers.SupplierCatalog) int {
	if cat == nil {
		return 0
	}
	return len(cat.Offers)
}

// purchase is an order of the cheapest active offer of the catalog, its
// form answered as a buyer would and the supplier's game settings at
// their defaults, as the order router builds one.
func purchase(t *testing.T, ad *suppliers.Adapter, d suppliers.Descriptor, ref string) orders.Purchase {
	t.Helper()
	cat, err := ad.Source.FetchCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	active := map[string]offers.SupplierGame{}
	for _, g := range cat.Games {
		if g.Active {
			active[g.Code] = g
		}
	}
	var offs []offers.Offer
	for _, o := range cat.Offers {
		if _, ok := active[o.GameCode]; ok && o.Active && o.Cost.IsPositive() {
			offs = append(offs, o)
		}
	}
	if len(offs) == 0 {
		t.Fatal("no active offer to order")
	}
	slices.SortFunc(offs, func(a, b offers.Offer) int { return cmpCost(a, b) })
	o := offs[0]
	g := active[o.GameCode]
	values := map[string]string{}
	var form []catalog.FormField
	for _, f := range g.Form {
		key := catalog.CanonicalKey(f.Key)
		v := "12345678"
		if len(f.Options) > 0 {
			v = f.Options[0].Code
		}
		values[key] = v
		form = append(form, catalog.FormField{Key: key, Type: "text"})
	}
	if len(form) == 0 {
		values["user_id"] = "12345678"
		form = []catalog.FormField{{Key: "user_id", Type: "text"}}
	}
	p := orders.Purchase{Ref: ref, Code: o.Code, GameCode: o.GameCode, Form: g.Form, Values: values,
		Cost: o.Cost.Ceil().IntPart()}
	if len(d.GameSettings) > 0 {
		p.Settings = map[string]string{}
		for _, st := range d.GameSettings {
			p.Settings[st.Key] = st.Default(form)
		}
	}
	return p
}

func cmpCost(a, b offers.Offer) int {
	if c := a.Cost.Cmp(b.Cost); c != 0 {
		return c
	}
	return strings.Compare(a.Code, b.Code)
}

// wantOutcome fails unless err wraps want and no other outcome.
func wantOutcome(t *testing.T, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	var got []string
	for _, o := range []error{orders.ErrNotTaken, orders.ErrTaken, orders.ErrUnknownOutcome} {
		if errors.Is(err, o) {
			got = append(got, o.Error())
		}
	}
	if len(got) != 1 || !errors.Is(err, want) {
		t.Fatalf("got %v (outcomes %v), want exactly %v", err, got, want)
	}
	if suppliers.KindOf(err) == 0 {
		t.Errorf("got %v, want the client's classified error in the chain", err)
	}
}
