package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

// TestCostHoldsPage: a Senpay cost cut to 1 by a webhook is held; the
// page lists it with the item and the confirmed cost, the item page points
// to it, and a merchandiser accepts it there, once, with a note.
func TestCostHoldsPage(t *testing.T) {
	e := newEnv(t)
	const code = "MLBB-BJ-V3-ALLMLBB_ID_86" // 22870
	up, err := e.cat.ApplyCosts(context.Background(), "senpay", []offers.CostChange{{Code: code, New: decimal.NewFromInt(1)}}, time.Now())
	if err != nil || len(up.Held) != 1 {
		t.Fatalf("webhook: got %+v, %v; want the change held", up, err)
	}
	holds, err := e.cat.CostHolds(context.Background())
	if err != nil || len(holds) != 1 {
		t.Fatalf("holds: %+v, %v", holds, err)
	}
	offer := strconv.FormatInt(holds[0].Offer, 10)
	c := e.signedIn(e.merch)

	_, body := c.get("/console/cost-holds", http.StatusOK)
	mustContain(t, "cost holds", body, code, "Rp 22.870", "Rp 1", "-99.99%", "webhook", `href="/console/items/`+diamonds86+`"`,
		`id="offer-`+offer+`"`, `name="cost" value="1"`, "Accept Rp 1", `aria-current="page">Cost holds`)
	_, body = c.get("/console/items/"+diamonds86, http.StatusOK)
	mustContain(t, "item page", body, "cost_unconfirmed", `href="/console/cost-holds#offer-`+offer+`"`)

	accept := "/console/cost-holds/" + offer + "/accept"
	_, body = c.submit(accept, url.Values{"cost": {"1"}, "note": {"ok\x1b[2J"}}, http.StatusUnprocessableEntity)
	mustContain(t, "a note with an escape", body, "note must not contain U", `aria-invalid="true"`)
	c.submit(accept, url.Values{"cost": {"5"}}, http.StatusSeeOther)
	_, body = c.get("/console/cost-holds", http.StatusOK)
	mustContain(t, "a stale accept", body, "Nothing changed: the supplier has named Rp 1")

	c.submit(accept, url.Values{"cost": {"1"}, "note": {"launch promo, checked"}}, http.StatusSeeOther)
	_, body = c.get("/console/cost-holds", http.StatusOK)
	mustContain(t, "accepted", body, "Accepted Rp 1 for senpay "+code, "No cost is held", "accepted", "mia", "launch promo, checked")
	if it, _ := e.cat.Snapshot().Item(diamonds86); it.Chosen == nil || it.Chosen.Code != code {
		t.Fatalf("after the accept: chosen %+v, want the Senpay offer at 1", it.Chosen)
	}
	c.submit(accept, url.Values{"cost": {"1"}}, http.StatusSeeOther)
	_, body = c.get("/console/cost-holds", http.StatusOK)
	mustContain(t, "a second accept", body, "is no longer held")
	c.submit("/console/cost-holds/999999/accept", url.Values{"cost": {"1"}}, http.StatusNotFound)
}
