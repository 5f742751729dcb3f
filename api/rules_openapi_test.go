package api

import (
	"maps"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIDocumentsRuleResponses drives every rule, tier and pricing
// route to every status openapi.json documents for it, each response
// checked against its schema by call, and fails on a documented status no
// request produced.
func TestOpenAPIDocumentsRuleResponses(t *testing.T) {
	t.Parallel()
	nr := newCatalogEnv(t)
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/v1/rules", mlbb10},
		{"PUT", "/v1/rules/r_any", mlbb10},
		{"DELETE", "/v1/rules/r_any", ""},
		{"POST", "/v1/rules/preview", `{"changes": [{"op": "create", "rule": ` + mlbb10 + `}]}`},
		{"GET", "/v1/items/" + diamonds86 + "/pricing", ""},
	} {
		resp, b := nr.call(t, r.method, r.path, nr.merchandiser, r.body, `If-Match: "1"`)
		wantError(t, r.method+" "+r.path+" before the first snapshot", resp, b, http.StatusServiceUnavailable, "catalog_not_ready")
	}

	c := newSyncedCatalogEnv(t)
	maps.Copy(c.seen, nr.seen)
	m := c.merchandiser
	a := c.createRule(t, mlbb10).Rule.ID
	ff := `{"name": "FF +5%", "match": {"game": "free-fire"}, "action": {"kind": "markup_percent", "value": "5"}}`
	onMLBB := strings.Replace(ff, `"free-fire"`, `"mobile-legends"`, 1)
	big := `{"name": "` + strings.Repeat("x", maxBody) + `"}`
	b := c.createRule(t, ff).Rule.ID
	ruleA, ruleB := "/v1/rules/"+a, "/v1/rules/"+b
	preview := func(changes string) string { return `{"changes": [` + changes + `]}` }
	ifMatch := func(v string) string { return `If-Match: "` + v + `"` }

	type req struct{ method, path, body, header string }
	reqs := []req{
		{"GET", "/v1/rules", "", ""},
		{"POST", "/v1/rules", `{"name": "x", "action": {"kind": "markup_percent", "value": 5}}`, ""},
		{"POST", "/v1/rules", mlbb20, ""},
		{"POST", "/v1/rules", big, ""},
		{"POST", "/v1/rules", `{"name": "x"}`, ""},
		{"GET", "/v1/rules/audit", "", ""},
		{"GET", "/v1/rules/audit?limit=0", "", ""},
		{"POST", "/v1/rules/preview", preview(`{"op": "create", "rule": ` + mlbb20 + `}`), ""},
		{"POST", "/v1/rules/preview", preview(`{"op": "create", "rule": {"name": "x", "action": {"kind": "markup_percent", "value": 5}}}`), ""},
		{"POST", "/v1/rules/preview", preview(`{"op": "delete", "id": "r_nope", "version": 1}`), ""},
		{"POST", "/v1/rules/preview", preview(`{"op": "delete", "id": "` + a + `", "version": 9}`), ""},
		{"POST", "/v1/rules/preview", big, ""},
		{"POST", "/v1/rules/preview", preview(`{"op": "zap"}`), ""},
		{"GET", ruleA, "", ""},
		{"GET", ruleA, "", `If-None-Match: "1"`},
		{"GET", "/v1/rules/r_nope", "", ""},
		{"PUT", ruleB, `{"name": "x", "action": {"kind": "markup_percent", "value": 5}}`, ifMatch("1")},
		{"PUT", "/v1/rules/r_nope", ff, ifMatch("1")},
		{"PUT", ruleB, onMLBB, ifMatch("1")},
		{"PUT", ruleB, big, ifMatch("1")},
		{"PUT", ruleB, `{"name": "x"}`, ifMatch("1")},
		{"PUT", ruleB, ff, ""},
		{"PUT", ruleB, strings.Replace(ff, "5", "6", 2), ifMatch("1")},
		{"PUT", ruleB, ff, ifMatch("1")},
		{"GET", ruleB + "/audit", "", ""},
		{"GET", ruleB + "/audit?limit=x", "", ""},
		{"GET", "/v1/rules/r_nope/audit", "", ""},
		{"DELETE", "/v1/rules/r_nope", "", ifMatch("1")},
		{"DELETE", ruleB, "", ifMatch("1")},
		{"DELETE", ruleB, "", ""},
		{"DELETE", ruleB, "", ifMatch("2")},
		{"GET", "/v1/tiers", "", ""},
		{"POST", "/v1/tiers", `{"id": "member", "name": "Members"}`, ""},
		{"POST", "/v1/tiers", `{"id": "member", "name": "Members"}`, ""},
		{"POST", "/v1/tiers", `{"id": "member", "title": "Members"}`, ""},
		{"POST", "/v1/tiers", `{"id": "` + strings.Repeat("x", maxBody) + `"}`, ""},
		{"POST", "/v1/tiers", `{"id": "Gold", "name": ""}`, ""},
		{"GET", "/v1/items/" + diamonds86 + "/pricing?tier=member", "", ""},
		{"GET", "/v1/items/" + diamonds86 + "/pricing?tier=nope", "", ""},
		{"GET", "/v1/items/nope/pricing", "", ""},
		// Blocked in a tier: the quote ends in a blocked result.
		{"POST", "/v1/rules", `{"name": "cap", "match": {"item": "` + diamonds86 + `", "tier": "member"},
			"action": {"kind": "fixed_price", "value": "1000"}, "guard": {"max_price": 1000}}`, ""},
		{"GET", "/v1/items/" + diamonds86 + "/pricing?tier=member", "", ""},
		// Unavailable: no chosen offer, no quote.
		{"GET", "/v1/items/call-of-duty-mobile.cp-31/pricing", "", ""},
	}
	for _, r := range reqs {
		var hdrs []string
		if r.header != "" {
			hdrs = append(hdrs, r.header)
		}
		c.call(t, r.method, r.path, m, r.body, hdrs...)
		if len(r.body) < 1000 {
			c.call(t, r.method, r.path, "", r.body, hdrs...)
			c.call(t, r.method, r.path, c.storefront, r.body, hdrs...)
		}
	}

	paths, _ := c.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !isRuleRoute(route) {
			continue
		}
		for method, op := range ops.(map[string]any) {
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for status, r := range responses {
				key := strings.ToUpper(method) + " " + route + " " + status
				if ref, _ := r.(map[string]any)["$ref"].(string); ref == "#/components/responses/Unavailable" {
					continue // the auth store failing: not staged per route
				}
				if !c.seen[key] {
					t.Errorf("openapi.json documents %s, but no request produced it", key)
				}
			}
		}
	}
}
