package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// createToken is POST /v1/tokens as the bootstrap admin, expected to
// succeed: the new token's id, secret and tiers.
func (c *catalogEnv) createToken(t *testing.T, body string) (int64, string, []string) {
	t.Helper()
	resp, b := c.call(t, "POST", "/v1/tokens", adminToken, body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create token %s: got %d, want 201: %s", body, resp.StatusCode, b)
	}
	var tok struct {
		ID    int64
		Token string
		Tiers []string
	}
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	return tok.ID, tok.Token, tok.Tiers
}

// TestTokenNames: a name is one storefront, whose orders belong to it. A
// second token under a name, live or revoked, is refused unless the
// request asks to rotate; a rotated token is the same storefront (it sees
// its orders, in its tiers) and cannot change role.
func TestTokenNames(t *testing.T) {
	t.Parallel()
	c := newOrdersEnv(t)
	c.createTier(t, "member")
	firstID, first, tiers := c.createToken(t, `{"name": "shop-a", "role": "storefront", "tiers": ["member", "public"]}`)
	if !slices.Equal(tiers, []string{"public", "member"}) {
		t.Fatalf("tiers: got %v, want public, member", tiers)
	}
	resp, b := c.call(t, "POST", "/v1/orders", first, orderBody("names-1", diamonds86, c.price(t, diamonds86)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("order: got %d, want 201: %s", resp.StatusCode, b)
	}
	o := decodeOrder(t, b)
	before, _ := c.tokens.List(t.Context())

	for _, body := range []string{
		`{"name": "shop-a", "role": "storefront"}`,
		`{"name": " shop-a ", "role": "storefront", "rotate": false}`,
		`{"name": "shop-a", "role": "merchandiser"}`,
		`{"name": "shop-a", "role": "admin", "rotate": true}`,
	} {
		resp, b := c.call(t, "POST", "/v1/tokens", adminToken, body)
		wantError(t, body, resp, b, http.StatusConflict, "token_name_taken")
		if d := decodeError(t, b).Error.Details; d["name"] != "shop-a" || fmt.Sprint(d["token"]) != fmt.Sprint(firstID) || d["role"] != "storefront" {
			t.Fatalf("%s: details %v, want shop-a, token %d, storefront", body, d, firstID)
		}
	}
	if after, _ := c.tokens.List(t.Context()); len(after) != len(before) {
		t.Fatalf("refused creations stored %d tokens", len(after)-len(before))
	}

	// Rotation: the same storefront, with its tiers unless told otherwise.
	_, second, tiers := c.createToken(t, `{"name": "shop-a", "role": "storefront", "rotate": true}`)
	if !slices.Equal(tiers, []string{"public", "member"}) {
		t.Fatalf("rotated token's tiers: got %v, want its predecessor's public, member", tiers)
	}
	if resp, b := c.call(t, "GET", "/v1/orders/"+o.ID, second, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("the rotated token reads its storefront's order: got %d, want 200: %s", resp.StatusCode, b)
	}
	var list struct{ Orders []wireOrder }
	if c.get(t, "/v1/orders?reference=names-1", second, &list); len(list.Orders) != 1 || list.Orders[0].ID != o.ID {
		t.Fatalf("by reference with the rotated token: got %+v, want %s", list.Orders, o.ID)
	}
	// Another storefront does not.
	_, other, _ := c.createToken(t, `{"name": "shop-b", "role": "storefront"}`)
	if resp, b := c.call(t, "GET", "/v1/orders/"+o.ID, other, ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another storefront reads the order: got %d, want 404: %s", resp.StatusCode, b)
	}

	// A revoked name is still taken: a new token under it would see the
	// old storefront's orders.
	for _, secret := range []string{first, second} {
		path := fmt.Sprintf("/v1/tokens/%d", c.tokenIDOf(t, secret))
		if resp, b := c.call(t, "DELETE", path, adminToken, ""); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke: got %d: %s", resp.StatusCode, b)
		}
	}
	resp, b = c.call(t, "POST", "/v1/tokens", adminToken, `{"name": "shop-a", "role": "storefront"}`)
	wantError(t, "a revoked name", resp, b, http.StatusConflict, "token_name_taken")
	if !strings.Contains(decodeError(t, b).Error.Message, "revoked") {
		t.Fatalf("a revoked name: got %s, want the message to say the token is revoked", b)
	}
	_, third, tiers := c.createToken(t, `{"name": "shop-a", "role": "storefront", "rotate": true, "tiers": ["public"]}`)
	if !slices.Equal(tiers, []string{"public"}) {
		t.Fatalf("rotated with tiers: got %v, want public", tiers)
	}
	if resp, b := c.call(t, "GET", "/v1/orders/"+o.ID, third, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("a token rotated after a revocation reads the storefront's order: got %d, want 200: %s", resp.StatusCode, b)
	}
	// Rotating onto a name nobody has is an ordinary creation.
	c.createToken(t, `{"name": "shop-c", "role": "storefront", "rotate": true}`)

	// Many creations of one name at once: one wins, the rest are told.
	var wg sync.WaitGroup
	codes := make([]int, 8)
	errs := make([]error, len(codes))
	for i := range codes {
		wg.Go(func() {
			codes[i], _, errs[i] = c.try("POST", "/v1/tokens", adminToken, `{"name": "race", "role": "storefront"}`)
		})
	}
	wg.Wait()
	slices.Sort(codes)
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if codes[0] != http.StatusCreated || codes[1] != http.StatusConflict || codes[len(codes)-1] != http.StatusConflict {
		t.Fatalf("concurrent creations of one name: got %v, want one 201 and the rest 409", codes)
	}
}

// tokenIDOf is the id of the token whose secret is secret, as the store
// authenticates it.
func (c *catalogEnv) tokenIDOf(t *testing.T, secret string) int64 {
	t.Helper()
	p, err := c.tokens.Authenticate(t.Context(), secret)
	if err != nil {
		t.Fatal(err)
	}
	return p.TokenID
}

// TestOpenAPIDocumentsTokenResponses drives every token route to every
// status openapi.json documents for it, each response checked against its
// schema by call, and fails on a documented status no request produced.
func TestOpenAPIDocumentsTokenResponses(t *testing.T) {
	t.Parallel()
	c := newSyncedCatalogEnv(t)
	shop := c.tokenNamed(t, "storefront-test")
	merch := c.tokenNamed(t, "merchandiser-test")
	revokedID, _, _ := c.createToken(t, `{"name": "gone", "role": "storefront"}`)
	if resp, b := c.call(t, "DELETE", fmt.Sprintf("/v1/tokens/%d", revokedID), adminToken, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: got %d: %s", resp.StatusCode, b)
	}
	big := `{"tiers": ["` + strings.Repeat("x", maxBody) + `"]}`
	shopPath, merchPath := fmt.Sprintf("/v1/tokens/%d", shop), fmt.Sprintf("/v1/tokens/%d", merch)
	tests := []struct {
		method, path, token, body string
		status                    int
		code                      string
		field                     string // in details, for a 422
	}{
		{"GET", "/v1/tokens", adminToken, "", 200, "", ""},
		{"GET", "/v1/tokens", "", "", 401, "unauthorized", ""},
		{"GET", "/v1/tokens", c.merchandiser, "", 403, "forbidden", ""},
		{"POST", "/v1/tokens", adminToken, `{"name": "shop-2", "role": "storefront", "tiers": ["public"]}`, 201, "", ""},
		{"POST", "/v1/tokens", adminToken, `{"name": "ops-2", "role": "admin"}`, 201, "", ""},
		{"POST", "/v1/tokens", adminToken, `{"name": "shop-2", "role": "storefront"}`, 409, "token_name_taken", ""},
		{"POST", "/v1/tokens", adminToken, `{"name": "x", "role": "storefront", "tiers": "public"}`, 400, "bad_json", ""},
		{"POST", "/v1/tokens", adminToken, `{"name": "x", "role": "storefront", "tiers": ["gold"]}`, 422, "validation", "tiers"},
		{"POST", "/v1/tokens", adminToken, `{"name": "x", "role": "storefront", "tiers": []}`, 422, "validation", "tiers"},
		{"POST", "/v1/tokens", adminToken, `{"name": "x", "role": "merchandiser", "tiers": ["public"]}`, 422, "validation", "tiers"},
		{"POST", "/v1/tokens", adminToken, `{"name": "` + strings.Repeat("n", maxBody) + `", "role": "admin"}`, 413, "too_large", ""},
		{"POST", "/v1/tokens", "", `{"name": "x", "role": "admin"}`, 401, "unauthorized", ""},
		{"POST", "/v1/tokens", c.storefront, `{"name": "x", "role": "admin"}`, 403, "forbidden", ""},
		{"PATCH", shopPath, adminToken, `{"tiers": ["public"]}`, 200, "", ""},
		{"PATCH", shopPath, adminToken, `{"tiers": ["public"], "role": "admin"}`, 400, "bad_json", ""},
		{"PATCH", shopPath, adminToken, `{}`, 422, "validation", "tiers"},
		{"PATCH", shopPath, adminToken, `{"tiers": []}`, 422, "validation", "tiers"},
		{"PATCH", shopPath, adminToken, `{"tiers": ["public", "gold"]}`, 422, "validation", "tiers"},
		{"PATCH", merchPath, adminToken, `{"tiers": ["public"]}`, 422, "validation", "tiers"},
		{"PATCH", shopPath, adminToken, big, 413, "too_large", ""},
		{"PATCH", fmt.Sprintf("/v1/tokens/%d", revokedID), adminToken, `{"tiers": ["public"]}`, 409, "token_revoked", ""},
		{"PATCH", "/v1/tokens/999", adminToken, `{"tiers": ["public"]}`, 404, "token_not_found", ""},
		{"PATCH", "/v1/tokens/abc", adminToken, `{"tiers": ["public"]}`, 404, "token_not_found", ""},
		{"PATCH", shopPath, "", `{"tiers": ["public"]}`, 401, "unauthorized", ""},
		{"PATCH", shopPath, c.storefront, `{"tiers": ["public"]}`, 403, "forbidden", ""},
		{"PATCH", shopPath, c.merchandiser, `{"tiers": ["public"]}`, 403, "forbidden", ""},
		{"DELETE", "/v1/tokens/999", adminToken, "", 404, "token_not_found", ""},
		{"DELETE", "/v1/tokens/999", "", "", 401, "unauthorized", ""},
		{"DELETE", "/v1/tokens/999", c.storefront, "", 403, "forbidden", ""},
		{"DELETE", fmt.Sprintf("/v1/tokens/%d", revokedID), adminToken, "", 204, "", ""},
	}
	for _, tt := range tests {
		what := fmt.Sprintf("%s %s %.80s", tt.method, tt.path, tt.body)
		resp, b := c.call(t, tt.method, tt.path, tt.token, tt.body)
		if tt.code == "" {
			if resp.StatusCode != tt.status {
				t.Fatalf("%s: got %d, want %d: %s", what, resp.StatusCode, tt.status, b)
			}
			continue
		}
		wantError(t, what, resp, b, tt.status, tt.code)
		if d := decodeError(t, b).Error.Details; tt.field != "" && d[tt.field] == nil {
			t.Fatalf("%s: details %v, want %s explained", what, d, tt.field)
		}
	}

	paths, _ := c.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !strings.HasPrefix(route, "/v1/tokens") {
			continue
		}
		for method, op := range ops.(map[string]any) {
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for status := range responses {
				if key := strings.ToUpper(method) + " " + route + " " + status; !c.seen[key] {
					t.Errorf("openapi.json documents %s, but no request produced it", key)
				}
			}
		}
	}
}
