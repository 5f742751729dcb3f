package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestCatalogAPI reads the synced demo catalog: these subtests only read,
// so they share one environment.
func TestCatalogAPI(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)

	t.Run("golden", func(t *testing.T) {
		tests := []struct {
			file, path string
			merch      bool
		}{
			{"games.json", "/v1/games", false},
			{"game-mobile-legends.json", "/v1/games/mobile-legends", false},
			{"item-mobile-legends.diamonds-86-78-8.json", "/v1/items/" + diamonds86, false},
			{"item-call-of-duty-mobile.cp-31.json", "/v1/items/call-of-duty-mobile.cp-31", false}, // unavailable
			{"item-offers-mobile-legends.diamonds-86-78-8.json", "/v1/items/" + diamonds86 + "/offers", true},
			{"item-offers-mobile-legends.diamonds-3688-3099-589.json", "/v1/items/" + diamonds3688 + "/offers", true},
			{"game-form-mobile-legends.json", "/v1/games/mobile-legends/form", true},
			{"matching-review.json", "/v1/matching/review", true},
		}
		for _, tt := range tests {
			t.Run(tt.file, func(t *testing.T) {
				token := c.storefront
				if tt.merch {
					token = c.merchandiser
				}
				resp, body := c.call(t, "GET", tt.path, token, "")
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("GET %s: got %d, want 200: %s", tt.path, resp.StatusCode, body)
				}
				golden(t, tt.file, body)
			})
		}
	})

	// Prices are whole rupiah, and an item has a price exactly when it can
	// be bought.
	t.Run("prices", func(t *testing.T) {
		var cat struct {
			Version  int64
			Currency string
			Games    []struct {
				ID          string
				ItemCount   int    `json:"item_count"`
				Available   int    `json:"available_count"`
				LowestPrice *int64 `json:"lowest_price"`
				Items       []wireItem
			}
		}
		c.get(t, "/v1/catalog", c.storefront, &cat)
		if cat.Currency != "IDR" || len(cat.Games) == 0 {
			t.Fatalf("catalog: got currency %q and %d games, want IDR and some", cat.Currency, len(cat.Games))
		}
		for _, g := range cat.Games {
			available := 0
			var lowest *int64
			for _, it := range g.Items {
				if it.Available != (it.Price != nil) || it.Currency != "IDR" || it.Game != g.ID {
					t.Errorf("item %s: got available %v, price %v, currency %q, game %q", it.ID, it.Available, it.Price, it.Currency, it.Game)
				}
				if it.Price != nil {
					available++
					if *it.Price <= 0 {
						t.Errorf("item %s: got price %d, want > 0", it.ID, *it.Price)
					}
					if lowest == nil || *it.Price < *lowest {
						lowest = it.Price
					}
				}
			}
			if g.ItemCount != len(g.Items) || g.Available != available || fmt.Sprint(deref(g.LowestPrice)) != fmt.Sprint(deref(lowest)) {
				t.Errorf("game %s: got %d items, %d available, lowest %v; want %d, %d, %v",
					g.ID, g.ItemCount, g.Available, deref(g.LowestPrice), len(g.Items), available, deref(lowest))
			}
		}
	})

	t.Run("etag", func(t *testing.T) {
		for _, path := range []string{"/v1/games", "/v1/games/mobile-legends", "/v1/items/" + diamonds86, "/v1/catalog"} {
			t.Run(path, func(t *testing.T) {
				resp, _ := c.call(t, "GET", path, c.storefront, "")
				etag := resp.Header.Get("ETag")
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(etag, `"`) {
					t.Fatalf("got %d with ETag %q, want 200 and a strong ETag", resp.StatusCode, etag)
				}
				if got := resp.Header.Get("Cache-Control"); got != "private, no-cache" {
					t.Fatalf("Cache-Control: got %q, want private, no-cache", got)
				}
				for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
					resp, body := c.call(t, "GET", path, c.storefront, "", "If-None-Match: "+inm)
					if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
						t.Fatalf("If-None-Match %s: got %d with %d bytes, want 304 and no body", inm, resp.StatusCode, len(body))
					}
					if got := resp.Header.Get("ETag"); got != etag {
						t.Fatalf("304 ETag: got %q, want %q", got, etag)
					}
				}
				if resp, _ := c.call(t, "GET", path, c.storefront, "", `If-None-Match: "other"`); resp.StatusCode != http.StatusOK {
					t.Fatalf("a stale ETag: got %d, want 200", resp.StatusCode)
				}
			})
		}
	})

	// An id sent percent-encoded where it need not be (a client library
	// escaping "-", say) is the same id: it goes through chi's routing,
	// not the hot routes, and is unescaped there too.
	t.Run("escaped ids", func(t *testing.T) {
		for _, p := range []struct{ escaped, plain string }{
			{"/v1/games/mobile%2Dlegends", "/v1/games/mobile-legends"},
			{"/v1/items/" + strings.ReplaceAll(diamonds86, "-", "%2D"), "/v1/items/" + diamonds86},
			{"/v1/items/" + strings.ReplaceAll(diamonds86, "-", "%2D") + "/offers", "/v1/items/" + diamonds86 + "/offers"},
		} {
			token := c.storefront
			if strings.HasSuffix(p.plain, "/offers") {
				token = c.merchandiser
			}
			want, wantBody := c.call(t, "GET", p.plain, token, "")
			got, gotBody := c.call(t, "GET", p.escaped, token, "")
			if want.StatusCode != http.StatusOK || got.StatusCode != http.StatusOK || string(gotBody) != string(wantBody) {
				t.Errorf("GET %s: got %d (%d bytes), want %d and the body of %s", p.escaped, got.StatusCode, len(gotBody), want.StatusCode, p.plain)
			}
		}
	})

	t.Run("gzip", func(t *testing.T) {
		resp, plain := c.call(t, "GET", "/v1/catalog", c.storefront, "")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !json.Valid(plain) {
			t.Fatalf("without Accept-Encoding: got %d, Content-Encoding %q; want 200 and plain JSON",
				resp.StatusCode, resp.Header.Get("Content-Encoding"))
		}
		if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
			t.Fatalf("Vary: got %q, want Accept-Encoding", got)
		}
		for _, ae := range []string{"gzip", "deflate, gzip;q=0.8", "br;q=1.0, GZIP"} {
			resp, zipped := c.call(t, "GET", "/v1/catalog", c.storefront, "", "Accept-Encoding: "+ae)
			if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
				t.Fatalf("Accept-Encoding %s: got Content-Encoding %q, want gzip", ae, got)
			}
			if len(zipped) >= len(plain) {
				t.Fatalf("Accept-Encoding %s: got %d bytes, want fewer than the plain %d", ae, len(zipped), len(plain))
			}
			if got := gunzip(t, zipped); !bytes.Equal(got, plain) {
				t.Fatalf("Accept-Encoding %s: the body gunzips to something other than the plain body", ae)
			}
			if got := resp.Header.Get("Content-Length"); got != fmt.Sprint(len(zipped)) {
				t.Fatalf("Content-Length: got %s, want %d", got, len(zipped))
			}
		}
		for _, ae := range []string{"gzip;q=0", "gzip; q=0.0", "identity", "deflate, br"} {
			resp, body := c.call(t, "GET", "/v1/catalog", c.storefront, "", "Accept-Encoding: "+ae)
			if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
				t.Fatalf("Accept-Encoding %s: got Content-Encoding %q, want the plain body", ae, resp.Header.Get("Content-Encoding"))
			}
		}
		// A small body is not worth compressing.
		resp, body := c.call(t, "GET", "/v1/items/"+diamonds86, c.storefront, "", "Accept-Encoding: gzip")
		if resp.Header.Get("Content-Encoding") != "" || !json.Valid(body) {
			t.Fatalf("small body: got Content-Encoding %q, want plain JSON", resp.Header.Get("Content-Encoding"))
		}
	})

	t.Run("auth", func(t *testing.T) {
		storefrontRoutes := []string{"/v1/games", "/v1/games/mobile-legends", "/v1/items/" + diamonds86, "/v1/catalog",
			fmt.Sprintf("/v1/catalog/changes?since=%d", c.cat.Snapshot().Version)}
		merchRoutes := []struct{ method, path, body string }{
			{"GET", "/v1/items/" + diamonds86 + "/offers", ""},
			{"GET", "/v1/games/mobile-legends/form", ""},
			{"GET", "/v1/matching/review", ""},
			{"PATCH", "/v1/items/" + diamonds86, `{"name":"x"}`},
			{"PATCH", "/v1/games/mobile-legends/form", `{"settings":{"isipay":{"data_format":"{user_id}"}}}`},
			{"POST", "/v1/offers/1/link", `{"item":"` + diamonds86 + `"}`},
			{"POST", "/v1/offers/1/split", ""},
		}
		for _, p := range storefrontRoutes {
			resp, body := c.call(t, "GET", p, "", "")
			wantError(t, "GET "+p+" without a token", resp, body, 401, "unauthorized")
			resp, body = c.call(t, "GET", p, "syncd_NOTATOKENAAAAAAAAAAAAAAA", "")
			wantError(t, "GET "+p+" with an unknown token", resp, body, 401, "unauthorized")
			for _, tok := range []string{c.storefront, c.merchandiser, adminToken} {
				if resp, body := c.call(t, "GET", p, tok, ""); resp.StatusCode != 200 {
					t.Fatalf("GET %s: got %d, want 200 for every role: %s", p, resp.StatusCode, body)
				}
			}
		}
		for _, rt := range merchRoutes {
			resp, body := c.call(t, rt.method, rt.path, "", rt.body)
			wantError(t, rt.method+" "+rt.path+" without a token", resp, body, 401, "unauthorized")
			if resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%s %s: 401 without WWW-Authenticate", rt.method, rt.path)
			}
			resp, body = c.call(t, rt.method, rt.path, c.storefront, rt.body)
			wantError(t, rt.method+" "+rt.path+" as storefront", resp, body, 403, "forbidden")
		}
		for _, rt := range merchRoutes[:3] {
			for _, tok := range []string{c.merchandiser, adminToken} {
				if resp, body := c.call(t, rt.method, rt.path, tok, ""); resp.StatusCode != 200 {
					t.Fatalf("%s %s: got %d, want 200: %s", rt.method, rt.path, resp.StatusCode, body)
				}
			}
		}
	})

	t.Run("unknown ids", func(t *testing.T) {
		tests := []struct {
			method, path, body string
			status             int
			code               string
		}{
			{"GET", "/v1/games/no-such-game", "", 404, "game_not_found"},
			{"GET", "/v1/items/mobile-legends.no-such-item", "", 404, "item_not_found"},
			{"GET", "/v1/items/mobile-legends.no-such-item/offers", "", 404, "item_not_found"},
			{"GET", "/v1/games/no-such-game/form", "", 404, "game_not_found"},
			{"PATCH", "/v1/games/no-such-game/form", `{"settings":{"isipay":{"data_format":"{user_id}"}}}`, 404, "not_found"},
			{"PATCH", "/v1/items/mobile-legends.no-such-item", `{"name":"x"}`, 404, "not_found"},
			{"POST", "/v1/offers/999999/link", `{"item":"` + diamonds86 + `"}`, 404, "not_found"},
			{"POST", "/v1/offers/999999/split", "", 404, "not_found"},
			{"POST", "/v1/offers/abc/split", "", 404, "not_found"},
			{"POST", "/v1/offers/-1/link", `{"item":"` + diamonds86 + `"}`, 404, "not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.path, func(t *testing.T) {
				resp, body := c.call(t, tt.method, tt.path, c.merchandiser, tt.body)
				wantError(t, tt.method+" "+tt.path, resp, body, tt.status, tt.code)
			})
		}
		// The link target is looked up too, once the offer exists.
		var review struct{ Offers []struct{ Offer wireOffer } }
		c.get(t, "/v1/matching/review", c.merchandiser, &review)
		if len(review.Offers) == 0 {
			t.Fatal("review queue: got none, want the demo catalog's low-confidence links")
		}
		path := fmt.Sprintf("/v1/offers/%d/link", review.Offers[0].Offer.ID)
		resp, body := c.call(t, "POST", path, c.merchandiser, `{"item":"mobile-legends.no-such-item"}`)
		wantError(t, "link to an unknown item", resp, body, 404, "not_found")
	})
}

// TestCatalogNotReady: before the first snapshot, catalog reads are 503,
// not an empty catalog or a 404.
func TestCatalogNotReady(t *testing.T) {
	t.Parallel()
	c := newCatalogEnv(t)
	tests := []struct{ method, path, body string }{
		{"GET", "/v1/games", ""},
		{"GET", "/v1/games/mobile-legends", ""},
		{"GET", "/v1/items/" + diamonds86, ""},
		{"GET", "/v1/catalog", ""},
		{"GET", "/v1/catalog/changes?since=1", ""},
		{"GET", "/v1/items/" + diamonds86 + "/offers", ""},
		{"GET", "/v1/games/mobile-legends/form", ""},
		{"GET", "/v1/matching/review", ""},
		{"PATCH", "/v1/games/mobile-legends/form", `{"settings":{"isipay":{"data_format":"{user_id}"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := c.call(t, tt.method, tt.path, c.merchandiser, tt.body)
			wantError(t, tt.method+" "+tt.path, resp, body, 503, "catalog_not_ready")
		})
	}
	// A malformed request is still the client's fault.
	resp, body := c.call(t, "GET", "/v1/catalog/changes?since=abc", c.storefront, "")
	wantError(t, "since=abc before the first snapshot", resp, body, 400, "bad_request")
}

// TestCatalogPriceChange: a supplier's new price reaches the storefront
// with a new ETag; what did not change keeps its ETag.
func TestCatalogPriceChange(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	etags := map[string]string{}
	changed := []string{"/v1/items/" + diamonds86, "/v1/games/mobile-legends"}
	// The game list shows the lowest price, which is not this item's.
	unchanged := []string{"/v1/items/" + diamonds172, "/v1/games"}
	for _, p := range append(changed, unchanged...) {
		resp, _ := c.call(t, "GET", p, c.storefront, "")
		etags[p] = resp.Header.Get("ETag")
	}

	if err := c.isipay.SetPrice("MLBB_ID_86", 19990); err != nil {
		t.Fatal(err)
	}
	c.sync(t)

	for _, p := range changed {
		resp, body := c.call(t, "GET", p, c.storefront, "", "If-None-Match: "+etags[p])
		if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etags[p] {
			t.Fatalf("GET %s after the price change: got %d with ETag %s, want 200 and a new ETag: %s",
				p, resp.StatusCode, resp.Header.Get("ETag"), body)
		}
	}
	var it struct{ Item wireItem }
	c.get(t, "/v1/items/"+diamonds86, c.storefront, &it)
	if it.Item.Price == nil || *it.Item.Price != 19990 {
		t.Fatalf("price: got %v, want 19990", deref(it.Item.Price))
	}
	for _, p := range unchanged {
		if resp, _ := c.call(t, "GET", p, c.storefront, "", "If-None-Match: "+etags[p]); resp.StatusCode != http.StatusNotModified {
			t.Fatalf("GET %s, unchanged: got %d, want 304", p, resp.StatusCode)
		}
	}

	// Senpay undercuts: the chosen offer moves, and the merchandiser sees why.
	if err := c.senpay.SetPrice("MLBB-BJ-V3-ALLMLBB_ID_86", 19500); err != nil {
		t.Fatal(err)
	}
	c.sync(t)
	var d struct{ Item wireItemDetail }
	c.get(t, "/v1/items/"+diamonds86+"/offers", c.merchandiser, &d)
	if len(d.Item.Offers) != 3 || d.Item.ChosenOffer == nil || !d.Item.Offers[0].Chosen || d.Item.Offers[0].ID != *d.Item.ChosenOffer ||
		d.Item.Offers[0].Supplier != "senpay" || d.Item.Offers[0].Cost != 19500 || *d.Item.Price != 19500 {
		t.Fatalf("after Senpay undercut: got %+v, want 3 offers, Senpay's at 19500 first and chosen", d.Item)
	}
	if want := "cheapest eligible: 19500, next isipay at 19990"; d.Item.Reason != want {
		t.Fatalf("reason: got %q, want %q", d.Item.Reason, want)
	}
}

// TestCatalogChangesFeed: a storefront that holds version V downloads only
// what changed after it.
func TestCatalogChangesFeed(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	var cat struct{ Version int64 }
	c.get(t, "/v1/catalog", c.storefront, &cat)
	v1 := cat.Version

	type changes struct {
		From, To     int64
		Games        []struct{ ID string }
		Items        []wireItem
		RemovedGames []string `json:"removed_games"`
		RemovedItems []string `json:"removed_items"`
	}
	var ch changes
	c.get(t, fmt.Sprintf("/v1/catalog/changes?since=%d", v1), c.storefront, &ch)
	if ch.From != v1 || ch.To != v1 || len(ch.Games)+len(ch.Items)+len(ch.RemovedGames)+len(ch.RemovedItems) != 0 ||
		ch.Games == nil || ch.Items == nil || ch.RemovedGames == nil || ch.RemovedItems == nil {
		t.Fatalf("since the current version: got %+v, want from = to = %d and empty (not null) lists", ch, v1)
	}

	if err := c.isipay.SetPrice("MLBB_ID_86", 19990); err != nil {
		t.Fatal(err)
	}
	v2 := c.sync(t).Version
	ch = changes{}
	c.get(t, fmt.Sprintf("/v1/catalog/changes?since=%d", v1), c.storefront, &ch)
	if ch.From != v1 || ch.To != v2 {
		t.Fatalf("from, to: got %d, %d, want %d, %d", ch.From, ch.To, v1, v2)
	}
	if len(ch.Items) != 1 || ch.Items[0].ID != diamonds86 || ch.Items[0].Price == nil || *ch.Items[0].Price != 19990 {
		t.Fatalf("items: got %+v, want only %s at 19990", ch.Items, diamonds86)
	}
	if len(ch.Games) != 1 || ch.Games[0].ID != "mobile-legends" || len(ch.RemovedGames)+len(ch.RemovedItems) != 0 {
		t.Fatalf("games: got %+v, removed %v %v; want mobile-legends only", ch.Games, ch.RemovedGames, ch.RemovedItems)
	}
	ch = changes{}
	c.get(t, fmt.Sprintf("/v1/catalog/changes?since=%d", v2), c.storefront, &ch)
	if len(ch.Items)+len(ch.Games) != 0 {
		t.Fatalf("since the new version: got %+v, want nothing", ch)
	}

	for _, since := range []int64{0, v1 - 1, v2 + 1} {
		resp, body := c.call(t, "GET", fmt.Sprintf("/v1/catalog/changes?since=%d", since), c.storefront, "")
		wantError(t, fmt.Sprintf("since=%d", since), resp, body, 410, "version_gone")
		d := errorDetails(t, body)
		if fmt.Sprint(d["since"]) != fmt.Sprint(since) || fmt.Sprint(d["current"]) != fmt.Sprint(v2) {
			t.Fatalf("since=%d: got details %v, want since %d and current %d", since, d, since, v2)
		}
	}
	for _, q := range []string{"?since=abc", "?since=-1", "?since=1.5", ""} {
		resp, body := c.call(t, "GET", "/v1/catalog/changes"+q, c.storefront, "")
		wantError(t, "changes"+q, resp, body, 400, "bad_request")
	}
}

func TestAcceptsGzip(t *testing.T) {
	tests := []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"GZIP", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, gzip;q=0.5", true},
		{"gzip;q=0.001", true},
		{"gzip; q=1", true},
		{"gzip;q=0", false},
		{"gzip;q=0.0", false},
		{"gzip; q=0.000", false},
		{"gzip;q=bogus", false},
		{"deflate", false},
		{"x-gzip2", false},
		{"identity", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Encoding", tt.header)
		if got := acceptsGzip(r); got != tt.want {
			t.Errorf("Accept-Encoding %q: got %v, want %v", tt.header, got, tt.want)
		}
	}
}
