package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/internal/strictjson/strictjsontest"
	"github.com/syncd/syncd/rules"
)

// The cases of issue 12, "Duplicate JSON members" and "Control
// characters and template breakers", as it writes them, over HTTP.

// wantField fails unless the error in body names field: as details.field
// for a 400, as a key of details for a 422.
func wantField(t *testing.T, what string, body []byte, field string) {
	t.Helper()
	d := decodeError(t, body).Error.Details
	if d["field"] == field {
		return
	}
	if s, _ := d[field].(string); s == "" {
		t.Fatalf("%s: details %v do not name %s", what, d, field)
	}
}

// TestOrderStrictBody: an order whose body two readers could read
// differently is a 400 and no order; a field value that is not text, or
// that would change the shape of the string a supplier is sent, is a 422
// naming the field, and nothing reaches a supplier.
func TestOrderStrictBody(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	price := c.price(t, diamonds86)
	fields := `"fields":{"user_id":"12345678","server":"1234"}`
	withFields := func(ref, user, server string) string {
		f, _ := json.Marshal(map[string]string{"user_id": user, "server": server})
		return fmt.Sprintf(`{"reference":%q,"item":%q,"fields":%s,"expected_price":%d}`, ref, diamonds86, f, price)
	}
	tests := []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"expected_price twice, as the issue sent it", fmt.Sprintf(`{"reference":"dup-1","item":%q,%s,"expected_price": 1, "expected_price": 20350}`, diamonds86, fields),
			400, "duplicate_member", "expected_price"},
		{"expected_price twice, the last one right", fmt.Sprintf(`{"reference":"dup-2","item":%q,%s,"expected_price": 1, "expected_price": %d}`, diamonds86, fields, price),
			400, "duplicate_member", "expected_price"},
		{"expected_price twice, in two cases", fmt.Sprintf(`{"reference":"dup-3","item":%q,%s,"expected_price": 1, "Expected_Price": %d}`, diamonds86, fields, price),
			400, "duplicate_member", "Expected_Price"},
		{"expected_price in another case", fmt.Sprintf(`{"reference":"dup-4","item":%q,%s,"EXPECTED_PRICE": %d}`, diamonds86, fields, price),
			400, "bad_json", ""},
		{"reference twice", fmt.Sprintf(`{"reference":"dup-5","reference":"dup-6","item":%q,%s,"expected_price":%d}`, diamonds86, fields, price),
			400, "duplicate_member", "reference"},
		{"a field twice", fmt.Sprintf(`{"reference":"dup-7","item":%q,"fields":{"user_id":"1","server":"2","user_id":"12345678"},"expected_price":%d}`, diamonds86, price),
			400, "duplicate_member", "fields.user_id"},
		{"tab in a field", withFields("cc-1", "1234\t5678", "1234"), 422, "validation", "fields.user_id"},
		{"BEL in a field", withFields("cc-2", "12345678\a", "1234"), 422, "validation", "fields.user_id"},
		{"ESC in a field", withFields("cc-3", "12345678", "\x1b[31m1234"), 422, "validation", "fields.server"},
		{"NUL in a field", withFields("cc-4", "1234\x005678", "1234"), 422, "validation", "fields.user_id"},
		{"U+202E in a field", withFields("cc-5", "1234\u202e5678", "1234"), 422, "validation", "fields.user_id"},
		{"user_id {server}|x", withFields("tb-1", "{server}|x", "1234"), 422, "validation", "fields.user_id"},
		{"server 2001)(9999", withFields("tb-2", "12345678", "2001)(9999"), 422, "validation", "fields.server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.call(t, "POST", "/v1/orders", c.storefront, tt.body)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			if tt.field != "" {
				wantField(t, tt.name, b, tt.field)
			}
		})
	}
	if n := c.purchases(); n != 0 {
		t.Fatalf("purchases: got %d, want 0", n)
	}
	var list struct{ Orders []wireOrder }
	c.get(t, "/v1/orders", c.admin, &list)
	if len(list.Orders) != 0 {
		t.Fatalf("orders stored: got %d, want none", len(list.Orders))
	}
	// The same values in a proper body are an order: what was refused was
	// the body, not the buyer.
	resp, b := c.call(t, "POST", "/v1/orders", c.storefront, withFields("ok-1", "12345678", "1234"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a proper order: got %d, want 201: %s", resp.StatusCode, b)
	}
}

// TestSettleStrictBody: a settlement with a member twice is a 400, a note
// or serial number that is not text a 422 naming it; the order stays in
// attention.
func TestSettleStrictBody(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	stuck := c.toAttention(t, "settle-strict")
	settle := "/v1/orders/" + stuck.ID + "/settle"
	for _, tt := range []struct {
		name, body string
		status     int
		code       string
		field      string
	}{
		{"outcome twice", `{"outcome": "failed", "outcome": "succeeded", "sn": "", "note": "checked"}`, 400, "duplicate_member", "outcome"},
		{"note in another case", `{"outcome": "failed", "Note": "checked"}`, 400, "bad_json", "Note"},
		{"note with NUL", `{"outcome": "failed", "note": "checked\u0000"}`, 422, "validation", "note"},
		{"note with U+202E", `{"outcome": "failed", "note": "checked \u202eok"}`, 422, "validation", "note"},
		{"sn with ESC", `{"outcome": "succeeded", "sn": "\u001b[2JSN", "note": "checked"}`, 422, "validation", "sn"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.call(t, "POST", settle, c.admin, tt.body)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			wantField(t, tt.name, b, tt.field)
		})
	}
	resp, b := c.call(t, "GET", "/v1/orders/"+stuck.ID, c.admin, "")
	if o := decodeOrder(t, b); resp.StatusCode != http.StatusOK || o.Status != "attention" {
		t.Fatalf("after refused settlements: got %d %s, want attention", resp.StatusCode, o.Status)
	}
	// A note of several lines, as the console's text area sends it, is one.
	resp, b = c.call(t, "POST", settle, c.admin, `{"outcome": "failed", "note": "checked with Isipay:\r\nnot delivered"}`)
	if o := decodeOrder(t, b); resp.StatusCode != http.StatusOK || o.Status != "failed" {
		t.Fatalf("settle with a note of two lines: got %d %s: %s", resp.StatusCode, o.Status, b)
	}
}

// TestWebhookStrictBody: a delivery two readers could read differently,
// or dated "yesterday", is refused in Senpay's shape and nothing is
// stored or changed.
func TestWebhookStrictBody(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t, withWebhook(senpayHook{Allow: loopback}))
	before := c.state(t)
	update := func(members string) string {
		return `{` + members + `, "data": [{"product_code": "` + senpay86 + `", "price_old": 22870, "price_new": 21000}]}`
	}
	for _, tt := range []struct{ name, body, want string }{
		{"webhook_type twice, as the issue sent it", update(`"webhook_type": "bogus", "webhook_type": "price_update"`), `repeated member "webhook_type"`},
		{"webhook_type twice, the other way round", update(`"webhook_type": "price_update", "webhook_type": "bogus"`), `repeated member "webhook_type"`},
		{"webhook_type in two cases", update(`"webhook_type": "price_update", "WEBHOOK_TYPE": "bogus"`), `repeated member "WEBHOOK_TYPE"`},
		{"price_new twice", `{"webhook_type": "price_update", "data": [{"product_code": "` + senpay86 + `", "price_new": 1, "price_new": 21000}]}`,
			`repeated member "data[0].price_new"`},
		{"product_code in another case", `{"webhook_type": "price_update", "data": [{"Product_Code": "` + senpay86 + `", "price_new": 21000}]}`,
			"names are case-sensitive"},
		{"sent_at yesterday", update(`"webhook_type": "price_update", "sent_at": "yesterday"`), `sent_at "yesterday" is not an RFC 3339 time`},
		{"transaction_status sent_at yesterday", `{"webhook_type": "transaction_status", "reference": "TRX1", "status": "success", "sent_at": "yesterday"}`,
			"sent_at"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := c.hook(t, tt.body); r.Status != http.StatusBadRequest || !strings.Contains(r.Message, tt.want) {
				t.Fatalf("got %d %q, want 400 with %q", r.Status, r.Message, tt.want)
			}
		})
	}
	if after := c.state(t); after != before {
		t.Fatalf("a refused delivery changed the database or the snapshot:\n%s", lineDiff(before, after))
	}
	if r := c.hook(t, update(`"webhook_type": "price_update", "sent_at": "2024-07-02T13:11:43.249729Z"`)); r.Status != http.StatusOK {
		t.Fatalf("a proper delivery: got %+v, want 200", r)
	}
}

// TestMerchandiserStrictBodies: renames, rule names, tiers, forms, links,
// previews and tokens refuse a member twice (400) and names that are not
// text (422 naming the field), and change nothing.
func TestMerchandiserStrictBodies(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	admin := c.token(t, auth.RoleAdmin)
	m := c.merchandiser
	item := "/v1/items/" + diamonds86
	form := "/v1/games/mobile-legends/form"
	rule := func(name string) string {
		n, _ := json.Marshal(name)
		return `{"name": ` + string(n) + `, "action": {"kind": "markup_percent", "value": "5"}}`
	}
	var review struct {
		Offers []struct{ Offer wireOffer }
	}
	c.get(t, "/v1/matching/review", m, &review)
	if len(review.Offers) == 0 {
		t.Fatal("review queue is empty")
	}
	link := fmt.Sprintf("/v1/offers/%d/link", review.Offers[0].Offer.ID)
	beforeName := c.servedItem(t, diamonds86).Name
	var beforeForm gameForm
	c.get(t, form, m, &beforeForm)

	tests := []struct {
		name, method, path, token, body string
		status                          int
		code, field                     string
	}{
		{"rename with NUL", "PATCH", item, m, `{"name": "86 Diamonds\u0000"}`, 422, "validation", "name"},
		{"rename with BEL", "PATCH", item, m, `{"name": "86 Diamonds\u0007"}`, 422, "validation", "name"},
		{"rename with a newline", "PATCH", item, m, `{"name": "86\nDiamonds"}`, 422, "validation", "name"},
		{"rename with U+202E", "PATCH", item, m, `{"name": "86 \u202esdnomaiD"}`, 422, "validation", "name"},
		{"rename with a zero-width space", "PATCH", item, m, `{"name": "86 Dia\u200bmonds"}`, 422, "validation", "name"},
		{"rename with name twice", "PATCH", item, m, `{"name": "a", "name": "b"}`, 400, "duplicate_member", "name"},
		{"rename with name in another case", "PATCH", item, m, `{"Name": "b"}`, 400, "bad_json", "Name"},
		{"rule name with NUL", "POST", "/v1/rules", m, rule("MLBB\x00"), 422, "validation", "name"},
		{"rule name with U+202E", "POST", "/v1/rules", m, rule("MLBB \u202e"), 422, "validation", "name"},
		{"tier name twice", "POST", "/v1/tiers", m, `{"id": "gold", "name": "Gold", "name": "Public"}`, 400, "duplicate_member", "name"},
		{"tier name with U+202E", "POST", "/v1/tiers", m, `{"id": "gold", "name": "\u202eGold"}`, 422, "validation", "name"},
		{"tier name with BEL", "POST", "/v1/tiers", m, `{"id": "gold", "name": "Gold\u0007"}`, 422, "validation", "name"},
		{"form template twice", "PATCH", form, m, `{"settings": {"isipay": {"data_format": "{user_id}({server})", "data_format": "{user_id}|{server}"}}}`, 400, "duplicate_member", "settings.isipay.data_format"},
		{"form template with a tab", "PATCH", form, m, `{"settings": {"isipay": {"data_format": "{user_id}\t{server}"}}}`, 422, "validation", "settings.isipay.data_format"},
		{"form template with fields side by side", "PATCH", form, m, `{"settings": {"isipay": {"data_format": "{user_id}{server}"}}}`, 422, "validation", "settings.isipay.data_format"},
		{"link with item twice", "POST", link, m, `{"item": "x", "item": "` + diamonds86 + `"}`, 400, "duplicate_member", "item"},
		{"preview with a member twice in a rule", "POST", "/v1/rules/preview", m,
			`{"changes": [{"op": "create", "rule": {"name": "x", "name": "y", "action": {"kind": "markup_percent", "value": "5"}}}]}`,
			400, "duplicate_member", "changes[0].rule.name"},
		{"token name twice", "POST", "/v1/tokens", admin, `{"name": "shop", "role": "storefront", "name": "other-shop"}`, 400, "duplicate_member", "name"},
		{"token role twice", "POST", "/v1/tokens", admin, `{"name": "shop", "role": "storefront", "role": "admin"}`, 400, "duplicate_member", "role"},
		{"token name with U+202E", "POST", "/v1/tokens", admin, `{"name": "shop\u202e", "role": "storefront"}`, 422, "validation", "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := c.call(t, tt.method, tt.path, tt.token, tt.body)
			wantError(t, tt.name, resp, b, tt.status, tt.code)
			wantField(t, tt.name, b, tt.field)
		})
	}
	if got := c.servedItem(t, diamonds86).Name; got != beforeName {
		t.Fatalf("item name: got %q, want %q", got, beforeName)
	}
	var afterForm gameForm
	c.get(t, form, m, &afterForm)
	if got, want := afterForm.Settings["isipay"]["data_format"], beforeForm.Settings["isipay"]["data_format"]; got != want {
		t.Fatalf("form template: got %q, want %q", got, want)
	}
	var ruleList struct{ Rules []json.RawMessage }
	c.get(t, "/v1/rules", m, &ruleList)
	var tiers struct{ Tiers []json.RawMessage }
	c.get(t, "/v1/tiers", m, &tiers)
	var tokens struct{ Tokens []json.RawMessage }
	c.get(t, "/v1/tokens", admin, &tokens)
	if len(ruleList.Rules) != 0 || len(tiers.Tiers) != 1 || len(tokens.Tokens) != 3 {
		t.Fatalf("after refused bodies: %d rules, %d tiers, %d tokens; want 0, public alone, the env's 3", len(ruleList.Rules), len(tiers.Tiers), len(tokens.Tokens))
	}
}

// FuzzDecodeBody: every body decodeBody reads (settle, tokens, tiers,
// rename, form, link, preview), whatever is in it, is refused with a
// duplicate_member naming the member once any one member is repeated.
func FuzzDecodeBody(f *testing.F) {
	// The bodies of the handlers that read with decodeJSON (those declared
	// inside a handler, such as createToken's, written out again).
	targets := []func() any{
		func() any { return new(settlement) },
		func() any {
			return new(struct {
				Name string `json:"name"`
				Role string `json:"role"`
			})
		},
		func() any { return new(rules.Tier) },
		func() any {
			return new(struct {
				Changes []json.RawMessage `json:"changes"`
			})
		},
		func() any { return new(wireChange) },
		func() any {
			return new(struct {
				Name string `json:"name"`
			})
		},
	}
	f.Add([]byte(`{"outcome": "succeeded", "sn": "SN-1", "note": "checked"}`))
	f.Add([]byte(`{"name": "shop-backend", "role": "storefront"}`))
	f.Add([]byte(`{"id": "member", "name": "Members"}`))
	f.Add([]byte(`{"changes": [{"op": "create", "rule": {"name": "x", "action": {"kind": "markup_percent", "value": "5"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, target := range targets {
			v := target()
			err := decodeBody(body, v)
			e := fault.As(err)
			if err != nil && (e == nil || fault.Status(e.Code) != http.StatusBadRequest && fault.Status(e.Code) != http.StatusRequestEntityTooLarge) {
				t.Fatalf("%T: got %v, want a 400", v, err)
			}
			if err != nil {
				if errors.Is(strictjson.Check(body), strictjson.ErrDuplicate) && e.Code != "duplicate_member" {
					t.Fatalf("%T: a body with a repeated member: got %s, want duplicate_member", v, e.Code)
				}
				continue
			}
			again, path, ok := strictjsontest.WithRepeat(body, uint(len(body)))
			if !ok {
				continue
			}
			err = decodeBody(again, target())
			if e = fault.As(err); e == nil || e.Code != "duplicate_member" || e.Details["field"] != path {
				t.Fatalf("%T: %s, with %q repeated: got %v, want duplicate_member naming it", v, again, path, err)
			}
		}
	})
}
