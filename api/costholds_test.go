package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// The cost guard end to end: Senpay's simulator and forged deliveries on
// the real webhook route, the real syncs, the merchandiser's API.

type wireCostHold struct {
	ConfirmedCost int64     `json:"confirmed_cost"`
	Cost          int64     `json:"cost"`
	ChangePercent *string   `json:"change_percent"`
	Source        string    `json:"source"`
	Since         time.Time `json:"since"`
}

type wireHeldOffer struct {
	Offer    int64   `json:"offer"`
	Supplier string  `json:"supplier"`
	Code     string  `json:"code"`
	Item     *string `json:"item"`
	wireCostHold
}

type wireHoldEvent struct {
	Offer   int64  `json:"offer"`
	Code    string `json:"code"`
	Event   string `json:"event"`
	OldCost int64  `json:"old_cost"`
	NewCost int64  `json:"new_cost"`
	Source  string `json:"source"`
	Actor   string `json:"actor"`
	Note    string `json:"note"`
}

type wireJudgedOffer struct {
	wireOffer
	Eligible   bool          `json:"eligible"`
	Ineligible string        `json:"ineligible_reason"`
	Hold       *wireCostHold `json:"cost_hold"`
}

// offerOf is item's offer code as GET /v1/items/{item}/offers shows it,
// with the item's reason.
func (c *catalogEnv) offerOf(t *testing.T, item, code string) (wireJudgedOffer, string) {
	t.Helper()
	var d struct {
		Item struct {
			Reason string            `json:"reason"`
			Offers []wireJudgedOffer `json:"offers"`
		} `json:"item"`
	}
	c.get(t, "/v1/items/"+item+"/offers", c.merchandiser, &d)
	for _, o := range d.Item.Offers {
		if o.Code == code {
			return o, d.Item.Reason
		}
	}
	t.Fatalf("%s has no offer %s", item, code)
	return wireJudgedOffer{}, ""
}

func (c *catalogEnv) costHolds(t *testing.T) []wireHeldOffer {
	t.Helper()
	var b struct {
		Holds []wireHeldOffer `json:"holds"`
	}
	c.get(t, "/v1/cost-holds", c.merchandiser, &b)
	return b.Holds
}

// holdAudit is the guard's audit, oldest first, as "event old→new source".
func (c *catalogEnv) holdAudit(t *testing.T) string {
	t.Helper()
	var b struct {
		Events []wireHoldEvent `json:"events"`
	}
	c.get(t, "/v1/cost-holds/audit", c.merchandiser, &b)
	var out []string
	for i := len(b.Events) - 1; i >= 0; i-- {
		e := b.Events[i]
		out = append(out, fmt.Sprintf("%s %s %d→%d %s", e.Code, e.Event, e.OldCost, e.NewCost, e.Source))
	}
	return strings.Join(out, "; ")
}

// senpaySells makes Isipay dearer, so Senpay's 22870 sells diamonds86 and
// another Senpay provider's 23581 is next.
func (c *catalogEnv) senpaySells(t *testing.T) {
	t.Helper()
	if err := c.isipay.SetPrice("MLBB_ID_86", 25000); err != nil {
		t.Fatal(err)
	}
	c.sync(t)
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(22870) {
		t.Fatalf("set-up: served %+v, want Senpay's 22870", it)
	}
}

// TestCostGuardHoldsAWebhookFallUntilASyncConfirmsIt: Senpay cuts a cost
// by 95% and says so by webhook. The offer is held; the next cheapest
// eligible offer sells the item; the next sync, fetching the same cost,
// confirms it.
func TestCostGuardHoldsAWebhookFallUntilASyncConfirmsIt(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	c.senpaySells(t)
	err := c.senpay.SendPriceUpdate(context.Background(), c.srv.URL+hookPath, []senpaysim.PriceChange{{Code: senpay86, Price: 1144}})
	if err != nil {
		t.Fatal(err)
	}

	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(23581) {
		t.Fatalf("held: served %+v, want the next eligible offer's 23581", it)
	}
	o, _ := c.offerOf(t, diamonds86, senpay86)
	if o.Eligible || o.Chosen || o.Cost != 1144 || !strings.HasPrefix(o.Ineligible, offers.ReasonCostUnconfirmed+": ") {
		t.Fatalf("held offer: got %+v", o)
	}
	if h := o.Hold; h == nil || h.ConfirmedCost != 22870 || h.Cost != 1144 || h.Source != "webhook" || h.ChangePercent == nil || *h.ChangePercent != "-94.99" {
		t.Fatalf("its hold: got %+v", o.Hold)
	}
	holds := c.costHolds(t)
	if len(holds) != 1 || holds[0].Code != senpay86 || holds[0].Offer != o.ID || holds[0].Item == nil || *holds[0].Item != diamonds86 ||
		holds[0].ConfirmedCost != 22870 || holds[0].Cost != 1144 {
		t.Fatalf("GET /v1/cost-holds: got %+v", holds)
	}
	var outcome string
	if err := c.db.Read.Get(&outcome, `SELECT outcome FROM webhook_inbox`); err != nil || !strings.Contains(outcome, `"held":["`+senpay86+`"]`) {
		t.Fatalf("the delivery's outcome: got %s (%v), want the change held", outcome, err)
	}
	// The supplier's word is kept as said.
	if n := c.webhookHistory(t, senpay86); n != 1 {
		t.Fatalf("webhook cost history of %s: got %d rows, want 1", senpay86, n)
	}

	// The simulator's catalog says 1144 too: the next sync confirms it.
	c.sync(t)
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(1144) {
		t.Fatalf("confirmed: served %+v, want 1144", it)
	}
	if o, _ := c.offerOf(t, diamonds86, senpay86); !o.Eligible || !o.Chosen || o.Hold != nil {
		t.Fatalf("confirmed offer: got %+v", o)
	}
	if holds := c.costHolds(t); len(holds) != 0 {
		t.Fatalf("holds after the sync: got %+v, want none", holds)
	}
	if got, want := c.holdAudit(t), senpay86+" held 22870→1144 webhook; "+senpay86+" confirmed 22870→1144 sync"; got != want {
		t.Fatalf("audit:\n got %s\nwant %s", got, want)
	}
}

// TestCostGuardAccept: a forged delivery (Senpay's catalog never moved)
// says 1. A merchandiser who accepts it must name the cost they saw; the
// accept is audited. The next sync's real cost is then itself a move
// beyond the limits, held until the sync after confirms it.
func TestCostGuardAccept(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	c.senpaySells(t)
	if r := c.hook(t, priceUpdateBody(senpay86, 22870, 1)); r.Status != 200 {
		t.Fatalf("webhook: got %+v", r)
	}
	holds := c.costHolds(t)
	if len(holds) != 1 || holds[0].Cost != 1 {
		t.Fatalf("holds: got %+v", holds)
	}
	accept := fmt.Sprintf("/v1/cost-holds/%d/accept", holds[0].Offer)

	resp, body := c.call(t, "POST", accept, c.storefront, `{"cost": 1}`)
	wantError(t, "a storefront accepting", resp, body, http.StatusForbidden, "forbidden")
	resp, body = c.call(t, "POST", accept, c.merchandiser, `{"note": "looks fine"}`)
	wantError(t, "an accept without the cost", resp, body, http.StatusUnprocessableEntity, "validation")
	resp, body = c.call(t, "POST", accept, c.merchandiser, `{"cost": 2}`)
	wantError(t, "an accept of another cost", resp, body, http.StatusConflict, "cost_changed")
	if d := errorDetails(t, body); fmt.Sprint(d["expected"], d["current"]) != "2 1" {
		t.Fatalf("cost_changed details: got %v, want expected 2, current 1", d)
	}
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(23581) {
		t.Fatalf("refused accepts changed the price: served %+v", it)
	}

	var got struct {
		Accepted wireHoldEvent `json:"accepted"`
	}
	resp, body = c.call(t, "POST", accept, c.merchandiser, `{"cost": 1, "note": "Senpay's launch promo, checked with their support"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("accept: got %d %s", resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if a := got.Accepted; a.Event != "accepted" || a.OldCost != 22870 || a.NewCost != 1 || a.Actor != "merchandiser-test" || a.Source != "merchandiser" {
		t.Fatalf("accept: got %+v", a)
	}
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(1) {
		t.Fatalf("accepted: served %+v, want 1", it)
	}
	// The audit row.
	var row struct {
		Actor string `db:"actor"`
		Note  string `db:"note"`
		Old   int64  `db:"old_cost"`
		New   int64  `db:"new_cost"`
		At    string `db:"at"`
	}
	if err := c.db.Read.Get(&row, `SELECT actor, note, old_cost, new_cost, at FROM cost_hold_events WHERE event = 'accepted'`); err != nil {
		t.Fatal(err)
	}
	if row.Actor != "merchandiser-test" || row.Note != "Senpay's launch promo, checked with their support" || row.Old != 22870 || row.New != 1 || row.At == "" {
		t.Fatalf("audit row: got %+v", row)
	}
	resp, body = c.call(t, "POST", accept, c.merchandiser, `{"cost": 1}`)
	wantError(t, "a second accept", resp, body, http.StatusConflict, "not_held")

	// Senpay's catalog still says 22870: a rise beyond any share of 1, so
	// the sync's word waits for the next one. Meanwhile the next offer sells.
	c.sync(t)
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(23581) {
		t.Fatalf("after the sync: served %+v, want 23581 while 22870 is held", it)
	}
	c.sync(t)
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(22870) {
		t.Fatalf("after the second sync: served %+v, want 22870", it)
	}
	want := strings.Join([]string{senpay86 + " held 22870→1 webhook", senpay86 + " accepted 22870→1 merchandiser",
		senpay86 + " held 1→22870 sync", senpay86 + " confirmed 1→22870 sync"}, "; ")
	if got := c.holdAudit(t); got != want {
		t.Fatalf("audit:\n got %s\nwant %s", got, want)
	}
}

// TestCostGuardRiseZeroAndUnavailable: a rise past double is held, and so
// is price_new 0; an item whose only offer is held is unavailable and
// says why.
func TestCostGuardRiseZeroAndUnavailable(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	// An item Senpay alone sells, by one offer.
	var lone, loneCode string
	var loneCost int64
	for _, g := range c.cat.Snapshot().GameList() {
		for _, it := range g.Items {
			if lone == "" && len(it.Offers) == 1 && it.Chosen != nil && it.Chosen.Supplier == "senpay" && it.Chosen.Cost > 100 {
				lone, loneCode, loneCost = it.ID, it.Chosen.Code, it.Chosen.Cost
			}
		}
	}
	if lone == "" {
		t.Fatal("the demo catalog has no item sold by one Senpay offer alone")
	}
	body := `{"webhook_type": "price_update", "data": [` +
		`{"product_code": "` + senpay86 + `", "price_new": 0},` +
		`{"product_code": "` + senpayBJ86 + `", "price_new": 50000},` +
		`{"product_code": "` + loneCode + `", "price_new": 1}]}`
	if r := c.hook(t, body); r.Status != 200 {
		t.Fatalf("webhook: got %+v", r)
	}
	if o, _ := c.offerOf(t, diamonds86, senpay86); o.Eligible || o.Hold == nil || o.Hold.Cost != 0 || *o.Hold.ChangePercent != "-100.00" {
		t.Fatalf("price_new 0: got %+v (hold %+v), want held", o, o.Hold)
	}
	if o, _ := c.offerOf(t, diamonds86, senpayBJ86); o.Eligible || o.Hold == nil || o.Hold.Cost != 50000 || *o.Hold.ChangePercent != "+112.03" {
		t.Fatalf("a rise of 112%%: got %+v (hold %+v), want held", o, o.Hold)
	}
	if it := c.servedItem(t, diamonds86); deref(it.Price) != int64(20350) {
		t.Fatalf("diamonds86: served %+v, want Isipay's 20350 as before", it)
	}
	if it := c.servedItem(t, lone); it.Available || it.Price != nil {
		t.Fatalf("%s with its one offer held: served %+v, want unavailable", lone, it)
	}
	o, reason := c.offerOf(t, lone, loneCode)
	if o.Hold == nil || o.Hold.ConfirmedCost != loneCost || !strings.HasPrefix(reason, "no eligible offer: senpay "+offers.ReasonCostUnconfirmed) {
		t.Fatalf("%s: reason %q, hold %+v; want unavailable for the held cost", lone, reason, o.Hold)
	}
	if n := len(c.costHolds(t)); n != 3 {
		t.Fatalf("holds: got %d, want 3", n)
	}
}

// TestOpenAPIDocumentsCostHoldResponses drives the cost-hold routes to
// every status openapi.json documents for them, and fails on a documented
// status no request produced.
func TestOpenAPIDocumentsCostHoldResponses(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	c.hook(t, priceUpdateBody(senpay86, 22870, 1))
	holds := c.costHolds(t)
	if len(holds) != 1 {
		t.Fatalf("holds: got %+v", holds)
	}
	accept := fmt.Sprintf("/v1/cost-holds/%d/accept", holds[0].Offer)
	m := c.merchandiser
	for _, r := range []struct{ method, path, token, body string }{
		{"GET", "/v1/cost-holds", "", ""},
		{"GET", "/v1/cost-holds", c.storefront, ""},
		{"GET", "/v1/cost-holds/audit", m, ""},
		{"GET", "/v1/cost-holds/audit?limit=0", m, ""},
		{"GET", "/v1/cost-holds/audit?offer=x", m, ""},
		{"GET", fmt.Sprintf("/v1/cost-holds/audit?offer=%d&limit=5", holds[0].Offer), m, ""},
		{"GET", "/v1/cost-holds/audit", "", ""},
		{"GET", "/v1/cost-holds/audit", c.storefront, ""},
		{"POST", accept, "", `{"cost": 1}`},
		{"POST", accept, c.storefront, `{"cost": 1}`},
		{"POST", accept, m, `{"cost": "1"}`},
		{"POST", accept, m, `{"cost": 1, "by": "me"}`},
		{"POST", accept, m, `{"cost": 1, "note": "` + strings.Repeat("x", maxBody) + `"}`},
		{"POST", accept, m, `{"cost": -1}`},
		{"POST", accept, m, `{"cost": 1, "note": "tab\there"}`},
		{"POST", "/v1/cost-holds/999999/accept", m, `{"cost": 1}`},
		{"POST", "/v1/cost-holds/x/accept", m, `{"cost": 1}`},
		{"POST", accept, m, `{"cost": 1}`},
		{"POST", accept, m, `{"cost": 1}`},
	} {
		c.call(t, r.method, r.path, r.token, r.body)
	}
	paths, _ := c.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !strings.HasPrefix(route, "/v1/cost-holds") {
			continue
		}
		for method, op := range ops.(map[string]any) {
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for status, r := range responses {
				if ref, _ := r.(map[string]any)["$ref"].(string); ref == "#/components/responses/Unavailable" {
					continue
				}
				if key := strings.ToUpper(method) + " " + route + " " + status; !c.seen[key] {
					t.Errorf("openapi.json documents %s, but no request produced it", key)
				}
			}
		}
	}
}
