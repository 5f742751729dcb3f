package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/rules"
)

// TestRuleValuesThatOverflowedPrices reproduces issue 12's first finding
// exactly: rules whose values made a storefront read a negative price, or
// one below cost, are refused with a 422 naming action.value, and change
// nothing.
func TestRuleValuesThatOverflowedPrices(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	before := c.gamePrice(t, "", diamonds86)
	for _, a := range []string{
		`{"kind": "margin_percent", "value": "99.999999999999"}`,
		`{"kind": "markup_percent", "value": "112460000000000000"}`,
		`{"kind": "markup_percent", "value": "138302174791644499.010346378767"}`,
		`{"kind": "fixed_price", "value": "1000000001"}`,
	} {
		body := `{"name": "overflow", "match": {"item": "` + diamonds86 + `"}, "action": ` + a + `}`
		resp, b := c.call(t, "POST", "/v1/rules", c.merchandiser, body)
		wantError(t, a, resp, b, http.StatusUnprocessableEntity, "validation")
		if d := errorDetails(t, b); d["action.value"] == nil {
			t.Fatalf("%s: details %v do not name action.value", a, d)
		}
		resp, b = c.call(t, "POST", "/v1/rules/preview", c.merchandiser, `{"changes": [{"op": "create", "rule": `+body+`}]}`)
		wantError(t, "preview "+a, resp, b, http.StatusUnprocessableEntity, "validation")
	}
	var list struct{ Rules []rules.Rule }
	c.get(t, "/v1/rules", c.merchandiser, &list)
	if len(list.Rules) != 0 {
		t.Fatalf("refused rules were stored: %+v", list.Rules)
	}
	if got := c.gamePrice(t, "", diamonds86); got != before {
		t.Fatalf("price after refused rules: got %d, want %d", got, before)
	}
}

// TestPriceAboveTheCapBlocks: a valid rule whose price passes the cap
// (margin 99.9999% is cost × 1,000,000) blocks the item with the reason,
// and the storefront, the explanation, the preview and price_history all
// say the same.
func TestPriceAboveTheCapBlocks(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	rule := `{"name": "too much", "match": {"item": "` + diamonds86 + `"}, "action": {"kind": "margin_percent", "value": "99.9999"}}`

	var imp struct {
		NewlyBlocked []struct{ Item, Tier, Blocked string } `json:"newly_blocked"`
	}
	resp, b := c.call(t, "POST", "/v1/rules/preview", c.merchandiser, `{"changes": [{"op": "create", "rule": `+rule+`}]}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: got %d: %s", resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &imp); err != nil {
		t.Fatal(err)
	}
	if len(imp.NewlyBlocked) == 0 || imp.NewlyBlocked[0].Item != diamonds86 || !strings.Contains(imp.NewlyBlocked[0].Blocked, "highest price") {
		t.Fatalf("preview: got newly blocked %+v, want %s above the cap", imp.NewlyBlocked, diamonds86)
	}
	c.createRule(t, rule)

	var item struct{ Item wireItem }
	c.get(t, "/v1/items/"+diamonds86, c.storefront, &item)
	if item.Item.Price != nil || item.Item.Available {
		t.Fatalf("storefront: got price %v available %t, want no price", deref(item.Item.Price), item.Item.Available)
	}
	ex := c.explain(t, diamonds86, "public")
	if ex.Price != nil || ex.Blocked != imp.NewlyBlocked[0].Blocked {
		t.Fatalf("explanation: got price %v blocked %q, want the preview's %q", deref(ex.Price), ex.Blocked, imp.NewlyBlocked[0].Blocked)
	}
	if last := ex.Quote.Steps[len(ex.Quote.Steps)-1]; last.Stage != "result" || last.Out != "0" {
		t.Fatalf("explanation ends at %+v, want a blocked result", last)
	}
	var newPrice *int64
	if err := c.db.Read.Get(&newPrice, `SELECT new_price FROM price_history WHERE item_id = ? AND tier = 'public' ORDER BY id DESC LIMIT 1`, diamonds86); err != nil {
		t.Fatal(err)
	}
	if newPrice != nil {
		t.Fatalf("price_history: got new price %d, want NULL (blocked)", *newPrice)
	}
}
