package api

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// apiDoc is openapi.json parsed, with just enough of JSON Schema to hold
// live responses to it: $ref, allOf, type, nullable, required, properties,
// additionalProperties, items, enum and date-time. It keeps the document
// true to the code in both directions: a required property the handler
// does not send fails, and so does a property it sends that the document
// does not describe.
type apiDoc struct {
	root map[string]any
}

func loadAPIDoc(t *testing.T) *apiDoc {
	t.Helper()
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(openapiDoc))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return &apiDoc{root: root}
}

// deref follows $ref (only local ones: "#/components/...").
func (d *apiDoc) deref(v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object: %v", v)
	}
	for range 10 {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		var cur any = d.root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			obj, _ := cur.(map[string]any)
			if cur = obj[part]; cur == nil {
				return nil, fmt.Errorf("$ref %s does not resolve", ref)
			}
		}
		if m, ok = cur.(map[string]any); !ok {
			return nil, fmt.Errorf("$ref %s is not an object", ref)
		}
	}
	return nil, fmt.Errorf("$ref chain too long")
}

// response is the documented response of an operation for a status, or
// nil if the operation does not document that status.
func (d *apiDoc) response(method, route string, status int) (map[string]any, error) {
	paths, _ := d.root["paths"].(map[string]any)
	item, _ := paths[route].(map[string]any)
	op, ok := item[strings.ToLower(method)].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s %s is not documented", method, route)
	}
	responses, _ := op["responses"].(map[string]any)
	r, ok := responses[strconv.Itoa(status)]
	if !ok {
		return nil, nil
	}
	return d.deref(r)
}

// schemaOf is the JSON schema of a documented response, nil when it has
// no body.
func (d *apiDoc) schemaOf(resp map[string]any) (map[string]any, error) {
	content, _ := resp["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	if media == nil {
		return nil, nil
	}
	return d.deref(media["schema"])
}

// flat is a schema with its allOf parts merged.
type flat struct {
	types      []string
	nullable   bool
	required   []string
	properties map[string]any
	additional any // nil, a bool, or a schema
	items      any
	enum       []any
	format     string
}

func (d *apiDoc) flatten(s map[string]any) (*flat, error) {
	f := &flat{properties: map[string]any{}}
	var add func(s map[string]any) error
	add = func(s map[string]any) error {
		s, err := d.deref(s)
		if err != nil {
			return err
		}
		if all, ok := s["allOf"].([]any); ok {
			for _, part := range all {
				p, _ := part.(map[string]any)
				if err := add(p); err != nil {
					return err
				}
			}
		}
		if t, ok := s["type"].(string); ok && !slices.Contains(f.types, t) {
			f.types = append(f.types, t)
		}
		if n, _ := s["nullable"].(bool); n {
			f.nullable = true
		}
		for _, r := range asSlice(s["required"]) {
			f.required = append(f.required, r.(string))
		}
		if props, ok := s["properties"].(map[string]any); ok {
			for k, v := range props {
				f.properties[k] = v
			}
		}
		if a, ok := s["additionalProperties"]; ok {
			f.additional = a
		}
		if it, ok := s["items"]; ok {
			f.items = it
		}
		if e, ok := s["enum"].([]any); ok {
			f.enum = e
		}
		if fm, ok := s["format"].(string); ok {
			f.format = fm
		}
		return nil
	}
	if err := add(s); err != nil {
		return nil, err
	}
	if len(f.types) == 0 && len(f.properties) > 0 {
		f.types = []string{"object"}
	}
	return f, nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

// check reports every way v (decoded with UseNumber) breaks schema s.
func (d *apiDoc) check(s map[string]any, v any, at string) []string {
	f, err := d.flatten(s)
	if err != nil {
		return []string{at + ": " + err.Error()}
	}
	if v == nil {
		if f.nullable || len(f.types) == 0 {
			return nil
		}
		return []string{at + ": null, but the document does not make it nullable"}
	}
	if len(f.enum) > 0 && !slices.ContainsFunc(f.enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		return []string{fmt.Sprintf("%s: %v is not one of %v", at, v, f.enum)}
	}
	if len(f.types) == 0 {
		return nil
	}
	var probs []string
	switch typ := f.types[0]; typ {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want an object", at, v)}
		}
		for _, k := range f.required {
			if _, ok := obj[k]; !ok {
				probs = append(probs, fmt.Sprintf("%s: required property %q is missing", at, k))
			}
		}
		for _, k := range sortedMapKeys(obj) {
			if ps, ok := f.properties[k].(map[string]any); ok {
				probs = append(probs, d.check(ps, obj[k], at+"."+k)...)
				continue
			}
			switch a := f.additional.(type) {
			case map[string]any:
				probs = append(probs, d.check(a, obj[k], at+"."+k)...)
			case bool:
				if !a {
					probs = append(probs, fmt.Sprintf("%s: property %q is not documented", at, k))
				}
			case nil:
				if len(f.properties) > 0 {
					probs = append(probs, fmt.Sprintf("%s: property %q is not documented", at, k))
				}
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T, want an array", at, v)}
		}
		if is, ok := f.items.(map[string]any); ok {
			for i, e := range arr {
				probs = append(probs, d.check(is, e, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: got %T %v, want a string", at, v, v)}
		}
		if f.format == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %q is not a date-time", at, str))
			}
		}
	case "integer":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			return []string{fmt.Sprintf("%s: got %v, want an integer", at, v)}
		}
	case "number":
		if _, ok := v.(json.Number); !ok {
			return []string{fmt.Sprintf("%s: got %T, want a number", at, v)}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: got %T, want a boolean", at, v)}
		}
	default:
		return []string{fmt.Sprintf("%s: the checker does not know type %q", at, typ)}
	}
	return probs
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// checkResponse holds one live response to the document: its status must be
// documented for the route, and its body must fit the documented schema
// (an empty body where none is documented).
func (d *apiDoc) checkResponse(method, route string, status int, body []byte) error {
	resp, err := d.response(method, route, status)
	if err != nil {
		return err
	}
	if resp == nil {
		return fmt.Errorf("%s %s answered %d, which openapi.json does not document", method, route, status)
	}
	if content, _ := resp["content"].(map[string]any); content["text/csv"] != nil {
		// A CSV download: RFC 4180 with a header row and rows as wide.
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("%s %s %d: documented as CSV, got %.100q (%v)", method, route, status, body, err)
		}
		return nil
	}
	schema, err := d.schemaOf(resp)
	if err != nil {
		return err
	}
	if schema == nil {
		if len(body) != 0 {
			return fmt.Errorf("%s %s %d: documented without a body, got %.100s", method, route, status, body)
		}
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("%s %s %d: body is not JSON: %v", method, route, status, err)
	}
	if probs := d.check(schema, v, "body"); len(probs) > 0 {
		return fmt.Errorf("%s %s %d does not match openapi.json:\n  %s", method, route, status, strings.Join(probs, "\n  "))
	}
	return nil
}

// TestOpenAPIRefsResolve: every $ref in the document names something in it.
func TestOpenAPIRefsResolve(t *testing.T) {
	d := loadAPIDoc(t)
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if _, ok := v["$ref"]; ok {
				if _, err := d.deref(v); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, e := range v {
				walk(e, at+"/"+k)
			}
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(d.root, "#")
}

// TestOpenAPIOperationIDs: every operation has an operationId, camelCase and
// unique, since generated clients name their methods after it.
func TestOpenAPIOperationIDs(t *testing.T) {
	d := loadAPIDoc(t)
	paths, _ := d.root["paths"].(map[string]any)
	seen := map[string]string{}
	for _, route := range sortedMapKeys(paths) {
		item, _ := paths[route].(map[string]any)
		for _, method := range []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"} {
			op, ok := item[method].(map[string]any)
			if !ok {
				continue
			}
			at := strings.ToUpper(method) + " " + route
			id, _ := op["operationId"].(string)
			switch {
			case id == "":
				t.Errorf("%s: no operationId", at)
			case !operationIDPattern.MatchString(id):
				t.Errorf("%s: operationId %q, want camelCase letters", at, id)
			case seen[id] != "":
				t.Errorf("%s: operationId %q is also %s's", at, id, seen[id])
			default:
				seen[id] = at
			}
		}
	}
}

var operationIDPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// TestOpenAPISupplierParametersListNoSuppliers: a parameter that names a
// supplier takes any name. Which suppliers there are is the registry's
// and the configuration's (GET /v1/suppliers), not the document's: an enum
// of today's two made a third supplier's sync invalid to a generated
// client and to any validating proxy.
func TestOpenAPISupplierParametersListNoSuppliers(t *testing.T) {
	d := loadAPIDoc(t)
	paths, _ := d.root["paths"].(map[string]any)
	var params []any
	for _, route := range sortedMapKeys(paths) {
		item, _ := paths[route].(map[string]any)
		params = append(params, asSlice(item["parameters"])...)
		for _, op := range item {
			if op, ok := op.(map[string]any); ok {
				params = append(params, asSlice(op["parameters"])...)
			}
		}
	}
	comps, _ := d.root["components"].(map[string]any)
	shared, _ := comps["parameters"].(map[string]any)
	for _, name := range sortedMapKeys(shared) {
		params = append(params, shared[name])
	}
	checked := 0
	for _, p := range params {
		p, err := d.deref(p)
		if err != nil {
			t.Fatal(err)
		}
		if p["name"] != "supplier" {
			continue
		}
		checked++
		schema, err := d.deref(p["schema"])
		if err != nil {
			t.Fatal(err)
		}
		if enum, ok := schema["enum"]; ok {
			t.Errorf("parameter supplier (in %v) lists %v; want any name", p["in"], enum)
		}
	}
	if checked == 0 {
		t.Fatal("no parameter named supplier found: the test no longer looks where the document puts them")
	}
}

// TestOpenAPIComponentNames: no two components share a name across kinds;
// generators make one Go type per component and stop at a collision (the
// Tier parameter and the Tier schema did).
func TestOpenAPIComponentNames(t *testing.T) {
	d := loadAPIDoc(t)
	components, _ := d.root["components"].(map[string]any)
	seen := map[string]string{}
	for _, kind := range sortedMapKeys(components) {
		if kind == "securitySchemes" {
			continue
		}
		group, _ := components[kind].(map[string]any)
		for _, name := range sortedMapKeys(group) {
			if prev, ok := seen[name]; ok {
				t.Errorf("components/%s/%s: the name is also components/%s/%s", kind, name, prev, name)
			}
			seen[name] = kind
		}
	}
}

// TestSchemaChecker: the checker itself catches what it is there to catch.
func TestSchemaChecker(t *testing.T) {
	d := loadAPIDoc(t)
	item := map[string]any{"$ref": "#/components/schemas/ItemView"}
	tests := []struct {
		name, body string
		schema     map[string]any
		want       string // substring of a problem; "" for none
	}{
		{"fits", `{"id":"g.i","game":"g","name":"n","price":1480,"currency":"IDR","available":true}`, item, ""},
		{"null price", `{"id":"g.i","game":"g","name":"n","price":null,"currency":"IDR","available":false}`, item, ""},
		{"missing required", `{"id":"g.i","game":"g","name":"n","currency":"IDR","available":true}`, item, `"price" is missing`},
		{"undocumented property", `{"id":"g.i","game":"g","name":"n","price":1,"currency":"IDR","available":true,"cost":1}`, item, `"cost" is not documented`},
		{"fractional price", `{"id":"g.i","game":"g","name":"n","price":14.5,"currency":"IDR","available":true}`, item, "want an integer"},
		{"price as string", `{"id":"g.i","game":"g","name":"n","price":"1480","currency":"IDR","available":true}`, item, "want an integer"},
		{"other currency", `{"id":"g.i","game":"g","name":"n","price":1,"currency":"USD","available":true}`, item, "is not one of"},
		{"allOf parts both apply", `{"id":"g.i","game":"g","name":"n","price":1,"currency":"IDR","available":true,"chosen_offer":null,"reason":"r"}`,
			map[string]any{"$ref": "#/components/schemas/ItemDetail"}, `"offers" is missing`},
		{"additionalProperties schema", `{"game":"g","form":[],"settings":{},"unfit_suppliers":{"isipay/x":7}}`,
			map[string]any{"$ref": "#/components/schemas/GameForm"}, "want a string"},
		{"date-time", `{"version":1,"built_at":"yesterday","currency":"IDR","games":[]}`,
			map[string]any{"$ref": "#/components/schemas/Catalog"}, "not a date-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			dec := json.NewDecoder(strings.NewReader(tt.body))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			probs := strings.Join(d.check(tt.schema, v, "body"), "\n")
			if tt.want == "" && probs != "" {
				t.Fatalf("got problems %s, want none", probs)
			}
			if !strings.Contains(probs, tt.want) {
				t.Fatalf("got problems %q, want one with %q", probs, tt.want)
			}
		})
	}
}

// TestOpenAPIDocumentsCatalogResponses drives every catalog route to every
// status openapi.json documents for it (each response checked against its
// schema by call), and fails on a documented status no request produced:
// a documented error the code cannot give is as false as a missing one.
func TestOpenAPIDocumentsCatalogResponses(t *testing.T) {
	t.Parallel()
	nr := newCatalogEnv(t)
	notReady := []struct{ method, path, body string }{
		{"GET", "/v1/games", ""}, {"GET", "/v1/games/mobile-legends", ""}, {"GET", "/v1/items/" + diamonds86, ""},
		{"GET", "/v1/catalog", ""}, {"GET", "/v1/catalog/changes?since=1", ""}, {"GET", "/v1/items/" + diamonds86 + "/offers", ""},
		{"GET", "/v1/games/mobile-legends/form", ""}, {"GET", "/v1/matching/review", ""},
		{"PATCH", "/v1/games/mobile-legends/form", `{"settings":{"isipay":{"data_format":"{user_id}"}}}`},
	}
	for _, r := range notReady {
		nr.call(t, r.method, r.path, nr.merchandiser, r.body)
	}
	c := newSyncedCatalogEnv(t)
	maps.Copy(c.seen, nr.seen)

	var review struct {
		Offers []struct {
			Offer wireOffer
			Item  string
		}
	}
	c.get(t, "/v1/matching/review", c.merchandiser, &review)
	if len(review.Offers) < 2 {
		t.Fatalf("review queue: got %d offers, want the demo's two", len(review.Offers))
	}
	linkPath := fmt.Sprintf("/v1/offers/%d/link", review.Offers[0].Offer.ID)
	splitPath := fmt.Sprintf("/v1/offers/%d/split", review.Offers[1].Offer.ID)
	// Link the first into the item of the second: both are Ragnarok's.
	linkTarget := review.Offers[1].Item
	big := strings.Repeat("x", maxBody)
	item := "/v1/items/" + diamonds86
	form := "/v1/games/mobile-legends/form"

	type req struct{ method, path, token, body, header string }
	reqs := []req{
		{"GET", "/v1/games", c.storefront, "", ""},
		{"GET", "/v1/games/mobile-legends", c.storefront, "", ""},
		{"GET", "/v1/games/nope", c.storefront, "", ""},
		{"GET", item, c.storefront, "", ""},
		{"GET", "/v1/items/nope", c.storefront, "", ""},
		{"GET", "/v1/catalog", c.storefront, "", ""},
		{"GET", "/v1/catalog", c.storefront, "", "Accept-Encoding: gzip"},
		{"GET", "/v1/catalog/changes?since=" + fmt.Sprint(c.cat.Snapshot().Version), c.storefront, "", ""},
		{"GET", "/v1/catalog/changes?since=abc", c.storefront, "", ""},
		{"GET", "/v1/catalog/changes?since=0", c.storefront, "", ""},
		// A tier that is not there: 400 for a merchandiser, 403 for a
		// storefront, which may name only its own tiers.
		{"GET", "/v1/games?tier=nope", c.merchandiser, "", ""},
		{"GET", "/v1/games/mobile-legends?tier=nope", c.merchandiser, "", ""},
		{"GET", item + "?tier=nope", c.merchandiser, "", ""},
		{"GET", "/v1/catalog?tier=nope", c.merchandiser, "", ""},
		{"GET", "/v1/catalog/changes?since=1&tier=nope", c.merchandiser, "", ""},
		{"GET", "/v1/games?tier=nope", c.storefront, "", ""},
		{"GET", "/v1/games/mobile-legends?tier=nope", c.storefront, "", ""},
		{"GET", item + "?tier=nope", c.storefront, "", ""},
		{"GET", "/v1/catalog?tier=nope", c.storefront, "", ""},
		{"GET", "/v1/catalog/changes?since=1&tier=nope", c.storefront, "", ""},
		{"GET", item + "/offers", c.merchandiser, "", ""},
		{"GET", "/v1/items/nope/offers", c.merchandiser, "", ""},
		{"GET", form, c.merchandiser, "", ""},
		{"GET", "/v1/games/nope/form", c.merchandiser, "", ""},
		{"GET", "/v1/matching/review", c.merchandiser, "", ""},
		{"PATCH", form, c.merchandiser, `{"settings":{"isipay":{"data_format":"{user_id}({server})"}}}`, ""},
		{"PATCH", form, c.merchandiser, `{"settings":{"isipay":{"data_format":"{user_id}"}}}`, ""},
		{"PATCH", form, c.merchandiser, `{"template":"{user_id}"}`, ""},
		{"PATCH", form, c.merchandiser, `{"settings":{"isipay":{"data_format":"` + big + `"}}}`, ""},
		{"PATCH", "/v1/games/nope/form", c.merchandiser, `{"settings":{"isipay":{"data_format":"{user_id}"}}}`, ""},
		{"PATCH", item, c.merchandiser, `{"name":"86 Diamonds"}`, ""},
		{"PATCH", item, c.merchandiser, `{"name":""}`, ""},
		{"PATCH", item, c.merchandiser, `{"title":"x"}`, ""},
		{"PATCH", item, c.merchandiser, `{"name":"` + big + `"}`, ""},
		{"PATCH", "/v1/items/nope", c.merchandiser, `{"name":"x"}`, ""},
		{"POST", linkPath, c.merchandiser, `{"item":"` + linkTarget + `"}`, ""},
		{"POST", linkPath, c.merchandiser, `{}`, ""},
		{"POST", linkPath, c.merchandiser, `{"item":1}`, ""},
		{"POST", linkPath, c.merchandiser, `{"item":"` + big + `"}`, ""},
		{"POST", "/v1/offers/999999/link", c.merchandiser, `{"item":"x"}`, ""},
		{"POST", splitPath, c.merchandiser, "", ""},
		{"POST", "/v1/offers/999999/split", c.merchandiser, "", ""},
	}
	// Each again without a token, and with a storefront's.
	for _, r := range reqs {
		if len(r.body) > 1000 {
			continue // refused before the body is read: no need to send a megabyte
		}
		reqs = append(reqs, req{r.method, r.path, "", r.body, ""}, req{r.method, r.path, c.storefront, r.body, ""})
	}
	for _, r := range reqs {
		var hdrs []string
		if r.header != "" {
			hdrs = append(hdrs, r.header)
		}
		c.call(t, r.method, r.path, r.token, r.body, hdrs...)
	}
	// After the writes, so the ETags are current.
	for _, p := range []string{"/v1/games", "/v1/games/mobile-legends", item, "/v1/catalog"} {
		resp, _ := c.call(t, "GET", p, c.storefront, "")
		c.call(t, "GET", p, c.storefront, "", "If-None-Match: "+resp.Header.Get("ETag"))
	}

	// Every documented status of a catalog route was seen.
	paths, _ := c.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !strings.HasPrefix(route, "/v1/games") && !strings.HasPrefix(route, "/v1/items") &&
			!strings.HasPrefix(route, "/v1/catalog") && !strings.HasPrefix(route, "/v1/matching") && !strings.HasPrefix(route, "/v1/offers") ||
			isRuleRoute(route) {
			continue
		}
		for method, op := range ops.(map[string]any) {
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for status, r := range responses {
				key := strings.ToUpper(method) + " " + route + " " + status
				// The auth store failing to reload its tokens is the one
				// cause of these; the test cannot stage it for every route.
				if ref, _ := r.(map[string]any)["$ref"].(string); ref == "#/components/responses/Unavailable" {
					continue
				}
				if !c.seen[key] {
					t.Errorf("openapi.json documents %s, but no request produced it", key)
				}
			}
		}
	}
}
