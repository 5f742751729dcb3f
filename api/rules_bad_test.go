package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/syncd/syncd/rules"
)

// conflictFindings reads the findings of a 409 rule_conflict.
func conflictFindings(t *testing.T, what string, resp *http.Response, body []byte) []rules.Finding {
	t.Helper()
	wantError(t, what, resp, body, http.StatusConflict, "rule_conflict")
	var env struct {
		Error struct {
			Details struct{ Findings []rules.Finding }
		}
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	f := env.Error.Details.Findings
	if len(f) == 0 {
		t.Fatalf("%s: no findings in details: %s", what, body)
	}
	return f
}

// TestRuleLint: a rule that would tie with another is refused naming
// both rules and example items; a warning names the saved rule by its id.
func TestRuleLint(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	m := c.merchandiser
	a := c.createRule(t, mlbb10).Rule
	before := c.gamePrice(t, "", diamonds86)

	resp, b := c.call(t, "POST", "/v1/rules", m, strings.Replace(mlbb20, "MLBB +20%", "MLBB clash", 1))
	f := conflictFindings(t, "create a tying rule", resp, b)[0]
	if f.Code != "conflict" || !slices.Equal(f.Rules, []string{a.ID, "proposed-1"}) || len(f.Items) == 0 ||
		!strings.Contains(f.Message, a.ID) || !strings.Contains(f.Message, `"MLBB clash"`) {
		t.Fatalf("conflict on create: got %+v, want rules %s and proposed-1 with example items", f, a.ID)
	}

	// A rule of another game is fine, until it is moved onto MLBB.
	ff := c.createRule(t, `{"name": "FF +5%", "match": {"game": "free-fire"}, "action": {"kind": "markup_percent", "value": "5"}}`).Rule
	resp, b = c.call(t, "PUT", "/v1/rules/"+ff.ID, m, `{"name": "FF +5%", "match": {"game": "mobile-legends"}, "action": {"kind": "markup_percent", "value": "5"}}`, `If-Match: "1"`)
	f = conflictFindings(t, "move a rule onto a tie", resp, b)[0]
	if got := slices.Sorted(slices.Values(f.Rules)); !slices.Equal(got, slices.Sorted(slices.Values([]string{a.ID, ff.ID}))) {
		t.Fatalf("conflict on update: got rules %v, want %s and %s", f.Rules, a.ID, ff.ID)
	}
	for _, it := range f.Items {
		if !strings.HasPrefix(it, "mobile-legends.") {
			t.Fatalf("conflict example %s is not an MLBB item", it)
		}
	}
	var now rules.Rule
	c.get(t, "/v1/rules/"+ff.ID, m, &now)
	if now.Version != 1 || now.Match.Game != "free-fire" {
		t.Fatalf("after a refused update: got v%d on %s, want v1 on free-fire", now.Version, now.Match.Game)
	}
	if got := c.gamePrice(t, "", diamonds86); got != before {
		t.Fatalf("after refusals: got %d, want %d", got, before)
	}

	// A priority breaks the tie.
	withPriority := strings.Replace(mlbb20, `"round"`, `"priority": 5, "round"`, 1)
	resp, b = c.call(t, "PUT", "/v1/rules/"+a.ID, m, strings.Replace(mlbb10, `"round"`, `"priority": 1, "round"`, 1), `If-Match: "1"`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("give the rule a priority: got %d: %s", resp.StatusCode, b)
	}
	if s := c.createRule(t, withPriority); s.Rule.Priority == nil || *s.Rule.Priority != 5 {
		t.Fatalf("rule with priority 5: got %+v", s.Rule)
	}
	if got, want := c.gamePrice(t, "", diamonds86), markedUp(c.chosenCost(t, diamonds86), 20, 100); got != want {
		t.Fatalf("higher priority wins: got %d, want %d", got, want)
	}

	// A warning about the new rule names it by the id it was given.
	s := c.createRule(t, `{"name": "nothing", "match": {"game": "no-such-game"}, "action": {"kind": "cost_plus", "value": "500"}}`)
	if len(s.Warnings) != 1 || s.Warnings[0].Code != "matches_nothing" || !slices.Equal(s.Warnings[0].Rules, []string{s.Rule.ID}) ||
		!strings.Contains(s.Warnings[0].Message, s.Rule.ID) || strings.Contains(s.Warnings[0].Message, "proposed") {
		t.Fatalf("warnings: got %+v, want matches_nothing naming %s", s.Warnings, s.Rule.ID)
	}
}

// TestRuleBadBodies: what is not a rule is a 400 naming the member, what
// is out of range a 422 naming every field; nothing is saved.
func TestRuleBadBodies(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	m := c.merchandiser
	id := c.createRule(t, mlbb10).Rule.ID
	ok := `"name": "x", "action": {"kind": "markup_percent", "value": "5"}`
	tests := []struct {
		name, body string
		status     int
		code       string
		fields     []string // in details: "field" for a 400, the keys for a 422
	}{
		{"rate as a number", `{"name": "x", "action": {"kind": "markup_percent", "value": 10}}`, 400, "bad_json", []string{"action.value"}},
		{"unknown field", `{` + ok + `, "colour": "red"}`, 400, "bad_json", []string{"colour"}},
		{"unknown nested field", `{` + ok + `, "match": {"gmae": "mobile-legends"}}`, 400, "bad_json", []string{"match.gmae"}},
		{"member in another case", `{"Name": "x", "action": {"kind": "markup_percent", "value": "5"}}`, 400, "bad_json", []string{"Name"}},
		{"amount with a fraction", `{"name": "x", "action": {"kind": "cost_plus", "value": "5", "plus": 1.5}}`, 400, "bad_json", []string{"action.plus"}},
		{"repeated member", `{` + ok + `, "name": "y"}`, 400, "duplicate_member", []string{"name"}},
		{"repeated member in another case", `{` + ok + `, "NAME": "y"}`, 400, "duplicate_member", []string{"NAME"}},
		{"repeated nested member", `{` + ok + `, "guard": {"max_price": 1, "max_price": 900000}}`, 400, "duplicate_member", []string{"guard.max_price"}},
		// Issue 12: names and notes are shown to people.
		{"name with NUL", `{"name": "x\u0000", "action": {"kind": "markup_percent", "value": "5"}}`, 422, "validation", []string{"name"}},
		{"name with BEL", `{"name": "x\u0007", "action": {"kind": "markup_percent", "value": "5"}}`, 422, "validation", []string{"name"}},
		{"name with a newline", `{"name": "x\ny", "action": {"kind": "markup_percent", "value": "5"}}`, 422, "validation", []string{"name"}},
		{"name with U+202E", `{"name": "x\u202ey", "action": {"kind": "markup_percent", "value": "5"}}`, 422, "validation", []string{"name"}},
		{"note with ESC", `{` + ok + `, "note": "\u001b[2J"}`, 422, "validation", []string{"note"}},
		{"not JSON", `name=x`, 400, "bad_json", nil},
		{"empty body", ``, 400, "bad_json", nil},
		{"data after the rule", `{` + ok + `} {}`, 400, "bad_json", nil},
		{"step 0", `{` + ok + `, "round": {"step": 0}}`, 422, "validation", []string{"round.step"}},
		{"every bad field at once", `{"name": " ", "action": {"kind": "margin_percent", "value": "100"}, "round": {"step": 0, "mode": "sideways"}}`,
			422, "validation", []string{"name", "action.value", "round.step", "round.mode"}},
		{"no action", `{"name": "x"}`, 422, "validation", []string{"action"}},
		{"empty game", `{` + ok + `, "match": {"game": ""}}`, 422, "validation", []string{"match.game"}},
		{"window backwards", `{` + ok + `, "valid_from": "2027-01-02T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}`, 422, "validation", []string{"valid_until"}},
		{"id on create", `{"id": "` + id + `", "version": 1, ` + ok + `}`, 422, "validation", []string{"id", "version"}},
		{"too large", `{"name": "` + strings.Repeat("x", maxBody) + `"}`, 413, "too_large", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.call(t, "POST", "/v1/rules", m, tt.body)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			d := errorDetails(t, b)
			for _, f := range tt.fields {
				if tt.status == 400 && d["field"] != f || tt.status == 422 && d[f] == nil {
					t.Fatalf("details: got %v, want %s named", d, f)
				}
			}
		})
	}

	put := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"rate as a number", `{"name": "x", "action": {"kind": "markup_percent", "value": 10}}`, 400, "bad_json", "action.value"},
		{"step 0", `{` + ok + `, "round": {"step": 0}}`, 422, "validation", "round.step"},
		{"another rule's id", `{"id": "r_other", ` + ok + `}`, 422, "validation", "id"},
		{"a version other than If-Match's", `{"version": 4, ` + ok + `}`, 422, "validation", "version"},
	}
	for _, tt := range put {
		t.Run("PUT "+tt.name, func(t *testing.T) {
			resp, b := c.call(t, "PUT", "/v1/rules/"+id, m, tt.body, `If-Match: "1"`)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			if d := errorDetails(t, b); tt.status == 400 && d["field"] != tt.field || tt.status == 422 && d[tt.field] == nil {
				t.Fatalf("details: got %v, want %s named", d, tt.field)
			}
		})
	}
	for _, r := range []struct{ method, path, body, code string }{
		{"PUT", "/v1/rules/r_nope", mlbb10, "rule_not_found"},
		{"DELETE", "/v1/rules/r_nope", "", "rule_not_found"},
		{"GET", "/v1/rules/r_nope", "", "rule_not_found"},
		{"GET", "/v1/rules/r_nope/audit", "", "rule_not_found"},
	} {
		resp, b := c.call(t, r.method, r.path, m, r.body, `If-Match: "1"`)
		wantError(t, r.method+" "+r.path, resp, b, http.StatusNotFound, r.code)
	}
	for _, q := range []string{"0", "1001", "x"} {
		resp, b := c.call(t, "GET", "/v1/rules/audit?limit="+q, m, "")
		wantError(t, "audit limit "+q, resp, b, http.StatusBadRequest, "bad_request")
	}

	var list struct{ Rules []rules.Rule }
	c.get(t, "/v1/rules", m, &list)
	if len(list.Rules) != 1 || list.Rules[0].Version != 1 {
		t.Fatalf("after refused bodies: got %+v, want the one rule at v1", list.Rules)
	}
}

// TestRulePreviewBadChanges: each refused change is named by its index.
func TestRulePreviewBadChanges(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	id := c.createRule(t, mlbb10).Rule.ID
	good := `{"op": "create", "rule": ` + mlbb20 + `}`
	tests := []struct {
		name, changes string // the members of "changes"
		status        int
		code          string
		index         int    // -1: none
		field         string // "field" for a 400, a key for a 422
	}{
		{"unknown op", good + `, {"op": "rename", "id": "` + id + `", "version": 1}`, 422, "validation", 1, "changes[1].op"},
		{"rate as a number", `{"op": "create", "rule": {"name": "x", "action": {"kind": "markup_percent", "value": 5}}}`, 400, "bad_json", 0, "changes[0].rule.action.value"},
		{"unknown member of a change", good + `, {"op": "delete", "id": "` + id + `", "version": 1, "force": true}`, 400, "bad_json", 1, "changes[1].force"},
		{"version a string", `{"op": "delete", "id": "` + id + `", "version": "1"}`, 400, "bad_json", 0, "changes[0].version"},
		{"not an object", good + `, 7`, 400, "bad_json", 1, "changes[1]"},
		{"update without a version", `{"op": "update", "id": "` + id + `", "rule": ` + mlbb20 + `}`, 422, "validation", 0, "changes[0].version"},
		{"update with step 0", `{"op": "update", "id": "` + id + `", "version": 1, "rule": {"name": "x", "action": {"kind": "markup_percent", "value": "5"}, "round": {"step": 0}}}`,
			422, "validation", 0, "changes[0].rule.round.step"},
		{"delete with a rule", `{"op": "delete", "id": "` + id + `", "version": 1, "rule": ` + mlbb20 + `}`, 422, "validation", 0, "changes[0].rule"},
		{"create with an id", `{"op": "create", "id": "r_x", "rule": ` + mlbb20 + `}`, 422, "validation", 0, "changes[0].id"},
		{"one rule changed twice", `{"op": "update", "id": "` + id + `", "version": 1, "rule": ` + mlbb20 + `}, {"op": "delete", "id": "` + id + `", "version": 1}`,
			422, "validation", 1, "changes[1].id"},
		{"unknown rule", good + `, {"op": "delete", "id": "r_nope", "version": 1}`, 404, "rule_not_found", 1, ""},
		{"stale version", `{"op": "update", "id": "` + id + `", "version": 3, "rule": ` + mlbb20 + `}`, 412, "version_mismatch", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.call(t, "POST", "/v1/rules/preview", c.merchandiser, `{"changes": [`+tt.changes+`]}`)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			d := errorDetails(t, b)
			if d["index"] != float64(tt.index) {
				t.Fatalf("details: got %v, want index %d", d, tt.index)
			}
			if tt.status == 400 && d["field"] != tt.field || tt.status == 422 && d[tt.field] == nil {
				t.Fatalf("details: got %v, want %s named", d, tt.field)
			}
			if tt.status == 412 && d["current_version"] != float64(1) {
				t.Fatalf("details: got %v, want current_version 1", d)
			}
		})
	}
	for _, body := range []string{`{}`, `{"changes": []}`} {
		resp, b := c.call(t, "POST", "/v1/rules/preview", c.merchandiser, body)
		wantError(t, body, resp, b, http.StatusUnprocessableEntity, "validation")
	}
	resp, b := c.call(t, "POST", "/v1/rules/preview", c.merchandiser, `{"changes": [`+good+`], "save": true}`)
	wantError(t, "unknown member of the preview", resp, b, http.StatusBadRequest, "bad_json")

	// A delete previewed: prices fall back to cost, and nothing is saved.
	imp := c.preview(t, `{"changes": [{"op": "delete", "id": "`+id+`", "version": 1}]}`)
	if imp.Changed == 0 || imp.Down != imp.Changed {
		t.Fatalf("preview of a delete: got changed %d down %d, want only decreases", imp.Changed, imp.Down)
	}
	// A conflict is shown, not refused: the preview is where to see it.
	imp = c.preview(t, `{"changes": [`+good+`]}`)
	if len(imp.Lint.Errors) != 1 || imp.Lint.Errors[0].Code != "conflict" || !slices.Contains(imp.Lint.Errors[0].Rules, "proposed-1") {
		t.Fatalf("preview of a tie: got lint %+v, want the conflict", imp.Lint)
	}
	var r rules.Rule
	c.get(t, "/v1/rules/"+id, c.merchandiser, &r)
	if r.Version != 1 {
		t.Fatalf("after previews: rule at v%d, want v1", r.Version)
	}
}
