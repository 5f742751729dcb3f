package orders_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/printable"
	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/internal/strictjson/strictjsontest"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

func TestHappyPathAtIsipay(t *testing.T) {
	e := newEnv(t)
	o := e.create(e.request("shop-1"))
	if o.Status != orders.Processing || o.Supplier != isipay.Name {
		t.Fatalf("after create: got %s at %q (%s), want processing at isipay", o.Status, o.Supplier, o.Reason)
	}
	e.poll(2 * time.Second) // Isipay has no webhooks: its status is polled
	o = e.get(o.ID)
	if o.Status != orders.Success {
		t.Fatalf("after poll: got %s (%s), want success", o.Status, o.Reason)
	}
	sp, ip := e.purchases()
	if sp != 0 || ip != 1 {
		t.Fatalf("purchases: got senpay %d, isipay %d, want 0 and 1", sp, ip)
	}
	got := e.isipay.Orders()[0]
	if got.Code != "MLBB_ID_86" || got.Data != "12345678(1234)" || !strings.HasPrefix(got.ReferenceNumber, "SD") {
		t.Fatalf("isipay order: got %+v", got)
	}
	r := e.routing(o.ID)
	if r.Cost == nil || *r.Cost != 20350 || o.Price != 24420 {
		t.Fatalf("cost %v, price %d: want 20350 and 24420", r.Cost, o.Price)
	}
	if len(r.Explain) < 10 {
		t.Fatalf("explain trace not kept with the order: %s", r.Explain)
	}
}

func TestHappyPathAtSenpayCompletesByWebhook(t *testing.T) {
	e := newEnv(t)
	// Isipay's offers dearer than Senpay's: Senpay is chosen.
	for _, code := range []string{"MLBB_ID_86", "MLBB_MY_86"} {
		if err := e.isipay.SetPrice(code, 30000); err != nil {
			t.Fatal(err)
		}
	}
	e.sync(isipay.Name)
	if _, err := e.cat.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	o := e.create(e.request("shop-sp"))
	if o.Supplier != senpay.Name {
		t.Fatalf("got supplier %q (%s), want senpay", o.Supplier, o.Reason)
	}
	// Senpay's simulator sends transaction_status on its own; no poll.
	o = e.waitStatus(o.ID, orders.Success)
	if o.SN == "" {
		t.Fatal("success without the supplier's SN")
	}
	tx := e.senpay.Transactions()
	if len(tx) != 1 || tx[0].Fields["id"] != "12345678" || tx[0].Fields["server"] != "1234" {
		t.Fatalf("senpay transactions: got %+v", tx)
	}
}

func TestFallbackAfterClearRejection(t *testing.T) {
	e := newEnv(t)
	// The catalog still thinks Isipay sells it; Isipay refuses.
	for _, code := range []string{"MLBB_ID_86", "MLBB_MY_86"} {
		if err := e.isipay.SetActive(code, false); err != nil {
			t.Fatal(err)
		}
	}
	o := e.create(e.request("shop-fb"))
	// Senpay's webhook may finish the order before create returns.
	if o.Supplier != senpay.Name || o.Status != orders.Processing && o.Status != orders.Success {
		t.Fatalf("got %s at %q (%s), want processing or success at senpay", o.Status, o.Supplier, o.Reason)
	}
	sp, ip := e.purchases()
	if sp != 1 || ip != 0 {
		t.Fatalf("purchases: got senpay %d, isipay %d, want 1 and 0", sp, ip)
	}
	r := e.routing(o.ID)
	if len(r.Attempts) < 2 || r.Attempts[0].State != "rejected" || r.Attempts[len(r.Attempts)-1].Supplier != senpay.Name {
		t.Fatalf("attempts: %+v", r.Attempts)
	}
	if !hasEvent(r, "route", `"verdict":"tried"`) {
		t.Fatalf("routing decision not recorded: %+v", r.Events)
	}
}

func hasEvent(r *orders.Routing, kind, contains string) bool {
	for _, ev := range r.Events {
		if ev.Kind == kind && strings.Contains(string(ev.Detail), contains) {
			return true
		}
	}
	return false
}

// An unknown outcome is never followed by another supplier: the attempt
// is reconciled where it was made.
func TestNoFallbackAfterUnknownOutcome(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault isipaysim.FaultMode
	}{
		{"5xx", isipaysim.FaultHTTP500},
		{"timeout", isipaysim.FaultTimeout},
		{"dropped connection", isipaysim.FaultDrop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			timeout := 10 * time.Second
			if tc.fault == isipaysim.FaultTimeout {
				timeout = 2 * time.Second // the fault hangs until the client gives up
			}
			e := newEnvTimeout(t, timeout)
			e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: tc.fault, Count: 1})
			o := e.create(e.request("shop-u"))
			if o.Status != orders.Processing || o.Supplier != isipay.Name {
				t.Fatalf("got %s at %q (%s), want processing at isipay", o.Status, o.Supplier, o.Reason)
			}
			if sp, _ := e.purchases(); sp != 0 {
				t.Fatalf("senpay bought %d after an unknown outcome at isipay", sp)
			}
			r := e.routing(o.ID)
			if len(r.Attempts) != 1 || r.Attempts[0].State != "unknown" {
				t.Fatalf("attempts: %+v", r.Attempts)
			}
			// Reconcile: the resend with the same reference lands (the
			// fault did nothing), then the status poll finds it delivered.
			e.poll(2 * time.Second)
			e.poll(3 * time.Second)
			o = e.get(o.ID)
			sp, ip := e.purchases()
			if o.Status != orders.Success || sp != 0 || ip != 1 {
				t.Fatalf("got %s (%s), purchases senpay %d isipay %d; want success, 0 and 1", o.Status, o.Reason, sp, ip)
			}
		})
	}
}

// The first send landed but its answer was lost: the resend is refused
// as a duplicate reference, and Isipay has no lookup by reference and no
// webhook, so the order goes to an operator, who settles it.
func TestAcceptedButLostGoesToAttentionAndIsSettled(t *testing.T) {
	e := newEnv(t)
	e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultAcceptDrop, Count: 1})
	o := e.create(e.request("shop-lost"))
	e.poll(2 * time.Second)
	r := e.routing(o.ID)
	if r.Attempts[0].State != "taken" {
		t.Fatalf("after resend: attempt %+v, want taken", r.Attempts[0])
	}
	e.poll(16 * time.Minute)
	o = e.get(o.ID)
	if o.Status != orders.Attention {
		t.Fatalf("got %s (%s), want attention", o.Status, o.Reason)
	}
	if sp, ip := e.purchases(); sp != 0 || ip != 1 {
		t.Fatalf("purchases: senpay %d, isipay %d; want 0 and 1", sp, ip)
	}
	if _, err := e.svc.Settle(context.Background(), o.ID, orders.Settlement{Succeeded: true, SN: "SN-1"}, "ops"); !errors.Is(err, orders.ErrInvalid) {
		t.Fatalf("settle without a note: got %v, want ErrInvalid", err)
	}
	for _, st := range []orders.Settlement{
		{Succeeded: true, SN: "SN-1", Note: "checked\x00"},
		{Succeeded: true, SN: "SN-1", Note: "checked \u202eok"},
		{Succeeded: true, SN: "SN\t1", Note: "checked"},
	} {
		if _, err := e.svc.Settle(context.Background(), o.ID, st, "ops"); len(fault.FieldsOf(err)) != 1 || !errors.Is(err, orders.ErrInvalid) {
			t.Fatalf("settle with %q / %q: got %v, want a validation error naming the field", st.Note, st.SN, err)
		}
	}
	o, err := e.svc.Settle(context.Background(), o.ID, orders.Settlement{Succeeded: true, SN: "SN-1", Note: "Isipay support confirmed delivery"}, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != orders.Success || o.SN != "SN-1" {
		t.Fatalf("settled: got %s sn %q", o.Status, o.SN)
	}
	r = e.routing(o.ID)
	if !hasEvent(r, "settled", "Isipay support confirmed") || r.Events[len(r.Events)-1].Actor != "ops" {
		t.Fatalf("settlement not audited: %+v", r.Events)
	}
	if _, err := e.svc.Settle(context.Background(), o.ID, orders.Settlement{Note: "again"}, "ops"); !errors.Is(err, orders.ErrNotSettleable) {
		t.Fatalf("settling a final order: got %v, want ErrNotSettleable", err)
	}
}

// Senpay: the lost answer is recovered from its transaction_status
// webhook, found by our partner_reference; a failure there is final when
// the reroute window has passed.
func TestReconcileByWebhook(t *testing.T) {
	for _, tc := range []struct {
		outcome string
		want    orders.Status
	}{
		{senpaysim.StatusSuccess, orders.Success},
		{senpaysim.StatusFailed, orders.Failed},
	} {
		t.Run(tc.outcome, func(t *testing.T) {
			e := newEnv(t, func(e *env, c *orders.Config, _ *orders.NotifyConfig) {
				c.Suppliers = map[string]orders.Supplier{senpay.Name: e.spc} // Senpay only
				c.RerouteWindow = time.Minute
				e.hold = make(chan struct{})
			})
			e.senpay.SetTargetOutcome("12345678", tc.outcome)
			e.senpay.Fail(senpaysim.Fault{Path: "/api/prepaid/transaction/create", Mode: senpaysim.FaultAcceptDrop, Count: 1})
			o := e.create(e.request("shop-wh-" + tc.outcome))
			if o.Status != orders.Processing {
				t.Fatalf("got %s (%s), want processing", o.Status, o.Reason)
			}
			e.clock.Add(2 * time.Minute) // past the reroute window: a failure is final
			close(e.hold)
			o = e.waitStatus(o.ID, tc.want)
			if n := len(e.senpay.Transactions()); n != 1 {
				t.Fatalf("senpay transactions: got %d, want 1", n)
			}
			// The same webhook again, and an older status after it: no change.
			tx := e.senpay.Transactions()[0]
			for _, status := range []string{tc.outcome, "processing"} {
				u := orders.Update{Supplier: senpay.Name, Receipt: orders.Receipt{Txn: tx.Reference, Ref: tx.PartnerReference,
					Status: status, Progress: senpay.Progress(status)}}
				if err := e.svc.Apply(context.Background(), u); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.get(o.ID); got.Status != tc.want || got.Version != o.Version {
				t.Fatalf("after duplicate and stale updates: got %s v%d, want %s v%d", got.Status, got.Version, tc.want, o.Version)
			}
		})
	}
}

func TestUpdateForUnknownTransaction(t *testing.T) {
	e := newEnv(t)
	err := e.svc.Apply(context.Background(), orders.Update{Supplier: senpay.Name, Receipt: orders.Receipt{Txn: "TRX1", Ref: "NOPE"}})
	if !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

// A failure after acceptance re-routes to the next supplier while the
// order is in its window and its price covers the next cost.
func TestFailureAfterAcceptanceReroutes(t *testing.T) {
	e := newEnv(t)
	e.isipay.SetTargetOutcome("12345678(1234)", isipaysim.StatusFailed)
	o := e.create(e.request("shop-rr"))
	if o.Supplier != isipay.Name {
		t.Fatalf("got %q, want isipay first", o.Supplier)
	}
	e.poll(2 * time.Second) // Isipay: Failed → next candidate
	o = e.waitStatus(o.ID, orders.Success)
	if o.Supplier != senpay.Name {
		t.Fatalf("delivered by %q, want senpay", o.Supplier)
	}
	if sp, ip := e.purchases(); sp != 1 || ip < 1 {
		t.Fatalf("purchases: senpay %d isipay %d", sp, ip)
	}
}

// The cost rose after the storefront showed the price, and syncd's sync
// stored it before the snapshot was rebuilt: the dearer supplier is
// skipped; when none is left the order fails cleanly, nothing bought.
func TestPriceGuardAtDispatch(t *testing.T) {
	t.Run("dearer supplier skipped", func(t *testing.T) {
		e := newEnv(t)
		req := e.request("shop-pg1")
		for _, code := range []string{"MLBB_ID_86", "MLBB_MY_86"} {
			if err := e.isipay.SetPrice(code, 26000); err != nil { // above the price of 24420
				t.Fatal(err)
			}
		}
		e.sync(isipay.Name) // no Refresh: the snapshot still shows the old price
		o := e.create(req)
		if o.Supplier != senpay.Name {
			t.Fatalf("got %q (%s), want senpay", o.Supplier, o.Reason)
		}
		if _, ip := e.purchases(); ip != 0 {
			t.Fatalf("isipay bought at a loss")
		}
		r := e.routing(o.ID)
		if !hasEvent(r, "route", "needs a price of at least") {
			t.Fatalf("skip not explained: %+v", r.Events)
		}
	})
	t.Run("no supplier left", func(t *testing.T) {
		e := newEnv(t)
		req := e.request("shop-pg2")
		for _, code := range []string{"MLBB_ID_86", "MLBB_MY_86"} {
			if err := e.isipay.SetPrice(code, 26000); err != nil {
				t.Fatal(err)
			}
		}
		for _, code := range []string{"MLBB-BJ-V3-ALLMLBB_ID_86", "MLBB-BJMLBB_86"} {
			if err := e.senpay.SetPrice(code, 25000); err != nil {
				t.Fatal(err)
			}
		}
		e.sync(isipay.Name)
		e.sync(senpay.Name)
		o := e.create(req)
		if o.Status != orders.Failed || !strings.Contains(o.Reason, "no supplier can deliver") {
			t.Fatalf("got %s (%s), want failed", o.Status, o.Reason)
		}
		if sp, ip := e.purchases(); sp+ip != 0 {
			t.Fatalf("bought %d, want nothing", sp+ip)
		}
	})
}

func TestKnownBalanceTooLowSkipsSupplier(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.RecordBalance(context.Background(), isipay.Name, 1000, nil); err != nil {
		t.Fatal(err)
	}
	// The estimate reaches the catalog in the background: the price is
	// read once it has, not in between.
	e.settle()
	o := e.create(e.request("shop-bal"))
	if o.Supplier != senpay.Name {
		t.Fatalf("got %q (%s), want senpay", o.Supplier, o.Reason)
	}
	if !hasEvent(e.routing(o.ID), "route", "balance 1000 is below the cost") {
		t.Fatal("balance skip not explained")
	}
	bs, err := e.svc.Balances(context.Background())
	if err != nil || len(bs) != 1 || *bs[0].Balance != 1000 {
		t.Fatalf("balances: %+v, %v", bs, err)
	}
}

func TestIntakeValidation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := e.request("shop-v")
	for _, tc := range []struct {
		name  string
		edit  func(*orders.Request)
		want  error
		field string
	}{
		{"unknown item", func(r *orders.Request) { r.Item = "nope" }, orders.ErrInvalid, "item"},
		{"unknown tier", func(r *orders.Request) { r.Tier = "vip" }, orders.ErrInvalid, "tier"},
		{"missing field", func(r *orders.Request) { delete(r.Fields, "server") }, orders.ErrInvalid, "fields.server"},
		{"blank field", func(r *orders.Request) { r.Fields["user_id"] = "  " }, orders.ErrInvalid, "fields.user_id"},
		{"unknown field", func(r *orders.Request) { r.Fields["zone"] = "1" }, orders.ErrInvalid, "fields.zone"},
		{"price changed", func(r *orders.Request) { r.ExpectedPrice-- }, orders.ErrPriceChanged, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := base
			req.Fields = map[string]string{"user_id": "12345678", "server": "1234"}
			tc.edit(&req)
			_, _, err := e.svc.Create(ctx, req, "shop")
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.field != "" && fault.FieldsOf(err)[tc.field] == "" {
				t.Fatalf("got %v, want a problem with %s", err, tc.field)
			}
		})
	}
	var pc *orders.PriceChangedError
	req := base
	req.ExpectedPrice = 1
	if _, _, err := e.svc.Create(ctx, req, "shop"); !errors.As(err, &pc) || pc.Current == nil || *pc.Current != base.ExpectedPrice {
		t.Fatalf("price changed: got %v, want the current price %d", err, base.ExpectedPrice)
	}
	if sp, ip := e.purchases(); sp+ip != 0 {
		t.Fatal("a refused order reached a supplier")
	}
	list, _ := e.svc.List(ctx, orders.Filter{})
	if len(list) != 0 {
		t.Fatalf("refused orders stored: %d", len(list))
	}
}

func TestIdempotentReference(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req := e.request("shop-idem")
	const n = 50
	type answer struct {
		o       *orders.Order
		created bool
		err     error
	}
	answers := make(chan answer, n)
	start := make(chan struct{})
	for range n {
		go func() {
			<-start
			o, created, err := e.svc.Create(ctx, req, "shop")
			answers <- answer{o, created, err}
		}()
	}
	close(start)
	ids, created := map[string]bool{}, 0
	for range n {
		a := <-answers
		if a.err != nil {
			t.Fatal(a.err)
		}
		ids[a.o.ID] = true
		if a.created {
			created++
		}
	}
	if len(ids) != 1 || created != 1 {
		t.Fatalf("got %d orders, %d created; want 1 and 1", len(ids), created)
	}
	var id string
	for k := range ids {
		id = k
	}
	e.waitStatus(id, orders.Processing)
	if sp, ip := e.purchases(); sp+ip != 1 {
		t.Fatalf("purchases: senpay %d + isipay %d, want 1", sp, ip)
	}
	other := req
	other.Fields = map[string]string{"user_id": "999", "server": "1234"}
	if _, _, err := e.svc.Create(ctx, other, "shop"); !errors.Is(err, orders.ErrReferenceReused) {
		t.Fatalf("same reference, different body: got %v, want ErrReferenceReused", err)
	}
	// The same request after the price moved is still the same order.
	if err := e.isipay.SetPrice("MLBB_ID_86", 20000); err != nil {
		t.Fatal(err)
	}
	e.sync(isipay.Name)
	if _, err := e.cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	o, createdAgain, err := e.svc.Create(ctx, req, "shop")
	if err != nil || createdAgain || o.ID != id {
		t.Fatalf("replay after a price change: got %v %v %v", o, createdAgain, err)
	}
}

func TestDecodeRequest(t *testing.T) {
	good := `{"reference": "INV-1", "item": "mobile-legends.diamonds-86-78-8", "fields": {"user_id": "1"}, "expected_price": 24420}`
	req, err := orders.DecodeRequest([]byte(good))
	if err != nil || req.Tier != "public" || req.ExpectedPrice != 24420 {
		t.Fatalf("got %+v, %v", req, err)
	}
	for _, bad := range []string{
		``, `[]`, `{"reference": "INV-1"}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1.5}`,
		`{"reference": "INV-1", "item": "x", "expected_price": "100"}`,
		`{"reference": "INV-1", "item": "x", "expected_price": -1}`,
		`{"reference": "INV 1", "item": "x", "expected_price": 1}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "expected_prise": 1}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": 1}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1} {}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": "x\ny"}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": "x\ty"}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": "x\u0007"}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": "\u001b[31m"}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": "1\u202e2"}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a\u0000": "1"}}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "expected_price": 20350}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "Expected_Price": 20350}`,
		`{"reference": "INV-1", "item": "x", "Expected_Price": 20350}`,
		`{"reference": "INV-1", "item": "x", "expected_price": 1, "fields": {"a": "1", "a": "2"}}`,
	} {
		if _, err := orders.DecodeRequest([]byte(bad)); !errors.Is(err, orders.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", bad, err)
		}
	}
}

// A value holding a character of the game's data template would change
// what the supplier reads; it is refused when the order is taken, with
// nothing stored or sent.
func TestTemplateBreakersRefused(t *testing.T) {
	e := newEnv(t)
	for _, fields := range []map[string]string{
		{"user_id": "{server}|x", "server": "1234"},
		{"user_id": "12345678", "server": "2001)(9999"},
		{"user_id": "1(2", "server": "1234"},
	} {
		req := e.request("breaker")
		req.Fields = fields
		_, _, err := e.svc.Create(context.Background(), req, "shop")
		named := fault.FieldsOf(err)
		if len(named) != 1 || !errors.Is(err, orders.ErrInvalid) {
			t.Fatalf("fields %v: got %v, want a validation error naming one field", fields, err)
		}
		for f := range named {
			if k := strings.TrimPrefix(f, "fields."); fields[k] == "1234" || fields[k] == "12345678" {
				t.Fatalf("fields %v: got %v, want the breaking field named", fields, named)
			}
		}
	}
	if sp, ip := e.purchases(); sp != 0 || ip != 0 {
		t.Fatalf("purchases: senpay %d, isipay %d; want none", sp, ip)
	}
	if list, err := e.svc.ByReference(context.Background(), "shop", "breaker"); err != nil || len(list) != 0 {
		t.Fatalf("orders stored: got %v, %v; want none", list, err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"reference": "INV-1", "item": "a.b", "tier": "public", "fields": {"user_id": "1"}, "expected_price": 24420}`))
	f.Add([]byte(`{"reference": "", "expected_price": 1e3}`))
	f.Add([]byte(`{"reference": "INV-1", "item": "a.b", "fields": {"user_id": "1", "server": "2"}, "expected_price": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := orders.DecodeRequest(data)
		if err != nil {
			if !errors.Is(err, orders.ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		// The same request with any one member repeated is refused.
		if again, path, ok := strictjsontest.WithRepeat(data, uint(len(data))); ok {
			_, err := orders.DecodeRequest(again)
			var dup *strictjson.DuplicateError
			if !errors.As(err, &dup) || dup.Path != path || !errors.Is(err, orders.ErrInvalid) {
				t.Fatalf("%s, with %q repeated: got %v, want a repeated member", again, path, err)
			}
		}
		for k, v := range req.Fields {
			if printable.Line(k) != nil || printable.Line(v) != nil {
				t.Fatalf("accepted field %q: %q", k, v)
			}
		}
		if req.Reference == "" || req.Item == "" || req.ExpectedPrice <= 0 || req.Tier == "" {
			t.Fatalf("accepted an incomplete request: %+v", req)
		}
		// An accepted request encodes and decodes to itself.
		b, _ := json.Marshal(req)
		again, err := orders.DecodeRequest(b)
		if err != nil || again.Reference != req.Reference || again.ExpectedPrice != req.ExpectedPrice || len(again.Fields) != len(req.Fields) {
			t.Fatalf("round trip: %+v → %+v, %v", req, again, err)
		}
	})
}

// References are each storefront's own, and so are its orders.
func TestReferencesAndOrdersArePerStorefront(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	req := e.request("INV-1")
	a, createdA, errA := e.svc.Create(ctx, req, "shop-a")
	b, createdB, errB := e.svc.Create(ctx, req, "shop-b")
	if errA != nil || errB != nil || !createdA || !createdB || a.ID == b.ID {
		t.Fatalf("two storefronts, one reference: got %v %v %v / %v %v %v, want two orders", a, createdA, errA, b, createdB, errB)
	}
	if _, err := e.svc.Get(ctx, a.ID, "shop-b"); !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("another storefront's order: got %v, want ErrNotFound", err)
	}
	if list, err := e.svc.ByReference(ctx, "shop-a", "INV-1"); err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("by reference for shop-a: got %v, %v", list, err)
	}
	if list, err := e.svc.ByReference(ctx, "", "INV-1"); err != nil || len(list) != 2 {
		t.Fatalf("by reference for an operator: got %d orders, %v; want 2", len(list), err)
	}
}

// Create answers with the order as its routing step's last transaction
// left it, without reading it back: the same order a read straight after
// finds, whether the step left it processing at a supplier or failed it.
// (Isipay only: Senpay's webhook could move the order in between.)
func TestCreateAnswersWithTheOrderAsStored(t *testing.T) {
	isipayOnly := func(_ *env, cfg *orders.Config, _ *orders.NotifyConfig) { delete(cfg.Suppliers, senpay.Name) }
	for _, tc := range []struct {
		name   string
		reject bool // Isipay refuses the product
		want   orders.Status
	}{
		{"processing at isipay", false, orders.Processing},
		{"failed: isipay refuses and nobody else can", true, orders.Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, isipayOnly)
			if tc.reject {
				for _, code := range []string{"MLBB_ID_86", "MLBB_MY_86"} {
					if err := e.isipay.SetActive(code, false); err != nil {
						t.Fatal(err)
					}
				}
			}
			o := e.create(e.request("shop-answer"))
			if o.Status != tc.want {
				t.Fatalf("create answered %s (%s), want %s", o.Status, o.Reason, tc.want)
			}
			if got := e.get(o.ID); !reflect.DeepEqual(o, got) {
				t.Fatalf("create answered\n%+v\na read straight after finds\n%+v", o, got)
			}
		})
	}
}
