package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// TestMerchandiserFlow: review an offer the matcher could not place, link
// it, split it out again, rename the item and fix the game's Isipay
// template, all over HTTP, each visible to storefronts at once.
func TestMerchandiserFlow(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	m := c.merchandiser

	// Isipay lists something nobody can read as a denomination.
	if err := c.isipay.Add("mobile-legends", isipaysim.NewVariant("MLBB_BUNDLE_SPESIAL", "Paket Spesial Ramadhan", 99000)); err != nil {
		t.Fatal(err)
	}
	c.sync(t)
	var review struct {
		Offers []struct {
			Offer       wireOffer
			Item, Game  string
			Suggestions []string
		}
	}
	c.get(t, "/v1/matching/review", m, &review)
	if len(review.Offers) == 0 || review.Offers[0].Offer.Code != "MLBB_BUNDLE_SPESIAL" {
		t.Fatalf("review queue: got %+v, want the new offer first", review.Offers)
	}
	entry := review.Offers[0]
	if entry.Offer.MatchMethod != "unmatched" || !entry.Offer.Review || entry.Game != "mobile-legends" || entry.Suggestions == nil {
		t.Fatalf("review entry: got %+v, want an unmatched mobile-legends offer with suggestions (maybe none)", entry)
	}
	offer, ownItem := entry.Offer.ID, entry.Item
	link := fmt.Sprintf("/v1/offers/%d/link", offer)

	t.Run("link refuses bad requests", func(t *testing.T) {
		ff, ok := c.cat.Snapshot().Game("free-fire")
		if !ok {
			t.Fatal("no free-fire game in the demo catalog")
		}
		other := ff.Items[0].ID
		tests := []struct {
			name, body string
			status     int
			code       string
		}{
			{"unknown field", `{"item":"` + twilightPass + `","force":true}`, 400, "bad_json"},
			{"not JSON", `item=` + twilightPass, 400, "bad_json"},
			{"empty body", ``, 400, "bad_json"},
			{"item a number", `{"item":7}`, 400, "bad_json"},
			{"missing item", `{}`, 422, "validation"},
			{"item of another game", `{"item":"` + other + `"}`, 422, "validation"},
			{"too large", `{"item":"` + strings.Repeat("x", maxBody) + `"}`, 413, "too_large"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := c.call(t, "POST", link, m, tt.body)
				wantError(t, tt.name, resp, body, tt.status, tt.code)
			})
		}
		resp, body := c.call(t, "POST", link, m, `{}`)
		if d := errorDetails(t, body); resp.StatusCode != 422 || d["item"] == nil {
			t.Fatalf("missing item: got details %v, want item named", d)
		}
	})

	before := c.cat.Snapshot().Version
	resp, body := c.call(t, "POST", link, m, `{"item":"`+twilightPass+`"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("link: got %d, want 200: %s", resp.StatusCode, body)
	}
	var linked struct{ Item wireItemDetail }
	if err := json.Unmarshal(body, &linked); err != nil {
		t.Fatal(err)
	}
	var got *wireOffer
	for i, o := range linked.Item.Offers {
		if o.ID == offer {
			got = &linked.Item.Offers[i]
		}
	}
	if linked.Item.ID != twilightPass || got == nil || !got.Manual || got.Review || got.MatchMethod != "manual" {
		t.Fatalf("link: got item %s with offers %+v, want %s with offer %d linked by hand", linked.Item.ID, linked.Item.Offers, twilightPass, offer)
	}
	// It is now the cheapest: storefronts see its price at once.
	var sf struct{ Item wireItem }
	c.get(t, "/v1/items/"+twilightPass, c.storefront, &sf)
	if sf.Item.Price == nil || *sf.Item.Price != 99000 {
		t.Fatalf("storefront price after link: got %v, want 99000", deref(sf.Item.Price))
	}
	c.get(t, "/v1/matching/review", m, &review)
	for _, e := range review.Offers {
		if e.Offer.ID == offer {
			t.Fatal("review queue still lists the linked offer")
		}
	}
	resp, body = c.call(t, "GET", "/v1/items/"+ownItem, c.storefront, "")
	wantError(t, "the offer's former item", resp, body, 404, "item_not_found")
	var ch struct {
		Items        []wireItem
		RemovedItems []string `json:"removed_items"`
	}
	c.get(t, fmt.Sprintf("/v1/catalog/changes?since=%d", before), c.storefront, &ch)
	if len(ch.Items) != 1 || ch.Items[0].ID != twilightPass || len(ch.RemovedItems) != 1 || ch.RemovedItems[0] != ownItem {
		t.Fatalf("changes after link: got items %+v, removed %v; want %s changed and %s removed", ch.Items, ch.RemovedItems, twilightPass, ownItem)
	}

	// Split it out again: a new item of its own.
	resp, body = c.call(t, "POST", fmt.Sprintf("/v1/offers/%d/split", offer), m, "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("split: got %d, want 201: %s", resp.StatusCode, body)
	}
	var split struct{ Item wireItemDetail }
	if err := json.Unmarshal(body, &split); err != nil {
		t.Fatal(err)
	}
	newItem := split.Item.ID
	if loc := resp.Header.Get("Location"); loc != "/v1/items/"+newItem {
		t.Fatalf("Location: got %q, want /v1/items/%s", loc, newItem)
	}
	if len(split.Item.Offers) != 1 || split.Item.Offers[0].ID != offer || split.Item.Game != "mobile-legends" {
		t.Fatalf("split item: got %+v, want offer %d alone in a mobile-legends item", split.Item, offer)
	}
	c.get(t, resp.Header.Get("Location"), c.storefront, &sf)
	if sf.Item.ID != newItem || sf.Item.Name != "Paket Spesial Ramadhan" {
		t.Fatalf("GET Location: got %+v, want %s named after the offer", sf.Item, newItem)
	}
	c.get(t, "/v1/items/"+twilightPass, c.storefront, &sf)
	if sf.Item.Price == nil || *sf.Item.Price != 138900 {
		t.Fatalf("twilight pass after split: got %v, want Senpay's 138900 again", deref(sf.Item.Price))
	}

	t.Run("rename", func(t *testing.T) {
		for _, tt := range []struct {
			body   string
			status int
			code   string
		}{
			{`{"name":"  "}`, 422, "validation"},
			{`{"name":"` + strings.Repeat("n", 201) + `"}`, 422, "validation"},
			{`{"nama":"Paket Ramadhan"}`, 400, "bad_json"},
		} {
			resp, body := c.call(t, "PATCH", "/v1/items/"+newItem, m, tt.body)
			wantError(t, "rename "+tt.body, resp, body, tt.status, tt.code)
		}
		resp, body := c.call(t, "PATCH", "/v1/items/"+newItem, m, `{"name":"Paket Ramadhan (Isipay)"}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("rename: got %d, want 200: %s", resp.StatusCode, body)
		}
		c.get(t, "/v1/items/"+newItem, c.storefront, &sf)
		if sf.Item.Name != "Paket Ramadhan (Isipay)" {
			t.Fatalf("storefront name: got %q, want the new one", sf.Item.Name)
		}
		var game struct{ Game struct{ Items []wireItem } }
		c.get(t, "/v1/games/mobile-legends", c.storefront, &game)
		found := false
		for _, it := range game.Game.Items {
			found = found || it.ID == newItem && it.Name == "Paket Ramadhan (Isipay)"
		}
		if !found {
			t.Fatal("the game's item list does not show the new name")
		}
	})

	t.Run("isipay template", func(t *testing.T) {
		type form struct {
			Game     string
			Form     []struct{ Key string }
			Settings map[string]map[string]string `json:"settings"`
			Unfit    map[string]string            `json:"unfit_suppliers"`
		}
		var f form
		c.get(t, "/v1/games/mobile-legends/form", m, &f)
		if f.Settings["isipay"]["data_format"] != "{user_id}({server})" || len(f.Settings) != 1 || len(f.Form) != 2 || len(f.Unfit) != 0 {
			t.Fatalf("form: got %+v, want user_id and server, {user_id}({server}), nothing unfit", f)
		}
		for _, tt := range []struct {
			body   string
			status int
			code   string
		}{
			{`{"settings":{"isipay":{"data_format":"{user_id}"}}}`, 422, "validation"},
			{`{"settings":{"isipay":{"data_format":"{user_id}({zone})"}}}`, 422, "validation"},
			{`{"settings":{"isipay":{"data_format":""}}}`, 422, "validation"},
			{`{"settings":{"isipay":{"data_format":"{user_id}({server})"}},"server":"x"}`, 400, "bad_json"},
			{`{"settings":{"senpay":{"data_format":"{user_id}({server})"}}}`, 422, "validation"},
			{`{"settings":{"isipay":{"format":"{user_id}({server})"}}}`, 422, "validation"},
			{`{"settings":{}}`, 422, "validation"},
			{`{"isipay_data_format":"{user_id}|{server}"}`, 400, "bad_json"},
		} {
			resp, body := c.call(t, "PATCH", "/v1/games/mobile-legends/form", m, tt.body)
			wantError(t, "template "+tt.body, resp, body, tt.status, tt.code)
		}
		resp, body := c.call(t, "PATCH", "/v1/games/mobile-legends/form", m, `{"settings":{"isipay":{"data_format":"{user_id}|{server}"}}}`)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("template: got %d, want 200: %s", resp.StatusCode, body)
		}
		f = form{}
		c.get(t, "/v1/games/mobile-legends/form", m, &f)
		if f.Settings["isipay"]["data_format"] != "{user_id}|{server}" || len(f.Unfit) != 0 {
			t.Fatalf("form after PATCH: got %+v, want the new template and nothing unfit", f)
		}
	})
}
