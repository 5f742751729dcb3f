package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/rules"
)

// The rules the tests save: MLBB +10% on a 100 grid, the same at +20%,
// and a member-only +5% on a 500 grid.
const (
	mlbb10 = `{"name": "MLBB +10%", "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "10", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`
	mlbb20 = `{"name": "MLBB +20%", "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "20", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`
	mlbbMembers = `{"name": "MLBB members +5%", "match": {"game": "mobile-legends", "tier": "member"},
		"action": {"kind": "markup_percent", "value": "5"}, "round": {"step": 500}}`
)

// isRuleRoute: the routes this file's tests hold to openapi.json.
func isRuleRoute(route string) bool {
	return strings.HasPrefix(route, "/v1/rules") || strings.HasPrefix(route, "/v1/tiers") ||
		route == "/v1/items/{item}/pricing"
}

// wireSaved is a create or update answer; its rule is read back with
// rules.Decode, as strictly as a request.
type wireSaved struct {
	Rule     rules.Rule      `json:"rule"`
	Warnings []rules.Finding `json:"warnings"`
}

type wireImpactItem struct {
	Item, Tier    string
	Before, After *int64
	Delta         int64
}

type wireImpact struct {
	Priced, Changed, Up, Down int
	LargestIncreases          []wireImpactItem `json:"largest_increases"`
	Lint                      rules.Findings
}

type wireExplanation struct {
	Item, Tier string
	Price      *int64
	Blocked    string
	Rule       *struct {
		ID      string
		Version int64
	}
	Quote *struct {
		Cost  string
		Steps []struct{ Stage, In, Out string }
	}
}

type wireAudit struct {
	Entries []struct {
		RuleID        string `json:"rule_id"`
		Version       int64
		Action, Actor string
		Before, After json.RawMessage
	}
}

// createRule saves body and returns the answer.
func (c *catalogEnv) createRule(t *testing.T, body string) wireSaved {
	t.Helper()
	resp, b := c.call(t, "POST", "/v1/rules", c.merchandiser, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create rule: got %d, want 201: %s", resp.StatusCode, b)
	}
	var s wireSaved
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("create rule: %v: %s", err, b)
	}
	return s
}

func (c *catalogEnv) preview(t *testing.T, body string) wireImpact {
	t.Helper()
	resp, b := c.call(t, "POST", "/v1/rules/preview", c.merchandiser, body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preview: got %d, want 200: %s", resp.StatusCode, b)
	}
	var imp wireImpact
	if err := json.Unmarshal(b, &imp); err != nil {
		t.Fatal(err)
	}
	return imp
}

// gamePrice is an item's price as a storefront sees it in its game's
// listing ("" tier: public).
func (c *catalogEnv) gamePrice(t *testing.T, tier, item string) int64 {
	t.Helper()
	path := "/v1/games/" + strings.Split(item, ".")[0]
	if tier != "" {
		path += "?tier=" + tier
	}
	var g struct{ Game struct{ Items []wireItem } }
	c.get(t, path, c.storefront, &g)
	for _, it := range g.Game.Items {
		if it.ID == item {
			if it.Price == nil {
				t.Fatalf("%s in %s: no price", item, path)
			}
			return *it.Price
		}
	}
	t.Fatalf("%s: no item %s", path, item)
	return 0
}

// itemPrice is GET /v1/items/{item}?tier= as a storefront sees it.
func (c *catalogEnv) itemPrice(t *testing.T, tier, item string) *int64 {
	t.Helper()
	var v struct{ Item wireItem }
	c.get(t, "/v1/items/"+item+"?tier="+tier, c.storefront, &v)
	return v.Item.Price
}

// chosenCost is the cost of the offer that sells item.
func (c *catalogEnv) chosenCost(t *testing.T, item string) int64 {
	t.Helper()
	var v struct{ Item wireItemDetail }
	c.get(t, "/v1/items/"+item+"/offers", c.merchandiser, &v)
	for _, o := range v.Item.Offers {
		if o.Chosen {
			return o.Cost
		}
	}
	t.Fatalf("%s: no chosen offer", item)
	return 0
}

// markedUp is cost·(1+pct/100) up to the step grid.
func markedUp(cost, pct, step int64) int64 {
	return (cost*(100+pct) + 100*step - 1) / (100 * step) * step
}

func (c *catalogEnv) explain(t *testing.T, item, tier string) wireExplanation {
	t.Helper()
	var ex wireExplanation
	c.get(t, "/v1/items/"+item+"/pricing?tier="+tier, c.merchandiser, &ex)
	return ex
}

// checkPreviewServed: every increase the preview promised is what
// storefronts are now served.
func (c *catalogEnv) checkPreviewServed(t *testing.T, imp wireImpact) {
	t.Helper()
	if len(imp.LargestIncreases) == 0 {
		t.Fatal("preview: no increases listed")
	}
	for _, m := range imp.LargestIncreases {
		got := c.itemPrice(t, m.Tier, m.Item)
		if got == nil || m.After == nil || *got != *m.After {
			t.Fatalf("preview said %s/%s → %v, storefronts are served %v", m.Item, m.Tier, deref(m.After), deref(got))
		}
	}
}

// TestRuleMerchandiserFlow: preview a rule, save it and see storefront
// prices move as the preview said; explain a price; edit with and
// without the right version; delete; read the audit trail.
func TestRuleMerchandiserFlow(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	m := c.merchandiser
	cost := c.chosenCost(t, diamonds86)
	before := c.gamePrice(t, "", diamonds86)

	imp := c.preview(t, `{"changes": [{"op": "create", "rule": `+mlbb10+`}]}`)
	if imp.Changed == 0 || imp.Up != imp.Changed || imp.Down != 0 {
		t.Fatalf("preview of +10%%: got changed %d up %d down %d, want only increases", imp.Changed, imp.Up, imp.Down)
	}
	if got := c.gamePrice(t, "", diamonds86); got != before {
		t.Fatalf("after a preview: got %d, want %d unchanged", got, before)
	}

	resp, b := c.call(t, "POST", "/v1/rules", m, mlbb10)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: got %d, want 201: %s", resp.StatusCode, b)
	}
	var saved wireSaved
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	id := saved.Rule.ID
	if !strings.HasPrefix(id, "r_") || saved.Rule.Version != 1 || saved.Rule.Name != "MLBB +10%" || !saved.Rule.Enabled {
		t.Fatalf("created rule: got %+v", saved.Rule)
	}
	if got := resp.Header.Get("Location"); got != "/v1/rules/"+id {
		t.Fatalf("Location: got %q, want /v1/rules/%s", got, id)
	}
	if got := resp.Header.Get("ETag"); got != `"1"` {
		t.Fatalf("ETag: got %q, want \"1\"", got)
	}
	if saved.Warnings == nil {
		t.Fatal(`warnings: got null, want a list ("warnings": [])`)
	}

	want := markedUp(cost, 10, 100)
	if got := c.gamePrice(t, "", diamonds86); got != want || got == before {
		t.Fatalf("storefront price of %s after +10%%: got %d, want %d (cost %d, was %d)", diamonds86, got, want, cost, before)
	}
	c.checkPreviewServed(t, imp)

	var list struct{ Rules []rules.Rule }
	c.get(t, "/v1/rules", m, &list)
	if len(list.Rules) != 1 || !list.Rules[0].Equal(saved.Rule) {
		t.Fatalf("GET /v1/rules: got %+v, want the saved rule", list.Rules)
	}
	resp, b = c.call(t, "GET", "/v1/rules/"+id, m, "")
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"1"` {
		t.Fatalf("GET rule: got %d with ETag %q, want 200 with \"1\": %s", resp.StatusCode, resp.Header.Get("ETag"), b)
	}
	got, err := rules.Decode(b)
	if err != nil || !got.Equal(saved.Rule) {
		t.Fatalf("GET rule: got %+v (%v), want the saved rule in its contract form", got, err)
	}
	if resp, _ := c.call(t, "GET", "/v1/rules/"+id, m, "", `If-None-Match: "1"`); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("GET rule with its ETag: got %d, want 304", resp.StatusCode)
	}

	t.Run("explain", func(t *testing.T) {
		ex := c.explain(t, diamonds86, "public")
		if ex.Rule == nil || ex.Rule.ID != id || ex.Rule.Version != 1 {
			t.Fatalf("winning rule: got %+v, want %s v1", ex.Rule, id)
		}
		if ex.Price == nil || *ex.Price != want || ex.Quote == nil || ex.Quote.Cost != strconv.FormatInt(cost, 10) {
			t.Fatalf("explanation: got price %v quote %+v, want %d from cost %d", deref(ex.Price), ex.Quote, want, cost)
		}
		steps := ex.Quote.Steps
		var stages []string
		for i, s := range steps {
			stages = append(stages, s.Stage)
			if i > 0 && s.In != steps[i-1].Out {
				t.Fatalf("step %s starts at %s, the step before ended at %s", s.Stage, s.In, steps[i-1].Out)
			}
		}
		if want := []string{"cost", "action", "round", "floor", "ceiling", "result"}; !slices.Equal(stages, want) {
			t.Fatalf("stages: got %v, want %v", stages, want)
		}
		if last := steps[len(steps)-1].Out; last != strconv.FormatInt(c.gamePrice(t, "", diamonds86), 10) {
			t.Fatalf("trace ends at %s, the storefront is served %d", last, c.gamePrice(t, "", diamonds86))
		}
	})

	t.Run("stale and blind edits change nothing", func(t *testing.T) {
		resp, b := c.call(t, "PUT", "/v1/rules/"+id, m, mlbb20, `If-Match: "7"`)
		wantError(t, "PUT with a stale If-Match", resp, b, http.StatusPreconditionFailed, "version_mismatch")
		if d := errorDetails(t, b); d["current_version"] != float64(1) {
			t.Fatalf("412 details: got %v, want current_version 1", d)
		}
		resp, b = c.call(t, "PUT", "/v1/rules/"+id, m, mlbb20)
		wantError(t, "PUT without If-Match", resp, b, http.StatusPreconditionRequired, "precondition_required")
		resp, b = c.call(t, "PUT", "/v1/rules/"+id, m, mlbb20, "If-Match: *")
		wantError(t, "PUT with If-Match: *", resp, b, http.StatusPreconditionRequired, "precondition_required")
		resp, b = c.call(t, "PUT", "/v1/rules/"+id, m, mlbb20, `If-Match: W/"1"`)
		wantError(t, "PUT with a weak If-Match", resp, b, http.StatusPreconditionFailed, "version_mismatch")
		resp, b = c.call(t, "DELETE", "/v1/rules/"+id, m, "", `If-Match: "0"`)
		wantError(t, "DELETE with a stale If-Match", resp, b, http.StatusPreconditionFailed, "version_mismatch")
		resp, b = c.call(t, "DELETE", "/v1/rules/"+id, m, "")
		wantError(t, "DELETE without If-Match", resp, b, http.StatusPreconditionRequired, "precondition_required")

		var r rules.Rule
		c.get(t, "/v1/rules/"+id, m, &r)
		if r.Version != 1 || r.Name != "MLBB +10%" {
			t.Fatalf("after refused edits: got v%d %q, want v1 unchanged", r.Version, r.Name)
		}
		if got := c.gamePrice(t, "", diamonds86); got != want {
			t.Fatalf("after refused edits: got %d, want %d", got, want)
		}
	})

	// The rule as GET gives it, with its id and version, can go back with
	// a change.
	edit := strings.Replace(mlbb20, `{"name"`, `{"id": "`+id+`", "version": 1, "name"`, 1)
	imp = c.preview(t, `{"changes": [{"op": "update", "id": "`+id+`", "version": 1, "rule": `+edit+`}]}`)
	resp, b = c.call(t, "PUT", "/v1/rules/"+id, m, edit, `If-Match: "1"`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: got %d, want 200: %s", resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if saved.Rule.Version != 2 || saved.Rule.ID != id || resp.Header.Get("ETag") != `"2"` || saved.Warnings == nil {
		t.Fatalf("updated rule: got %+v with ETag %q, want version 2", saved, resp.Header.Get("ETag"))
	}
	if got, want := c.gamePrice(t, "", diamonds86), markedUp(cost, 20, 100); got != want {
		t.Fatalf("after +20%%: got %d, want %d", got, want)
	}
	c.checkPreviewServed(t, imp)

	resp, b = c.call(t, "DELETE", "/v1/rules/"+id, m, "", `If-Match: "2"`)
	if resp.StatusCode != http.StatusNoContent || len(b) != 0 {
		t.Fatalf("DELETE: got %d %s, want 204 without a body", resp.StatusCode, b)
	}
	if got := c.gamePrice(t, "", diamonds86); got != before {
		t.Fatalf("after delete: got %d, want %d again", got, before)
	}
	resp, b = c.call(t, "GET", "/v1/rules/"+id, m, "")
	wantError(t, "GET a deleted rule", resp, b, http.StatusNotFound, "rule_not_found")
	if ex := c.explain(t, diamonds86, "public"); ex.Rule != nil {
		t.Fatalf("explain after delete: got rule %+v, want none (the built-in default)", ex.Rule)
	}

	t.Run("audit", func(t *testing.T) {
		var a wireAudit
		c.get(t, "/v1/rules/"+id+"/audit", m, &a)
		var got []string
		for _, e := range a.Entries {
			got = append(got, fmt.Sprintf("%s v%d by %s", e.Action, e.Version, e.Actor))
		}
		want := []string{"delete v3 by merchandiser-test", "update v2 by merchandiser-test", "create v1 by merchandiser-test"}
		if !slices.Equal(got, want) {
			t.Fatalf("audit: got %q, want %q", got, want)
		}
		del, upd, cre := a.Entries[0], a.Entries[1], a.Entries[2]
		if string(cre.Before) != "null" || string(del.After) != "null" {
			t.Fatalf("create before %s, delete after %s: want null", cre.Before, del.After)
		}
		var was, now rules.Rule
		if err := json.Unmarshal(upd.Before, &was); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(upd.After, &now); err != nil {
			t.Fatal(err)
		}
		if was.Name != "MLBB +10%" || was.Version != 1 || now.Name != "MLBB +20%" || now.Version != 2 {
			t.Fatalf("update entry: before %q v%d, after %q v%d", was.Name, was.Version, now.Name, now.Version)
		}
		var all wireAudit
		c.get(t, "/v1/rules/audit", m, &all)
		if len(all.Entries) != 3 || all.Entries[0].RuleID != id {
			t.Fatalf("all rules' audit: got %d entries, want the 3 of %s", len(all.Entries), id)
		}
		c.get(t, "/v1/rules/audit?limit=1", m, &all)
		if len(all.Entries) != 1 || all.Entries[0].Action != "delete" {
			t.Fatalf("audit limit 1: got %+v, want the delete", all.Entries)
		}
	})
}

// TestRuleConcurrentEdits: two merchandisers save the same version of a
// rule at once: one wins, the other is told it is stale.
func TestRuleConcurrentEdits(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	id := c.createRule(t, mlbb10).Rule.ID

	type answer struct {
		status int
		body   []byte
		err    error
	}
	answers := make([]answer, 2)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			body := strings.Replace(mlbb20, "MLBB +20%", fmt.Sprintf("edit %d", i), 1)
			req, err := http.NewRequest("PUT", c.srv.URL+"/v1/rules/"+id, strings.NewReader(body))
			if err != nil {
				answers[i].err = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+c.merchandiser)
			req.Header.Set("If-Match", `"1"`)
			<-start
			resp, err := c.client.Do(req)
			if err != nil {
				answers[i].err = err
				return
			}
			defer resp.Body.Close()
			answers[i].status = resp.StatusCode
			answers[i].body, answers[i].err = io.ReadAll(resp.Body)
		})
	}
	close(start)
	wg.Wait()

	var statuses []int
	winner := -1
	for i, a := range answers {
		if a.err != nil {
			t.Fatal(a.err)
		}
		if err := c.doc.checkResponse("PUT", "/v1/rules/{id}", a.status, a.body); err != nil {
			t.Error(err)
		}
		statuses = append(statuses, a.status)
		if a.status == http.StatusOK {
			winner = i
		}
	}
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
		t.Fatalf("two PUTs of version 1: got %v, want one 200 and one 412 (%s | %s)", statuses, answers[0].body, answers[1].body)
	}
	loser := answers[1-winner]
	if d := errorDetails(t, loser.body); d["current_version"] != float64(2) {
		t.Fatalf("412 details: got %v, want current_version 2", d)
	}
	var r rules.Rule
	c.get(t, "/v1/rules/"+id, c.merchandiser, &r)
	if want := fmt.Sprintf("edit %d", winner); r.Version != 2 || r.Name != want {
		t.Fatalf("rule after the race: got v%d %q, want v2 %q", r.Version, r.Name, want)
	}
	var a wireAudit
	c.get(t, "/v1/rules/"+id+"/audit", c.merchandiser, &a)
	if len(a.Entries) != 2 {
		t.Fatalf("audit after the race: got %d entries, want create and one update", len(a.Entries))
	}
}

// TestRuleTiers: a member tier, usable by storefronts at once, priced by
// its own rule while public prices stay as they were.
func TestRuleTiers(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	m := c.merchandiser
	public := c.gamePrice(t, "", diamonds86)

	resp, b := c.call(t, "GET", "/v1/games/mobile-legends?tier=member", m, "")
	wantError(t, "member tier before it exists", resp, b, http.StatusBadRequest, "unknown_tier")
	resp, b = c.call(t, "GET", "/v1/games/mobile-legends?tier=member", c.storefront, "")
	wantError(t, "member tier before it exists, as a storefront", resp, b, http.StatusForbidden, "tier_forbidden")

	resp, b = c.call(t, "POST", "/v1/tiers", m, `{"id": "member", "name": "Members"}`)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(string(b), `"id":"member"`) {
		t.Fatalf("create tier: got %d %s, want 201", resp.StatusCode, b)
	}
	resp, b = c.call(t, "POST", "/v1/tiers", m, `{"id": "member", "name": "Members again"}`)
	wantError(t, "tier twice", resp, b, http.StatusConflict, "tier_exists")
	resp, b = c.call(t, "POST", "/v1/tiers", m, `{"id": "Gold Members", "name": ""}`)
	wantError(t, "bad tier", resp, b, http.StatusUnprocessableEntity, "validation")
	if d := errorDetails(t, b); d["id"] == nil || d["name"] == nil {
		t.Fatalf("bad tier details: got %v, want id and name", d)
	}
	resp, b = c.call(t, "POST", "/v1/tiers", m, `{"id": "gold", "title": "Gold"}`)
	wantError(t, "tier with an unknown field", resp, b, http.StatusBadRequest, "bad_json")
	var tiers struct{ Tiers []rules.Tier }
	c.get(t, "/v1/tiers", m, &tiers)
	if want := []rules.Tier{{ID: "public", Name: "Public"}, {ID: "member", Name: "Members"}}; !slices.Equal(tiers.Tiers, want) {
		t.Fatalf("tiers: got %+v, want public then member", tiers.Tiers)
	}

	// Not the storefront's until an admin grants it.
	resp, b = c.call(t, "GET", "/v1/games/mobile-legends?tier=member", c.storefront, "")
	wantError(t, "member tier not granted", resp, b, http.StatusForbidden, "tier_forbidden")
	c.grant(t, "storefront-test", "public", "member")

	// Usable at once; no rule names it yet, so it prices as public.
	if got := c.gamePrice(t, "member", diamonds86); got != public {
		t.Fatalf("member price before a member rule: got %d, want the public %d", got, public)
	}
	memberRule := c.createRule(t, mlbbMembers).Rule
	want := markedUp(c.chosenCost(t, diamonds86), 5, 500)
	if got := c.gamePrice(t, "member", diamonds86); got != want {
		t.Fatalf("member price: got %d, want %d", got, want)
	}
	if got := c.gamePrice(t, "", diamonds86); got != public {
		t.Fatalf("public price after a member rule: got %d, want %d unchanged", got, public)
	}
	ex := c.explain(t, diamonds86, "member")
	if ex.Rule == nil || ex.Rule.ID != memberRule.ID || ex.Price == nil || *ex.Price != want {
		t.Fatalf("member explanation: got rule %+v price %v, want %s at %d", ex.Rule, deref(ex.Price), memberRule.ID, want)
	}
	if ex := c.explain(t, diamonds86, "public"); ex.Rule != nil || ex.Price == nil || *ex.Price != public {
		t.Fatalf("public explanation: got rule %+v price %v, want the default at %d", ex.Rule, deref(ex.Price), public)
	}
	resp, b = c.call(t, "GET", "/v1/items/"+diamonds86+"/pricing?tier=gold", m, "")
	wantError(t, "explain in an unknown tier", resp, b, http.StatusBadRequest, "unknown_tier")
	resp, b = c.call(t, "GET", "/v1/items/mobile-legends.no-such-item/pricing", m, "")
	wantError(t, "explain an unknown item", resp, b, http.StatusNotFound, "item_not_found")
}

// ruleRoutes are every rule route, with a body where one is needed.
func ruleRoutes(id string) []struct{ method, path, body string } {
	return []struct{ method, path, body string }{
		{"GET", "/v1/rules", ""},
		{"POST", "/v1/rules", mlbb10},
		{"GET", "/v1/rules/audit", ""},
		{"POST", "/v1/rules/preview", `{"changes": [{"op": "create", "rule": ` + mlbb10 + `}]}`},
		{"GET", "/v1/rules/" + id, ""},
		{"PUT", "/v1/rules/" + id, mlbb20},
		{"DELETE", "/v1/rules/" + id, ""},
		{"GET", "/v1/rules/" + id + "/audit", ""},
		{"GET", "/v1/tiers", ""},
		{"POST", "/v1/tiers", `{"id": "member", "name": "Members"}`},
		{"GET", "/v1/items/" + diamonds86 + "/pricing", ""},
	}
}

// TestRuleRoutesNeedMerchandiser: storefronts and anonymous callers
// reach no rule route, and change nothing trying.
func TestRuleRoutesNeedMerchandiser(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	id := c.createRule(t, mlbb10).Rule.ID
	for _, rt := range ruleRoutes(id) {
		resp, b := c.call(t, rt.method, rt.path, c.storefront, rt.body, `If-Match: "1"`)
		wantError(t, rt.method+" "+rt.path+" as storefront", resp, b, http.StatusForbidden, "forbidden")
		resp, b = c.call(t, rt.method, rt.path, "", rt.body, `If-Match: "1"`)
		wantError(t, rt.method+" "+rt.path+" without a token", resp, b, http.StatusUnauthorized, "unauthorized")
	}
	var list struct{ Rules []rules.Rule }
	c.get(t, "/v1/rules", adminToken, &list)
	if len(list.Rules) != 1 || list.Rules[0].Version != 1 {
		t.Fatalf("rules after refused calls: got %+v, want the one rule at v1", list.Rules)
	}
	var tiers struct{ Tiers []rules.Tier }
	c.get(t, "/v1/tiers", adminToken, &tiers)
	if len(tiers.Tiers) != 1 {
		t.Fatalf("tiers after refused calls: got %+v, want public alone", tiers.Tiers)
	}
}
