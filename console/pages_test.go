package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

func TestCatalogPage(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn(e.merch)
	_, body := c.get("/console/catalog", http.StatusOK)
	mustContain(t, "catalog", body, "astra-knights-of-veda.diamonds-60", `data-label="Margin"`, "1–50 of", `rel="next"`)

	_, body = c.get("/console/catalog?page=2", http.StatusOK)
	mustContain(t, "page 2", body, "51–", `rel="prev"`)

	_, body = c.get("/console/catalog?game=mobile-legends&supplier=isipay", http.StatusOK)
	mustContain(t, "game and supplier", body, diamonds86)
	if strings.Contains(body, "free-fire.") {
		t.Error("the game filter lets another game's items through")
	}

	_, body = c.get("/console/catalog?status=unavailable", http.StatusOK)
	mustContain(t, "unavailable", body, "no eligible offer")
	if strings.Contains(body, `class="badge available"`) {
		t.Error("the status filter lets available items through")
	}

	// No rule: every price is its cost, so every margin is below 1%.
	_, body = c.get("/console/catalog?margin_below=1&q=86+(78", http.StatusOK)
	mustContain(t, "margin below", body, diamonds86)
	_, body = c.get("/console/catalog?margin_below=0", http.StatusOK)
	mustContain(t, "margin below 0", body, "No item matches")

	_, body = c.get("/console/catalog?status=blocked", http.StatusOK)
	mustContain(t, "blocked, none yet", body, "No item matches")
	// A ceiling below cost blocks the item.
	c.submit("/console/rules/new", url.Values{"name": {"cap"}, "enabled": {"on"}, "item": {diamonds86}, "kind": {"markup_percent"},
		"value": {"0"}, "max_price": {"1000"}, "mode": {"up"}}, http.StatusSeeOther)
	_, body = c.get("/console/catalog?status=blocked", http.StatusOK)
	mustContain(t, "blocked", body, diamonds86, `class="badge blocked"`)

	for _, bad := range []string{"margin_below=abc", "tier=nope", "game=nope", "status=sold"} {
		resp, body := c.get("/console/catalog?"+bad, http.StatusBadRequest)
		_ = resp
		mustContain(t, bad, body, `class="err"`)
	}
}

func TestItemPage(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn(e.merch)
	_, body := c.get("/console/items/"+diamonds86, http.StatusOK)
	mustContain(t, "item", body, "MLBB_ID_86", "sells", "Stage by stage", "cost 20350", "the built-in default", "synced")
	// A rule makes a price change: the chart draws it.
	c.submit("/console/rules/new", url.Values{"name": {"+10"}, "enabled": {"on"}, "game": {"mobile-legends"}, "kind": {"markup_percent"},
		"value": {"10"}, "step": {"100"}, "mode": {"up"}}, http.StatusSeeOther)
	_, body = c.get("/console/items/"+diamonds86, http.StatusOK)
	mustContain(t, "item after a rule", body, "<svg", "<polyline", "public: Rp 22.400", "rule:r_", `href="/console/rules/r_`)

	t.Run("rename", func(t *testing.T) {
		c.submit("/console/items/"+diamonds86+"/rename", url.Values{"name": {"86 Diamonds (promo)"}}, http.StatusSeeOther)
		if it, _ := e.cat.Snapshot().Item(diamonds86); it.Name != "86 Diamonds (promo)" {
			t.Fatalf("name: got %q", it.Name)
		}
		long := strings.Repeat("x", 201)
		_, body := c.submit("/console/items/"+diamonds86+"/rename", url.Values{"name": {long}}, http.StatusUnprocessableEntity)
		mustContain(t, "a name too long", body, "1 to 200 characters", `value="`+long+`"`)
		// The console renames through the same check as the API.
		_, body = c.submit("/console/items/"+diamonds86+"/rename", url.Values{"name": {"86 \u202eDiamonds"}}, http.StatusUnprocessableEntity)
		mustContain(t, "a name with U+202E", body, "must not contain U&#43;202E")
		if it, _ := e.cat.Snapshot().Item(diamonds86); it.Name != "86 Diamonds (promo)" {
			t.Fatalf("name after a refused rename: got %q", it.Name)
		}
	})
	c.get("/console/items/mobile-legends.nothing", http.StatusNotFound)
}

func TestRulesPages(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn(e.merch)
	form := func(kv ...string) url.Values {
		v := url.Values{"enabled": {"on"}, "kind": {"markup_percent"}, "plus": {"0"}, "mode": {"up"}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	rules := func() int {
		list, err := e.cat.Rules().List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	t.Run("invalid input is shown inline and kept", func(t *testing.T) {
		_, body := c.submit("/console/rules/new", form("name", "", "value", "abc", "plus", "1.5", "step", "100", "ending", "150",
			"valid_from", "2026-13-01T00:00", "game", "Mobile Legends"), http.StatusUnprocessableEntity)
		mustContain(t, "errors", body, "field(s) to fix",
			`id="err-f-name">required`, `id="err-f-action-value">a number such as 7`,
			`id="err-f-action-plus">a whole number of rupiah`, `id="err-f-round-ending">must be less than step`,
			`id="err-f-valid-from">a date and time`, `id="err-f-match-game">must be a game id`,
			`value="abc"`, `value="1.5"`, `value="Mobile Legends"`, `aria-invalid="true"`)
		if n := rules(); n != 0 {
			t.Fatalf("rules: got %d, want none saved", n)
		}
	})
	t.Run("preview saves nothing", func(t *testing.T) {
		_, body := c.submit("/console/rules/preview", form("name", "ML ten", "game", "mobile-legends", "value", "10", "step", "100"), http.StatusOK)
		mustContain(t, "preview page", body, "Impact if saved", "Biggest increases", "0% → ", `value="ML ten"`)
		if n := rules(); n != 0 {
			t.Fatalf("rules: got %d after a preview, want 0", n)
		}
		// htmx asks for the fragment, with every field's error slot.
		resp, frag := c.htmxPost("/console/rules/preview", form("name", "x", "value", "-200"))
		if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") {
			t.Fatalf("htmx preview: got %d, a whole page: %v", resp.StatusCode, strings.Contains(frag, "<html"))
		}
		mustContain(t, "fragment", frag, "No preview until the form is valid", `id="err-f-action-value" hx-swap-oob="true">must be more than -100`,
			`id="err-f-name" hx-swap-oob="true"></p>`)
	})
	var id string
	t.Run("save", func(t *testing.T) {
		resp, _ := c.submit("/console/rules/new", form("name", "ML ten", "note", "launch", "game", "mobile-legends", "value", "10", "step", "100",
			"min_margin_percent", "2", "valid_from", "2026-01-01T00:00", "priority", "5"), http.StatusSeeOther)
		loc := resp.Header.Get("Location")
		id = strings.TrimPrefix(loc, "/console/rules/")
		if !strings.HasPrefix(id, "r_") {
			t.Fatalf("redirect: %q", loc)
		}
		// The form's delayed preview can reach the server between the
		// save and the page it redirects to: the fragment must leave the
		// message for the page.
		if resp, _ := c.htmxPost("/console/rules/preview", form("name", "ML ten", "game", "mobile-legends", "value", "10")); resp.StatusCode != http.StatusOK {
			t.Fatalf("the form's preview after the save: got %d", resp.StatusCode)
		}
		_, body := c.get(loc, http.StatusOK)
		mustContain(t, "saved rule page", body, "Saved rule “ML ten” (version 1)", `value="ML ten"`, `value="2026-01-01T00:00:00"`,
			`value="5"`, "mia</strong> created")
		if it, _ := e.cat.Snapshot().Item(diamonds86); *it.PriceIn("public").Amount != 22400 {
			t.Fatalf("price after save: %d, want 22400", *it.PriceIn("public").Amount)
		}
		_, body = c.get("/console/rules", http.StatusOK)
		mustContain(t, "rules list", body, "ML ten", "game mobile-legends", "markup 10%", "up to 100", "margin ≥ 2%", "from 2026-01-01 00:00 UTC", "in force", "Disable")
	})
	t.Run("edit, and a stale edit keeps what was typed", func(t *testing.T) {
		c.submit("/console/rules/"+id, form("version", "1", "name", "ML twelve", "game", "mobile-legends", "value", "12", "step", "100"), http.StatusSeeOther)
		_, body := c.get("/console/rules/"+id, http.StatusOK)
		mustContain(t, "audit", body, "action.value: 10 → 12", "name: ML ten → ML twelve")
		_, body = c.submit("/console/rules/"+id, form("version", "1", "name", "ML fifteen", "game", "mobile-legends", "value", "15"), http.StatusConflict)
		mustContain(t, "stale", body, "now at version 2", `value="ML fifteen"`, `name="version" value="2"`)
	})
	t.Run("a conflict is refused with the findings", func(t *testing.T) {
		_, body := c.submit("/console/rules/new", form("name", "twin", "game", "mobile-legends", "value", "20"), http.StatusConflict)
		mustContain(t, "conflict", body, "Refused:", "conflicts with another rule", `value="twin"`)
		if n := rules(); n != 1 {
			t.Fatalf("rules: %d, want 1", n)
		}
	})
	t.Run("toggle and delete", func(t *testing.T) {
		c.submit("/console/rules/"+id+"/toggle", url.Values{"version": {"2"}}, http.StatusSeeOther)
		_, body := c.get("/console/rules", http.StatusOK)
		mustContain(t, "disabled", body, "disabled (version 3)", "Enable")
		c.submit("/console/rules/"+id+"/toggle", url.Values{"version": {"2"}}, http.StatusSeeOther) // stale
		_, body = c.get("/console/rules", http.StatusOK)
		mustContain(t, "stale toggle", body, "Nothing changed")
		c.submit("/console/rules/"+id+"/delete", url.Values{"version": {"3"}}, http.StatusSeeOther)
		if n := rules(); n != 0 {
			t.Fatalf("rules after delete: %d", n)
		}
		c.get("/console/rules/"+id, http.StatusNotFound)
	})
}

func TestMatchingPage(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn(e.merch)
	offer := e.reviewOffer(bundleCode)
	_, body := c.get("/console/matching", http.StatusOK)
	mustContain(t, "review", body, bundleCode, "Paket Spesial Ramadhan", "unmatched", `id="link-`+offer+`"`)

	// An item of another game is refused; what was typed stays.
	ff := e.cat.Snapshot().GameList()
	var other string
	for _, g := range ff {
		if g.ID == "free-fire" {
			other = g.Items[0].ID
		}
	}
	_, body = c.submit("/console/offers/"+offer+"/link", url.Values{"item": {other}}, http.StatusUnprocessableEntity)
	mustContain(t, "wrong game", body, "is in game free-fire", `value="`+other+`"`)
	_, body = c.submit("/console/offers/"+offer+"/link", url.Values{"item": {"mobile-legends.nothing"}}, http.StatusUnprocessableEntity)
	mustContain(t, "no such item", body, "not found")

	c.submit("/console/offers/"+offer+"/link", url.Values{"item": {twilightPass}}, http.StatusSeeOther)
	it, _ := e.cat.Snapshot().Item(twilightPass)
	if !hasOffer(it.Offers, bundleCode) {
		t.Fatal("the link did not reach the snapshot")
	}
	_, body = c.get("/console/matching", http.StatusOK)
	mustContain(t, "after link", body, "Linked offer "+offer)

	// Split it out again: an item of its own.
	resp, _ := c.submit("/console/offers/"+offer+"/split", nil, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	_, body = c.get(loc, http.StatusOK)
	mustContain(t, "split item", body, "is now item", bundleCode)

	// Rename from the review page keeps the page; a bad name is shown there.
	item := strings.TrimPrefix(loc, "/console/items/")
	_, body = c.submit("/console/items/"+item+"/rename", url.Values{"name": {" "}, "return": {"matching"}}, http.StatusUnprocessableEntity)
	mustContain(t, "bad rename on the review page", body, "1 to 200 characters", "Matching review")
}

// TestMatchingPageGames: the matching page's game entries link a supplier
// game into the bare game, keep one apart, and list the decisions made.
func TestMatchingPageGames(t *testing.T) {
	e := newEnv(t)
	e.barePUBG()
	c := e.signedIn(e.merch)
	_, body := c.get("/console/matching", http.StatusOK)
	mustContain(t, "game entry", body, `id="game-pubg-mobile-global"`, "Link into pubg-mobile", "Keep apart in pubg-mobile-global",
		`action="/console/supplier-games/senpay/PUBGM-RCF/link"`, `action="/console/supplier-games/isipay/pubg-mobile/split"`)

	// A game that does not exist changes nothing and says so.
	resp, _ := c.submit("/console/supplier-games/senpay/PUBGM-RCF/link", url.Values{"game": {"nope"}}, http.StatusSeeOther)
	_, body = c.get(resp.Header.Get("Location"), http.StatusOK)
	mustContain(t, "no such game", body, "Nothing changed: no game nope")

	c.submit("/console/supplier-games/isipay/pubg-mobile/link", url.Values{"game": {"pubg-mobile"}}, http.StatusSeeOther)
	_, body = c.get("/console/matching", http.StatusOK)
	mustContain(t, "after the link", body, "Linked isipay/pubg-mobile into pubg-mobile", `id="game-pubg-mobile-global"`)
	if strings.Contains(body, `action="/console/supplier-games/isipay/pubg-mobile/link"`) {
		t.Error("the linked supplier game is still offered for a decision")
	}
	if it, ok := e.cat.Snapshot().Item("pubg-mobile.uc-60"); !ok || !hasOffer(it.Offers, "PUBGM_60") {
		t.Fatalf("pubg-mobile.uc-60 after the link: got %v (%v), want Isipay's Global 60 UC in it", it, ok)
	}

	c.submit("/console/supplier-games/senpay/PUBGM-RCF/link", url.Values{"game": {"pubg-mobile-global"}}, http.StatusSeeOther)
	_, body = c.get("/console/matching", http.StatusOK)
	mustContain(t, "after keeping apart", body, "senpay/PUBGM-RCF stays in pubg-mobile-global", "Recent game decisions", "mia")
	if strings.Contains(body, `id="game-pubg-mobile-global"`) {
		t.Error("the game entry is still shown after every supplier game was decided")
	}
}

func TestSuppliersPage(t *testing.T) {
	e := newEnv(t)
	c := e.signedIn(e.admin)
	_, body := c.get("/console/suppliers", http.StatusOK)
	mustContain(t, "suppliers", body, "senpay", "isipay", "Sync senpay now", "Offers held")
	c.submit("/console/suppliers/isipay/sync", nil, http.StatusSeeOther)
	if got := e.triggered(); len(got) != 1 || got[0] != "isipay" {
		t.Fatalf("triggered: %v", got)
	}
	_, body = c.get("/console/suppliers", http.StatusOK)
	mustContain(t, "after sync", body, "Sync of isipay started")
	c.submit("/console/suppliers/nope/sync", nil, http.StatusNotFound)
}

// The suppliers page says what each supplier's state means for sales, and
// where its order circuit stands.
func TestSuppliersPageShowsStateAndCircuit(t *testing.T) {
	e := newEnv(t, func(cfg *orders.Config) { cfg.Breaker = orders.BreakerConfig{Failures: 1, Cooldown: time.Minute} })
	c := e.signedIn(e.admin)
	_, body := c.get("/console/suppliers", http.StatusOK)
	mustContain(t, "healthy", body, "Its offers are sold.", "Order circuit", ">closed<")

	// Isipay's catalog sync fails: degraded, still sold. Its order
	// endpoint answers 502: the circuit opens after one failure.
	e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathProduct, Mode: isipaysim.FaultHTTP500})
	if _, err := e.syncer.Sync(context.Background(), isipay.Name, e.sources[isipay.Name]); err == nil {
		t.Fatal("sync into an outage: got no error")
	}
	e.isipay.ClearFaults()
	e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultBadGateway})
	it, _ := e.cat.Snapshot().Item(diamonds86)
	if _, _, err := e.svc.Create(context.Background(), orders.Request{Reference: "circuit-1", Item: diamonds86, Tier: "public",
		Fields: map[string]string{"user_id": "12345678", "server": "1234"}, ExpectedPrice: *it.PriceIn("public").Amount}, "shop"); err != nil {
		t.Fatal(err)
	}
	_, body = c.get("/console/suppliers", http.StatusOK)
	mustContain(t, "after the failures", body, ">degraded<", "its offers are still sold from the last good data until",
		">open<", "(1 in a row): new orders go to other suppliers", "502")
}

func TestOrdersPages(t *testing.T) {
	e := newEnv(t)
	o := e.attentionOrder("orders-1")
	c := e.signedIn(e.admin)
	_, body := c.get("/console/orders", http.StatusOK)
	mustContain(t, "orders", body, o.ID, "attention <span class=\"count\">1</span>", "orders-1")
	_, body = c.get("/console/orders?status=success", http.StatusOK)
	mustContain(t, "success filter", body, "No orders in status success")
	c.get("/console/orders?status=lost", http.StatusBadRequest)

	_, body = c.get("/console/orders/"+o.ID, http.StatusOK)
	mustContain(t, "order", body, "Settle order", "Routing decisions", "isipay at Rp 20.350: <strong>tried</strong>", "SD")

	// Without a note: refused, input kept.
	_, body = c.submit("/console/orders/"+o.ID+"/settle", url.Values{"outcome": {"failed"}, "sn": {"SN-9"}}, http.StatusUnprocessableEntity)
	mustContain(t, "sn on failure", body, "only a succeeded outcome has a serial number", `value="SN-9"`)
	_, body = c.submit("/console/orders/"+o.ID+"/settle", url.Values{"outcome": {"succeeded"}, "sn": {"SN-9"}}, http.StatusUnprocessableEntity)
	mustContain(t, "no note", body, "required: what was checked", `value="SN-9"`)

	c.submit("/console/orders/"+o.ID+"/settle", url.Values{"outcome": {"succeeded"}, "sn": {"SN-9"}, "note": {"checked with Isipay"}}, http.StatusSeeOther)
	got, _ := e.svc.Get(context.Background(), o.ID, "")
	if got.Status != orders.Success || got.SN != "SN-9" {
		t.Fatalf("settled: %s %q", got.Status, got.SN)
	}
	_, body = c.get("/console/orders/"+o.ID, http.StatusOK)
	mustContain(t, "settled", body, "settled: success", "checked with Isipay")
	_, body = c.submit("/console/orders/"+o.ID+"/settle", url.Values{"outcome": {"failed"}, "note": {"again"}}, http.StatusConflict)
	mustContain(t, "again", body, "only an order in attention")
	c.get("/console/orders/ord_nothing", http.StatusNotFound)
}
