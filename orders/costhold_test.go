package orders_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/senpay"
)

// TestRoutingSkipsAHeldCost: Isipay's cost of the item falls by 75% at a
// sync: the cost guard holds it. An order placed before the catalog is
// repriced (the snapshot still says Isipay at 20350) is not bought from
// Isipay at a cost nobody confirmed: routing rereads the offers, skips it
// with the reason, and buys from Senpay.
func TestRoutingSkipsAHeldCost(t *testing.T) {
	e := newEnv(t)
	if err := e.isipay.SetPrice("MLBB_ID_86", 5000); err != nil {
		t.Fatal(err)
	}
	e.sync(isipay.Name) // no reprice: the snapshot is the one before
	o := e.create(e.request("shop-held"))
	// Senpay may finish the order before create returns on a busy
	// machine: where it went is the point, not how far it got.
	if o.Supplier != senpay.Name || o.Status != orders.Processing && o.Status != orders.Success {
		t.Fatalf("got %s at %q (%s), want processing or success at senpay", o.Status, o.Supplier, o.Reason)
	}
	if sp, ip := e.purchases(); sp != 1 || ip != 0 {
		t.Fatalf("purchases: senpay %d, isipay %d; want 1 and 0", sp, ip)
	}
	r := e.routing(o.ID)
	if !hasEvent(r, "route", `"supplier":"isipay","cost":5000,"verdict":"skipped","why":"cost_unconfirmed: the supplier's cost moved from 20350 to 5000`) {
		t.Fatalf("routing verdict on the held offer not recorded: %+v", r.Events)
	}

	// Repriced, the catalog sells it from Senpay too, and says why.
	if _, err := e.cat.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	it, _ := e.cat.Snapshot().Item(diamonds86)
	if it.Chosen == nil || it.Chosen.Supplier != senpay.Name || e.price(diamonds86) != 27444 {
		t.Fatalf("after the reprice: chosen %v at %d (%s), want senpay at 27444", it.Chosen, e.price(diamonds86), it.Reason)
	}
	o = e.create(e.request("shop-held-2"))
	if o.Supplier != senpay.Name {
		t.Fatalf("second order: got %q (%s), want senpay", o.Supplier, o.Reason)
	}
	if _, ip := e.purchases(); ip != 0 {
		t.Fatalf("isipay purchases: got %d, want 0", ip)
	}
}
