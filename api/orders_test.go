package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
)

// TestOrderCreateAndReplay: a new reference is one order and one purchase;
// the same reference and body again is the same order and nothing bought;
// the same reference with another body is refused.
func TestOrderCreateAndReplay(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	price := c.price(t, diamonds86)
	body := orderBody("shop-1", diamonds86, price)

	resp, b := c.call(t, "POST", "/v1/orders", c.storefront, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("first POST: got %d, want 201: %s", resp.StatusCode, b)
	}
	o := decodeOrder(t, b)
	if got, want := resp.Header.Get("Location"), "/v1/orders/"+o.ID; got != want {
		t.Fatalf("Location: got %q, want %q", got, want)
	}
	// Isipay is the cheapest of the three offers and takes it at once.
	if o.Reference != "shop-1" || o.Item != diamonds86 || o.Tier != "public" || o.Price != price ||
		o.Status != "processing" || o.Supplier != isipay.Name || o.Fields["user_id"] != "12345678" {
		t.Fatalf("order: got %+v, want shop-1 for %s at %d, processing at isipay", o, diamonds86, price)
	}

	resp, b = c.call(t, "POST", "/v1/orders", c.storefront, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("replay: got %d, want 200: %s", resp.StatusCode, b)
	}
	if r := decodeOrder(t, b); r.ID != o.ID {
		t.Fatalf("replay: got order %s, want %s", r.ID, o.ID)
	}
	// Members in another order and spacing are the same body.
	same := fmt.Sprintf(`{ "expected_price": %d, "fields": {"server":"1234","user_id":"12345678"}, "item": %q, "reference": "shop-1" }`, price, diamonds86)
	if resp, b = c.call(t, "POST", "/v1/orders", c.storefront, same); resp.StatusCode != http.StatusOK || decodeOrder(t, b).ID != o.ID {
		t.Fatalf("replay reordered: got %d %s, want 200 with %s", resp.StatusCode, b, o.ID)
	}

	other := strings.Replace(body, "12345678", "87654321", 1)
	resp, b = c.call(t, "POST", "/v1/orders", c.storefront, other)
	wantError(t, "same reference, another body", resp, b, http.StatusConflict, "reference_conflict")
	if n := c.purchases(); n != 1 {
		t.Fatalf("purchases: got %d, want 1", n)
	}

	resp, b = c.call(t, "GET", "/v1/orders/"+o.ID, c.storefront, "")
	if got := decodeOrder(t, b); resp.StatusCode != http.StatusOK || got.ID != o.ID || got.Reference != "shop-1" {
		t.Fatalf("GET by id: got %d %s, want 200 with %s", resp.StatusCode, b, o.ID)
	}
	resp, b = c.call(t, "GET", "/v1/orders/ord_nope", c.storefront, "")
	wantError(t, "GET unknown id", resp, b, http.StatusNotFound, "order_not_found")

	var list struct{ Orders []wireOrder }
	c.get(t, "/v1/orders?reference=shop-1", c.storefront, &list)
	if len(list.Orders) != 1 || list.Orders[0].ID != o.ID {
		t.Fatalf("by reference: got %+v, want [%s]", list.Orders, o.ID)
	}
	c.get(t, "/v1/orders?reference=shop-2", c.storefront, &list)
	if len(list.Orders) != 0 {
		t.Fatalf("unknown reference: got %+v, want none", list.Orders)
	}

	// The supplier delivers; the poller learns it at the next check.
	c.clock.Add(time.Minute)
	if _, err := c.svc.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, b = c.call(t, "GET", "/v1/orders/"+o.ID, c.storefront, "")
	if got := decodeOrder(t, b); got.Status != "success" {
		t.Fatalf("after the supplier delivered: got %s, want success: %s", got.Status, b)
	}
}

// TestOrderRefusals: what is wrong with an order is said precisely, and
// nothing is bought.
func TestOrderRefusals(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	price := c.price(t, diamonds86)

	var astra struct {
		Game struct {
			Items []wireItem `json:"items"`
		} `json:"game"`
	}
	c.get(t, "/v1/games/astra-knights-of-veda", c.storefront, &astra)
	if len(astra.Game.Items) == 0 || astra.Game.Items[0].Price == nil {
		t.Fatalf("astra: got %+v, want a priced item", astra.Game.Items)
	}
	astraItem, astraPrice := astra.Game.Items[0].ID, *astra.Game.Items[0].Price

	ml := func(edit func(m map[string]any)) string {
		m := map[string]any{"reference": "r-1", "item": diamonds86, "fields": map[string]any{"user_id": "1", "server": "2"}, "expected_price": price}
		edit(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		name, body string
		status     int
		code       string
		details    map[string]any // each must be in the error's details; "*" for any value
	}{
		{"price changed", ml(func(m map[string]any) { m["expected_price"] = price - 1 }), 409, "price_changed",
			map[string]any{"expected": fmt.Sprint(price - 1), "current": fmt.Sprint(price)}},
		{"unavailable item", `{"reference":"r-1","item":"call-of-duty-mobile.cp-31","fields":{"user_id":"1"},"expected_price":1000}`,
			409, "item_unavailable", nil},
		{"unknown item", ml(func(m map[string]any) { m["item"] = "mobile-legends.nope" }), 422, "validation", map[string]any{"item": "*"}},
		{"unknown tier", ml(func(m map[string]any) { m["tier"] = "gold" }), 403, "tier_forbidden", map[string]any{"tier": "gold"}},
		{"missing form field", ml(func(m map[string]any) { m["fields"] = map[string]any{"user_id": "1"} }), 422, "validation",
			map[string]any{"fields.server": "*"}},
		{"unknown form field", ml(func(m map[string]any) { m["fields"] = map[string]any{"user_id": "1", "server": "2", "nick": "x"} }),
			422, "validation", map[string]any{"fields.nick": "*"}},
		{"dropdown off its options",
			fmt.Sprintf(`{"reference":"r-1","item":%q,"fields":{"user_id":"1","server":"999"},"expected_price":%d}`, astraItem, astraPrice),
			422, "validation", map[string]any{"fields.server": "*"}},
		{"missing reference and price", ml(func(m map[string]any) { delete(m, "reference"); delete(m, "expected_price") }),
			422, "validation", map[string]any{"reference": "*", "expected_price": "*"}},
		{"bad reference", ml(func(m map[string]any) { m["reference"] = "has space" }), 422, "validation", map[string]any{"reference": "*"}},
		{"fractional price", strings.Replace(ml(func(map[string]any) {}), fmt.Sprint(price), fmt.Sprint(price)+".5", 1),
			422, "validation", map[string]any{"expected_price": "*"}},
		{"not JSON", `{"reference":`, 400, "bad_json", nil},
		{"empty body", ``, 400, "bad_json", nil},
		{"array", `[]`, 400, "bad_json", nil},
		{"two objects", ml(func(map[string]any) {}) + `{}`, 400, "bad_json", nil},
		{"unknown member", ml(func(m map[string]any) { m["expected_prise"] = 1 }), 400, "bad_json", nil},
		{"price as a string", ml(func(m map[string]any) { m["expected_price"] = fmt.Sprint(price) }), 422, "validation",
			map[string]any{"expected_price": "*"}},
		{"fields not an object", ml(func(m map[string]any) { m["fields"] = "user_id=1" }), 400, "bad_json", nil},
		{"too large", ml(func(m map[string]any) { m["pad"] = strings.Repeat("x", orders.MaxRequestBytes) }), 413, "too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.call(t, "POST", "/v1/orders", c.storefront, tt.body)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			got := decodeError(t, b).Error.Details
			for k, want := range tt.details {
				v, ok := got[k]
				if !ok || want != "*" && fmt.Sprint(v) != want {
					t.Fatalf("details[%q]: got %v (in %v), want %v", k, v, got, want)
				}
			}
		})
	}
	if n := c.purchases(); n != 0 {
		t.Fatalf("purchases: got %d, want 0", n)
	}
	var list struct{ Orders []wireOrder }
	c.get(t, "/v1/orders", c.admin, &list)
	if len(list.Orders) != 0 {
		t.Fatalf("orders stored: got %d, want none", len(list.Orders))
	}
}

// TestOrderRoles: storefronts place and read orders; listing them all,
// their routing, settling and notifications are operators'.
func TestOrderRoles(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	o := c.toAttention(t, "roles-1")
	settle := `{"outcome":"failed","note":"checked"}`
	tests := []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", "/v1/orders", "", orderBody("roles-2", diamonds86, 1), 401},
		{"GET", "/v1/orders/" + o.ID, "", "", 401},
		{"GET", "/v1/orders", c.storefront, "", 403},
		{"GET", "/v1/orders?status=attention", c.merchandiser, "", 403},
		{"GET", "/v1/orders/" + o.ID + "/routing", c.storefront, "", 403},
		{"GET", "/v1/orders/" + o.ID + "/routing", c.merchandiser, "", 403},
		{"POST", "/v1/orders/" + o.ID + "/settle", c.storefront, settle, 403},
		{"POST", "/v1/orders/" + o.ID + "/settle", c.merchandiser, settle, 403},
		{"GET", "/v1/notifications", c.storefront, "", 403},
		{"GET", "/v1/notifications", c.merchandiser, "", 403},
		{"GET", "/v1/orders/" + o.ID, c.merchandiser, "", 403},
		{"GET", "/v1/orders?reference=roles-1", c.merchandiser, "", 403},
		{"POST", "/v1/orders", c.merchandiser, orderBody("roles-3", diamonds86, 1), 403},
		{"GET", "/v1/orders/" + o.ID, c.admin, "", 200},
		{"GET", "/v1/orders?reference=roles-1", c.admin, "", 200},
		{"GET", "/v1/orders", c.admin, "", 200},
		{"GET", "/v1/orders/" + o.ID + "/routing", c.admin, "", 200},
	}
	for _, tt := range tests {
		resp, b := c.call(t, tt.method, tt.path, tt.token, tt.body)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s as %q: got %d, want %d: %s", tt.method, tt.path, tt.token, resp.StatusCode, tt.status, b)
		}
	}
	resp, b := c.call(t, "GET", "/v1/orders/"+o.ID, c.storefront, "")
	if got := decodeOrder(t, b); resp.StatusCode != http.StatusOK || got.Status != "attention" {
		t.Fatalf("after refused settles: got %s, want attention still", got.Status)
	}
}

// TestOrderConcurrentReplays: fifty storefront retries of one order at
// once, over HTTP, are one order and one purchase.
func TestOrderConcurrentReplays(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	body := orderBody("race-1", diamonds86, c.price(t, diamonds86))
	const n = 50
	type answer struct {
		status int
		id     string
		err    error
	}
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			status, b, err := c.try("POST", "/v1/orders", c.storefront, body)
			a := answer{status: status, err: err}
			if err == nil {
				var o wireOrder
				a.err = json.Unmarshal(b, &o)
				a.id = o.ID
				if a.err == nil && a.id == "" {
					a.err = fmt.Errorf("no order in %s", b)
				}
			}
			answers[i] = a
		})
	}
	close(start)
	wg.Wait()
	created, ids := 0, map[string]int{}
	for i, a := range answers {
		switch {
		case a.err != nil:
			t.Fatalf("request %d: %v", i, a.err)
		case a.status == http.StatusCreated:
			created++
		case a.status != http.StatusOK:
			t.Fatalf("request %d: got %d, want 200 or 201", i, a.status)
		}
		ids[a.id]++
	}
	if created != 1 || len(ids) != 1 {
		t.Fatalf("got %d created and orders %v, want one created and one order", created, ids)
	}
	if sp, ip := len(c.senpay.Transactions()), len(c.isipay.Orders()); sp+ip != 1 {
		t.Fatalf("purchases: got %d at senpay and %d at isipay, want one in all", sp, ip)
	}
}

// TestOrderSettle: an order whose outcome nobody could learn is settled
// by an operator, once, and the routing says who did it and why.
func TestOrderSettle(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	o := c.toAttention(t, "settle-1")
	if n := len(c.isipay.Orders()); n != 1 {
		t.Fatalf("isipay orders: got %d, want the one whose reply was lost", n)
	}
	path := "/v1/orders/" + o.ID + "/settle"

	bad := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"no outcome", `{"note":"checked"}`, 422, "validation", "outcome"},
		{"unknown outcome", `{"outcome":"maybe","note":"checked"}`, 422, "validation", "outcome"},
		{"sn with failed", `{"outcome":"failed","sn":"SN1","note":"checked"}`, 422, "validation", "sn"},
		{"no note", `{"outcome":"succeeded","sn":"SN1"}`, 422, "validation", "note"},
		{"unknown member", `{"outcome":"succeeded","note":"checked","notes":"x"}`, 400, "bad_json", "notes"},
		{"not JSON", `{"outcome":`, 400, "bad_json", ""},
		{"too large", `{"outcome":"succeeded","note":"` + strings.Repeat("x", maxBody) + `"}`, 413, "too_large", ""},
	}
	for _, tt := range bad {
		resp, b := c.call(t, "POST", path, c.admin, tt.body)
		wantError(t, tt.name, resp, b, tt.status, tt.code)
		// A 422 keys its details by field; a 400 names the member in details.field.
		d := decodeError(t, b).Error.Details
		if _, keyed := d[tt.field]; tt.field != "" && !keyed && d["field"] != tt.field {
			t.Errorf("%s: got details %v, want them to name %s", tt.name, d, tt.field)
		}
	}
	resp, b := c.call(t, "POST", "/v1/orders/ord_nope/settle", c.admin, `{"outcome":"failed","note":"checked"}`)
	wantError(t, "unknown order", resp, b, http.StatusNotFound, "order_not_found")

	const note = "isipay support confirmed RZ-RAPI000000001 delivered"
	resp, b = c.call(t, "POST", path, c.admin, `{"outcome":"succeeded","sn":"SN-42","note":"`+note+`"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("settle: got %d, want 200: %s", resp.StatusCode, b)
	}
	if got := decodeOrder(t, b); got.Status != "success" || got.SN != "SN-42" || got.Supplier != isipay.Name {
		t.Fatalf("settled: got %+v, want success with SN-42 at isipay", got)
	}
	resp, b = c.call(t, "POST", path, c.admin, `{"outcome":"failed","note":"changed my mind"}`)
	wantError(t, "second settle", resp, b, http.StatusConflict, "not_settleable")

	var rt struct {
		Order    wireOrder
		Cost     *int64
		Attempts []struct {
			Supplier string
			State    string
			SN       string
		}
		Events []struct {
			Kind   string
			Actor  string
			Detail map[string]any
		}
	}
	c.get(t, "/v1/orders/"+o.ID+"/routing", c.admin, &rt)
	if rt.Order.Status != "success" || rt.Cost == nil || len(rt.Attempts) != 1 ||
		rt.Attempts[0].State != "succeeded" || rt.Attempts[0].SN != "SN-42" {
		t.Fatalf("routing: got %+v, want success with one succeeded attempt", rt)
	}
	settled := false
	for _, e := range rt.Events {
		if e.Kind == "settled" {
			settled = true
			if e.Actor != "admin-test" || e.Detail["note"] != note || e.Detail["succeeded"] != true {
				t.Fatalf("settled event: got %+v, want by admin-test with the note", e)
			}
		}
	}
	if !settled {
		t.Fatalf("routing events: got %+v, want a settled one", rt.Events)
	}
	if sp, ip := len(c.senpay.Transactions()), len(c.isipay.Orders()); sp != 0 || ip != 1 {
		t.Fatalf("purchases: got %d at senpay and %d at isipay, want only the first", sp, ip)
	}
}

// TestOrderListAndNotifications: operators list orders by status and time,
// attention first, and see the storefront notifications.
func TestOrderListAndNotifications(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	before := c.clock.Now().Add(-time.Second)
	price := c.price(t, diamonds86)
	resp, b := c.call(t, "POST", "/v1/orders", c.storefront, orderBody("list-1", diamonds86, price))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: got %d: %s", resp.StatusCode, b)
	}
	first := decodeOrder(t, b)
	stuck := c.toAttention(t, "list-2")

	ids := func(q string) []string {
		t.Helper()
		var list struct{ Orders []wireOrder }
		c.get(t, "/v1/orders"+q, c.admin, &list)
		var out []string
		for _, o := range list.Orders {
			out = append(out, o.ID)
		}
		return out
	}
	at := func(tm time.Time) string { return url.QueryEscape(tm.Format(time.RFC3339)) }
	lists := []struct {
		query string
		want  []string
	}{
		{"", []string{stuck.ID, first.ID}}, // attention first
		{"?status=attention", []string{stuck.ID}},
		{"?status=failed", nil},
		{"?limit=1", []string{stuck.ID}},
		{"?since=" + at(before), []string{stuck.ID, first.ID}},
		{"?until=" + at(before), nil},
		{"?since=" + at(c.clock.Now().Add(time.Hour)), nil},
	}
	for _, l := range lists {
		if got := ids(l.query); fmt.Sprint(got) != fmt.Sprint(l.want) {
			t.Errorf("GET /v1/orders%s: got %v, want %v", l.query, got, l.want)
		}
	}
	for _, q := range []string{"?status=done", "?since=yesterday", "?until=2026-13-01", "?limit=0", "?limit=1001", "?limit=x"} {
		resp, b := c.call(t, "GET", "/v1/orders"+q, c.admin, "")
		wantError(t, q, resp, b, http.StatusBadRequest, "bad_request")
	}

	type deliveries struct {
		Deliveries []struct {
			Order, Status, State string
		}
	}
	var d deliveries
	c.get(t, "/v1/notifications?order="+stuck.ID, c.admin, &d)
	var statuses []string
	for _, e := range d.Deliveries {
		if e.Order != stuck.ID || e.State != "pending" {
			t.Fatalf("delivery: got %+v, want a pending one of %s", e, stuck.ID)
		}
		statuses = append(statuses, e.Status)
	}
	if want := "[attention processing]"; fmt.Sprint(statuses) != want { // newest first
		t.Fatalf("notifications of %s: got %v, want %s", stuck.ID, statuses, want)
	}
	if _, err := c.notifier.DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.get(t, "/v1/notifications?state=pending", c.admin, &d)
	if len(d.Deliveries) != 0 {
		t.Fatalf("pending after delivery: got %+v, want none", d.Deliveries)
	}
	c.get(t, "/v1/notifications?state=delivered&limit=1", c.admin, &d)
	if len(d.Deliveries) != 1 || d.Deliveries[0].State != "delivered" {
		t.Fatalf("delivered, limit 1: got %+v, want one delivered", d.Deliveries)
	}
	for _, q := range []string{"?state=sent", "?limit=0", "?limit=x"} {
		resp, b := c.call(t, "GET", "/v1/notifications"+q, c.admin, "")
		wantError(t, q, resp, b, http.StatusBadRequest, "bad_request")
	}
}

// TestSuppliersShowBalances: each supplier's balance as last checked, or
// why it could not be.
func TestSuppliersShowBalances(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	type entry struct {
		Supplier         string
		State            string
		Balance          *int64
		BalanceError     string     `json:"balance_error"`
		BalanceCheckedAt *time.Time `json:"balance_checked_at"`
	}
	var got struct{ Suppliers []entry }
	c.get(t, "/v1/suppliers", c.admin, &got)
	for _, e := range got.Suppliers {
		if e.Balance != nil || e.BalanceError != "" || e.BalanceCheckedAt != nil {
			t.Fatalf("never checked: got %+v, want no balance", e)
		}
	}
	ctx := context.Background()
	if err := c.svc.RecordBalance(ctx, senpay.Name, 1_500_000, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.RecordBalance(ctx, isipay.Name, 0, errors.New("isipay balance: timeout")); err != nil {
		t.Fatal(err)
	}
	c.get(t, "/v1/suppliers", c.admin, &got)
	bySupplier := map[string]entry{}
	for _, e := range got.Suppliers {
		bySupplier[e.Supplier] = e
	}
	if sp := bySupplier[senpay.Name]; sp.State != "ok" || sp.Balance == nil || *sp.Balance != 1_500_000 || sp.BalanceError != "" || sp.BalanceCheckedAt == nil {
		t.Fatalf("senpay: got %+v, want ok with balance 1500000", sp)
	}
	if ip := bySupplier[isipay.Name]; ip.Balance != nil || !strings.Contains(ip.BalanceError, "timeout") || ip.BalanceCheckedAt == nil {
		t.Fatalf("isipay: got %+v, want no balance and the error", ip)
	}
}

// TestSuppliersShowTheOrderCircuit: each supplier's order circuit, closed
// at first, open after its order endpoint failed enough times in a row.
func TestSuppliersShowTheOrderCircuit(t *testing.T) {
	t.Parallel()
	c := &ordersEnv{breaker: orders.BreakerConfig{Failures: 2, Cooldown: time.Minute}}
	c.catalogEnv = newSyncedCatalogEnv(t, withOrders(t, c))
	c.isipay.SetBalance(10_000_000)
	c.admin = c.token(t, auth.RoleAdmin)
	type entry struct {
		Supplier string
		Breaker  *orders.Breaker
	}
	circuit := func() map[string]*orders.Breaker {
		var got struct{ Suppliers []entry }
		c.get(t, "/v1/suppliers", c.admin, &got)
		out := map[string]*orders.Breaker{}
		for _, e := range got.Suppliers {
			out[e.Supplier] = e.Breaker
		}
		return out
	}
	for name, b := range circuit() {
		if b == nil || b.State != orders.BreakerClosed || b.Threshold != 2 || b.Since != nil {
			t.Fatalf("%s at start: got %+v, want closed, opening after 2 failures", name, b)
		}
	}
	// Isipay, the cheapest for 86 diamonds, answers its orders with 502.
	// Prices here are the costs (no rule), so Senpay cannot deliver at
	// Isipay's price: with its circuit open, Isipay still gets the order.
	c.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultBadGateway})
	price := c.price(t, diamonds86)
	var last wireOrder
	for i := range 3 {
		resp, b := c.call(t, "POST", "/v1/orders", c.storefront, orderBody(fmt.Sprintf("circuit-%d", i), diamonds86, price))
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("order %d: got %d, want 201: %s", i, resp.StatusCode, b)
		}
		if last = decodeOrder(t, b); last.Supplier != isipay.Name || last.Status != "processing" {
			t.Fatalf("order %d: got %s at %q, want processing at isipay", i, last.Status, last.Supplier)
		}
	}
	ip := circuit()[isipay.Name]
	if ip.State != orders.BreakerOpen || ip.Failures != 3 || ip.Since == nil || ip.ProbeAt == nil || ip.Skipped != 0 ||
		!strings.Contains(ip.LastFailure, "502") {
		t.Fatalf("isipay after three 502s: got %+v, want open, 3 failures, no order skipped, the 502", ip)
	}
	var r struct{ Events []orders.Event }
	c.get(t, "/v1/orders/"+last.ID+"/routing", c.admin, &r)
	if len(r.Events) < 2 || !strings.Contains(string(r.Events[1].Detail), "circuit open since") ||
		!strings.Contains(string(r.Events[1].Detail), "sent anyway") {
		t.Fatalf("routing of the order sent with the circuit open: got %+v, want the circuit and why it was sent anyway", r.Events)
	}
}

// TestOrdersNeedTheService: a server without orders answers their routes
// 404 and lists suppliers without balances; before the first catalog is
// built no order is taken.
func TestOrdersNeedTheService(t *testing.T) {
	t.Parallel()
	off := newSyncedCatalogEnv(t)
	admin := off.token(t, auth.RoleAdmin)
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/orders", orderBody("off-1", diamonds86, 1)},
		{"GET", "/v1/orders/ord_x", ""},
		{"GET", "/v1/orders?reference=off-1", ""},
		{"GET", "/v1/orders", ""},
		{"GET", "/v1/orders/ord_x/routing", ""},
		{"POST", "/v1/orders/ord_x/settle", `{"outcome":"failed","note":"x"}`},
		{"GET", "/v1/notifications", ""},
	} {
		resp, b := off.call(t, r.method, r.path, admin, r.body)
		wantError(t, r.method+" "+r.path, resp, b, http.StatusNotFound, "not_found")
	}
	var sup struct{ Suppliers []map[string]any }
	off.get(t, "/v1/suppliers", admin, &sup)
	for _, e := range sup.Suppliers {
		if v, ok := e["balance"]; !ok || v != nil {
			t.Fatalf("supplier without orders: got %v, want balance null", e)
		}
	}

	nr := &ordersEnv{}
	nr.catalogEnv = newCatalogEnv(t, withOrders(t, nr))
	resp, b := nr.call(t, "POST", "/v1/orders", nr.storefront, orderBody("nr-1", diamonds86, 1))
	wantError(t, "before the first catalog", resp, b, http.StatusServiceUnavailable, "catalog_not_ready")
}

// TestOpenAPIDocumentsOrderResponses drives every order route to every
// status openapi.json documents for it, each response checked against its
// schema by call, and fails on a documented status no request produced.
func TestOpenAPIDocumentsOrderResponses(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	price := c.price(t, diamonds86)
	stuck := c.toAttention(t, "doc-1")
	settle := "/v1/orders/" + stuck.ID + "/settle"
	type req struct{ method, path, token, body string }
	for _, r := range []req{
		{"POST", "/v1/orders", c.storefront, orderBody("doc-2", diamonds86, price)},
		{"POST", "/v1/orders", c.storefront, orderBody("doc-2", diamonds86, price)},
		{"POST", "/v1/orders", c.storefront, orderBody("doc-2", diamonds86, price-1)},
		{"POST", "/v1/orders", c.storefront, orderBody("doc-3", "mobile-legends.nope", price)},
		{"POST", "/v1/orders", c.storefront, `{`},
		{"POST", "/v1/orders", c.storefront, `{"pad":"` + strings.Repeat("x", orders.MaxRequestBytes) + `"}`},
		{"POST", "/v1/orders", "", orderBody("doc-4", diamonds86, price)},
		{"GET", "/v1/orders?reference=doc-2", c.storefront, ""},
		{"GET", "/v1/orders", c.storefront, ""},
		{"GET", "/v1/orders", c.admin, ""},
		{"GET", "/v1/orders?limit=0", c.admin, ""},
		{"GET", "/v1/orders", "", ""},
		{"GET", "/v1/orders/" + stuck.ID, c.storefront, ""},
		{"GET", "/v1/orders/ord_nope", c.storefront, ""},
		{"GET", "/v1/orders/" + stuck.ID, "", ""},
		{"GET", "/v1/orders/" + stuck.ID, c.merchandiser, ""},
		{"POST", "/v1/orders", c.merchandiser, orderBody("doc-5", diamonds86, price)},
		{"GET", "/v1/orders/" + stuck.ID + "/routing", c.admin, ""},
		{"GET", "/v1/orders/ord_nope/routing", c.admin, ""},
		{"GET", "/v1/orders/" + stuck.ID + "/routing", c.storefront, ""},
		{"GET", "/v1/orders/" + stuck.ID + "/routing", "", ""},
		{"POST", settle, c.admin, `{"outcome":"failed"}`},
		{"POST", settle, c.admin, `{"outcome":"failed","note":"x","extra":1}`},
		{"POST", settle, c.admin, `{"note":"` + strings.Repeat("x", maxBody) + `"}`},
		{"POST", settle, c.storefront, `{"outcome":"failed","note":"x"}`},
		{"POST", settle, "", `{"outcome":"failed","note":"x"}`},
		{"POST", "/v1/orders/ord_nope/settle", c.admin, `{"outcome":"failed","note":"x"}`},
		{"POST", settle, c.admin, `{"outcome":"failed","note":"supplier says failed"}`},
		{"POST", settle, c.admin, `{"outcome":"failed","note":"again"}`},
		{"GET", "/v1/notifications", c.admin, ""},
		{"GET", "/v1/notifications?state=x", c.admin, ""},
		{"GET", "/v1/notifications", c.storefront, ""},
		{"GET", "/v1/notifications", "", ""},
		{"GET", "/v1/suppliers", c.admin, ""},
		{"GET", "/v1/suppliers", c.storefront, ""},
		{"GET", "/v1/suppliers", "", ""},
	} {
		c.call(t, r.method, r.path, r.token, r.body)
	}

	// Without orders: 404s. Before the first catalog: 503.
	off := newSyncedCatalogEnv(t)
	admin := off.token(t, auth.RoleAdmin)
	for _, r := range []req{
		{"POST", "/v1/orders", off.storefront, orderBody("off-1", diamonds86, price)},
		{"GET", "/v1/orders", admin, ""},
		{"GET", "/v1/notifications", admin, ""},
	} {
		off.call(t, r.method, r.path, r.token, r.body)
	}
	nr := &ordersEnv{}
	nr.catalogEnv = newCatalogEnv(t, withOrders(t, nr))
	nr.call(t, "POST", "/v1/orders", nr.storefront, orderBody("nr-1", diamonds86, price))

	seen := map[string]bool{}
	for _, e := range []*catalogEnv{c.catalogEnv, off, nr.catalogEnv} {
		maps.Copy(seen, e.seen)
	}
	paths, _ := c.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !strings.HasPrefix(route, "/v1/orders") && route != "/v1/notifications" && route != "/v1/suppliers" {
			continue
		}
		for method, op := range ops.(map[string]any) {
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for status, r := range responses {
				// The auth store failing to reload its tokens is the one
				// cause of these; the test cannot stage it for every route.
				if ref, _ := r.(map[string]any)["$ref"].(string); ref == "#/components/responses/Unavailable" {
					continue
				}
				if key := strings.ToUpper(method) + " " + route + " " + status; !seen[key] {
					t.Errorf("openapi.json documents %s, but no request produced it", key)
				}
			}
		}
	}
}
