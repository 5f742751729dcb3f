package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

type wireGameDecision struct {
	ID       int64  `json:"id"`
	Supplier string `json:"supplier"`
	Code     string `json:"code"`
	Action   string `json:"action"`
	From     string `json:"from"`
	To       string `json:"to"`
	By       string `json:"by"`
	Items    []struct {
		Item   string `json:"item"`
		Into   string `json:"into"`
		Offers int    `json:"offers"`
		Merged bool   `json:"merged"`
	} `json:"items"`
}

func (d wireGameDecision) moves() []string {
	out := []string{}
	for _, m := range d.Items {
		s := m.Item + " -> " + m.Into
		if m.Merged {
			s += " merged"
		}
		out = append(out, s)
	}
	return out
}

type wireGameReview struct {
	Game    string   `json:"game"`
	Sibling string   `json:"sibling"`
	Names   []string `json:"names"`
}

// withBarePUBG adds to Isipay a region-less "PUBGM" product beside the
// demo's "PUBG Mobile Global" ones, so that pubg-mobile-global has a
// bare sibling and a game-level review entry.
func withBarePUBG(t *testing.T, c *catalogEnv) {
	t.Helper()
	if err := c.isipay.Add("PUBGM",
		isipaysim.NewVariant("PUBGM_ID_60", "60 UC", 14000),
		isipaysim.NewVariant("PUBGM_ID_325", "325 UC", 69900),
		isipaysim.NewVariant("PUBGM_ID_120", "120 UC", 28000)); err != nil {
		t.Fatal(err)
	}
	c.sync(t)
}

// pubgReview is the game review's entries for pubg-mobile-global (the
// demo has others, Mobile Legends' regions).
func (c *catalogEnv) pubgReview(t *testing.T) []wireGameReview {
	t.Helper()
	var q struct{ Games []wireGameReview }
	c.get(t, "/v1/matching/review", c.merchandiser, &q)
	var out []wireGameReview
	for _, g := range q.Games {
		if strings.HasPrefix(g.Game, "pubg") || strings.HasPrefix(g.Sibling, "pubg") {
			out = append(out, g)
		}
	}
	return out
}

func (c *catalogEnv) decide(t *testing.T, path, body string) wireGameDecision {
	t.Helper()
	resp, b := c.call(t, "POST", path, c.merchandiser, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: got %d, want 200: %s", path, resp.StatusCode, b)
	}
	var out struct{ Decision wireGameDecision }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out.Decision
}

// TestGameLinkAndSplit: a merchandiser links both suppliers' "PUBG
// Mobile Global" into the bare pubg-mobile from its game-level review
// entry, over HTTP; the items merge, the old ids answer as aliases, the
// entry is gone, a sync keeps it so, and a split gives one back its game.
// Every response is held to openapi.json, and every status it documents
// for these routes is produced.
func TestGameLinkAndSplit(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	m := c.merchandiser
	withBarePUBG(t, c)
	games := c.pubgReview(t)
	want := []string{"isipay/pubg-mobile: PUBG Mobile Global", "senpay/PUBGM-RCF: PUBG Mobile (Global)"}
	if len(games) != 1 || games[0].Game != "pubg-mobile-global" || games[0].Sibling != "pubg-mobile" || !slices.Equal(games[0].Names, want) {
		t.Fatalf("game review: got %+v, want pubg-mobile-global (%q) beside pubg-mobile", games, want)
	}
	link := "/v1/supplier-games/senpay/PUBGM-RCF/link"

	t.Run("refusals", func(t *testing.T) {
		for _, tt := range []struct {
			name, method, path, token, body string
			status                          int
			code                            string
		}{
			{"not JSON", "POST", link, m, `game=pubg-mobile`, 400, "bad_json"},
			{"unknown field", "POST", link, m, `{"game":"pubg-mobile","force":true}`, 400, "bad_json"},
			{"empty body", "POST", link, m, ``, 400, "bad_json"},
			{"missing game", "POST", link, m, `{}`, 422, "validation"},
			{"no such game", "POST", link, m, `{"game":"pubg-mobile-xx"}`, 422, "validation"},
			{"too large", "POST", link, m, `{"game":"` + strings.Repeat("x", maxBody) + `"}`, 413, "too_large"},
			{"no such supplier game", "POST", "/v1/supplier-games/senpay/NO%2FPE/link", m, `{"game":"pubg-mobile"}`, 404, "not_found"},
			{"split of none", "POST", "/v1/supplier-games/nobody/PUBGM-RCF/split", m, ``, 404, "not_found"},
			{"storefront link", "POST", link, c.storefront, `{"game":"pubg-mobile"}`, 403, "forbidden"},
			{"anonymous link", "POST", link, "", `{"game":"pubg-mobile"}`, 401, "unauthorized"},
			{"storefront split", "POST", "/v1/supplier-games/senpay/PUBGM-RCF/split", c.storefront, ``, 403, "forbidden"},
			{"anonymous split", "POST", "/v1/supplier-games/senpay/PUBGM-RCF/split", "", ``, 401, "unauthorized"},
			{"storefront audit", "GET", "/v1/supplier-games/audit", c.storefront, ``, 403, "forbidden"},
			{"anonymous audit", "GET", "/v1/supplier-games/audit", "", ``, 401, "unauthorized"},
			{"audit of half a game", "GET", "/v1/supplier-games/audit?supplier=senpay", m, ``, 400, "bad_request"},
			{"audit limit", "GET", "/v1/supplier-games/audit?limit=0", m, ``, 400, "bad_request"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := c.call(t, tt.method, tt.path, tt.token, tt.body)
				wantError(t, tt.name, resp, body, tt.status, tt.code)
				if tt.code == "validation" {
					if d := errorDetails(t, body); d["game"] == nil {
						t.Errorf("%s: got details %v, want game named", tt.name, d)
					}
				}
				if tt.status == 404 && tt.method == "POST" && strings.Contains(tt.path, "NO%2FPE") && !strings.Contains(string(body), "senpay/NO/PE") {
					t.Errorf("%s: got %s, want the unescaped code named", tt.name, body)
				}
			})
		}
		if g := c.pubgReview(t); len(g) != 1 {
			t.Fatalf("a refused request changed the game review: %+v", g)
		}
	})

	// Rules on both sides' 60 UC, and one on a 1800 UC only the Global
	// game sells: that one can follow a merge, the 60 UC one cannot.
	rule := func(name, item string) string {
		return c.createRule(t, fmt.Sprintf(`{"name": %q, "match": {"item": %q}, "action": {"kind": "cost_plus", "value": "500", "plus": 0}}`, name, item)).Rule.ID
	}
	bare60, global60 := rule("60 UC", "pubg-mobile.uc-60"), rule("60 UC Global", "pubg-mobile-global.uc-60")
	global1800 := rule("1800 UC Global", "pubg-mobile-global.uc-1800")

	// Senpay's first: Isipay's Global keeps the old items, so nothing
	// merges yet, and the entry stays for the undecided one.
	before := c.cat.Snapshot().Version
	d := c.decide(t, link, `{"game":"pubg-mobile"}`)
	if d.Action != "link" || d.From != "pubg-mobile-global" || d.To != "pubg-mobile" || d.By != "merchandiser-test" || len(d.Items) != 6 {
		t.Fatalf("link: got %+v, want senpay/PUBGM-RCF's 6 items moved from pubg-mobile-global to pubg-mobile by merchandiser-test", d)
	}
	if !slices.Contains(d.moves(), "pubg-mobile-global.uc-60 -> pubg-mobile.uc-60") {
		t.Errorf("link: got moves %q, want its 60 UC joining pubg-mobile.uc-60", d.moves())
	}
	var offers struct{ Item wireItemDetail }
	c.get(t, "/v1/items/pubg-mobile.uc-60/offers", m, &offers)
	var codes []string
	for _, o := range offers.Item.Offers {
		codes = append(codes, o.Supplier+"/"+o.Code)
	}
	slices.Sort(codes)
	if !slices.Equal(codes, []string{"isipay/PUBGM_ID_60", "senpay/PUBGM-RCFPUBGM_60UC"}) {
		t.Fatalf("pubg-mobile.uc-60 after the link: got offers %v, want Isipay's bare and Senpay's Global", codes)
	}
	if g := c.pubgReview(t); len(g) != 1 || !slices.Equal(g[0].Names, want[:1]) {
		t.Fatalf("game review after one link: got %+v, want only %s waiting", g, want[0])
	}

	// Isipay's too: now pubg-mobile-global's items have nothing left and
	// become aliases; the entry is gone.
	d = c.decide(t, "/v1/supplier-games/isipay/pubg-mobile/link", `{"game":"pubg-mobile"}`)
	if !slices.Contains(d.moves(), "pubg-mobile-global.uc-60 -> pubg-mobile.uc-60 merged") {
		t.Fatalf("second link: got moves %q, want pubg-mobile-global.uc-60 merged into pubg-mobile.uc-60", d.moves())
	}
	if g := c.pubgReview(t); len(g) != 0 {
		t.Fatalf("game review after both links: got %+v, want none", g)
	}
	var sf struct{ Item wireItem }
	c.get(t, "/v1/items/pubg-mobile-global.uc-60", c.storefront, &sf)
	if sf.Item.ID != "pubg-mobile.uc-60" || sf.Item.Game != "pubg-mobile" {
		t.Fatalf("GET the old id: got %+v, want pubg-mobile.uc-60's body", sf.Item)
	}
	resp, body := c.call(t, "GET", "/v1/games/pubg-mobile-global", c.storefront, "")
	wantError(t, "the emptied game", resp, body, 404, "game_not_found")

	// A storefront following the changes feed learns where the old ids went.
	var ch struct {
		Items        []wireItem
		RemovedItems []string `json:"removed_items"`
		RemovedGames []string `json:"removed_games"`
		Merged       []struct{ Item, Into string }
	}
	c.get(t, fmt.Sprintf("/v1/catalog/changes?since=%d", before), c.storefront, &ch)
	merged := map[string]string{}
	for _, m := range ch.Merged {
		merged[m.Item] = m.Into
	}
	if len(merged) != 6 || merged["pubg-mobile-global.uc-60"] != "pubg-mobile.uc-60" || merged["pubg-mobile-global.uc-3850"] != "pubg-mobile.uc-3850" ||
		!slices.Contains(ch.RemovedItems, "pubg-mobile-global.uc-60") || !slices.Equal(ch.RemovedGames, []string{"pubg-mobile-global"}) {
		t.Fatalf("changes since before the links: got merged %v, removed items %v, games %v; want pubg-mobile-global's 6 items merged into pubg-mobile's",
			ch.Merged, ch.RemovedItems, ch.RemovedGames)
	}
	for _, it := range ch.Items {
		if it.Game != "pubg-mobile" && strings.HasPrefix(it.Game, "pubg") {
			t.Errorf("changes list %s of %s as an item", it.ID, it.Game)
		}
	}

	// The rule on the merged 60 UC waits in review; the 1800 one followed.
	var review struct {
		Rules []struct {
			Rule, Reason, Item, Into string
			Clashes                  []string
		}
	}
	c.get(t, "/v1/matching/review", m, &review)
	if len(review.Rules) != 1 || review.Rules[0].Rule != global60 || review.Rules[0].Reason != "rule_on_merged_item" ||
		review.Rules[0].Into != "pubg-mobile.uc-60" || !slices.Equal(review.Rules[0].Clashes, []string{bare60}) {
		t.Fatalf("rule review: got %+v, want %s on pubg-mobile-global.uc-60, clashing with %s", review.Rules, global60, bare60)
	}
	var followed struct {
		Version int64
		Match   struct{ Item string }
	}
	c.get(t, "/v1/rules/"+global1800, m, &followed)
	if followed.Match.Item != "pubg-mobile.uc-1800" || followed.Version != 2 {
		t.Fatalf("the rule on the merged 1800 UC: got %+v, want it on pubg-mobile.uc-1800 at version 2", followed)
	}
	// Deleting it ends the entry.
	resp, body = c.call(t, "DELETE", "/v1/rules/"+global60, m, "", `If-Match: "1"`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete %s: got %d: %s", global60, resp.StatusCode, body)
	}
	c.get(t, "/v1/matching/review", m, &review)
	if len(review.Rules) != 0 {
		t.Fatalf("rule review after the delete: got %+v, want none", review.Rules)
	}

	// A sync keeps the decisions.
	c.sync(t)
	if g := c.pubgReview(t); len(g) != 0 {
		t.Fatalf("game review after a sync: got %+v, want none", g)
	}
	c.get(t, "/v1/items/pubg-mobile-global.uc-325", c.storefront, &sf)
	if sf.Item.ID != "pubg-mobile.uc-325" {
		t.Fatalf("GET an old id after a sync: got %+v, want pubg-mobile.uc-325", sf.Item)
	}

	// Split Senpay's back out: its own game again, under its own name.
	d = c.decide(t, "/v1/supplier-games/senpay/PUBGM-RCF/split", "")
	if d.Action != "split" || d.From != "pubg-mobile" || d.To != "pubg-mobile-global" || len(d.Items) != 6 {
		t.Fatalf("split: got %+v, want senpay/PUBGM-RCF's 6 items back in pubg-mobile-global", d)
	}
	var game struct {
		Game struct {
			Name  string
			Items []wireItem
		}
	}
	c.get(t, "/v1/games/pubg-mobile-global", c.storefront, &game)
	if game.Game.Name != "PUBG Mobile Global" || len(game.Game.Items) != 6 {
		t.Fatalf("pubg-mobile-global after the split: got %q with %d items, want its name, PUBG Mobile Global, with 6", game.Game.Name, len(game.Game.Items))
	}
	if g := c.pubgReview(t); len(g) != 0 {
		t.Fatalf("game review after the split: got %+v, want none: a person decided", g)
	}

	var audit struct{ Decisions []wireGameDecision }
	c.get(t, "/v1/supplier-games/audit", m, &audit)
	var got []string
	for _, d := range audit.Decisions {
		got = append(got, fmt.Sprintf("%s %s/%s %s->%s", d.Action, d.Supplier, d.Code, d.From, d.To))
	}
	wantAudit := []string{
		"split senpay/PUBGM-RCF pubg-mobile->pubg-mobile-global",
		"link isipay/pubg-mobile pubg-mobile-global->pubg-mobile",
		"link senpay/PUBGM-RCF pubg-mobile-global->pubg-mobile",
	}
	if !slices.Equal(got, wantAudit) {
		t.Fatalf("audit: got %q, want %q", got, wantAudit)
	}
	c.get(t, "/v1/supplier-games/audit?supplier=senpay&code=PUBGM-RCF&limit=1", m, &audit)
	if len(audit.Decisions) != 1 || audit.Decisions[0].Action != "split" {
		t.Fatalf("audit of one supplier game, limit 1: got %+v, want its split", audit.Decisions)
	}

	// Every status openapi.json documents for these routes was produced.
	paths, _ := c.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !strings.HasPrefix(route, "/v1/supplier-games") {
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
