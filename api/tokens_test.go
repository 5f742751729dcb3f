package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/syncd/syncd/auth"
)

// send is do with a JSON body.
func (e *env) send(t *testing.T, method, path, token, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// token makes a stored token of role, as the CLI would.
func (e *env) token(t *testing.T, role auth.Role) string {
	t.Helper()
	secret, _, err := e.tokens.Create(context.Background(), role.String()+"-test", role)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

func errorDetails(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var env struct {
		Error struct {
			Details map[string]any `json:"details"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("error body is not the envelope: %s", body)
	}
	return env.Error.Details
}

func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	storefront, merchandiser, admin := e.token(t, auth.RoleStorefront), e.token(t, auth.RoleMerchandiser), e.token(t, auth.RoleAdmin)
	routes := []struct{ method, path, body string }{
		{"GET", "/v1/suppliers", ""},
		{"GET", "/v1/tokens", ""},
		{"POST", "/v1/tokens", `{"name":"x","role":"storefront"}`},
		{"DELETE", "/v1/tokens/999", ""},
	}
	callers := []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "unauthorized"},
		{"unknown token", "syncd_AAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "unauthorized"},
		{"storefront", storefront, 403, "forbidden"},
		{"merchandiser", merchandiser, 403, "forbidden"},
		{"admin", admin, 0, ""},
		{"bootstrap admin", adminToken, 0, ""},
	}
	for _, rt := range routes {
		for _, c := range callers {
			t.Run(rt.method+" "+rt.path+" as "+c.name, func(t *testing.T) {
				resp, body := e.send(t, rt.method, rt.path, c.token, rt.body)
				if c.status == 0 {
					if resp.StatusCode == 401 || resp.StatusCode == 403 {
						t.Fatalf("status: got %d, want the admin let through: %s", resp.StatusCode, body)
					}
					return
				}
				if resp.StatusCode != c.status {
					t.Fatalf("status: got %d, want %d: %s", resp.StatusCode, c.status, body)
				}
				if got := errorCode(t, body); got != c.code {
					t.Fatalf("code: got %q, want %q", got, c.code)
				}
				if c.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
			})
		}
	}
}

func TestTokenLifecycleOverHTTP(t *testing.T) {
	e := newEnv(t)
	resp, body := e.send(t, "POST", "/v1/tokens", adminToken, `{"name": "shop-backend", "role": "storefront"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("create: got %d, want 201: %s", resp.StatusCode, body)
	}
	var created struct {
		ID        int64  `json:"id"`
		Name      string `json:"name"`
		Role      string `json:"role"`
		CreatedAt string `json:"created_at"`
		Token     string `json:"token"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.Name != "shop-backend" || created.Role != "storefront" || created.CreatedAt == "" ||
		!strings.HasPrefix(created.Token, auth.SecretPrefix) {
		t.Fatalf("create: got %s", body)
	}
	if got, want := resp.Header.Get("Location"), "/v1/tokens/"+strconv.FormatInt(created.ID, 10); got != want {
		t.Fatalf("Location: got %q, want %q", got, want)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Fatalf("Cache-Control: got %q, want no-store", got)
	}

	// The new storefront token authenticates, and is a storefront.
	if resp, body := e.do(t, "GET", "/v1/tokens", created.Token); resp.StatusCode != 403 || errorCode(t, body) != "forbidden" {
		t.Fatalf("new storefront token on an admin route: got %d %s, want 403 forbidden", resp.StatusCode, body)
	}

	resp, body = e.do(t, "GET", "/v1/tokens", adminToken)
	if resp.StatusCode != 200 {
		t.Fatalf("list: got %d: %s", resp.StatusCode, body)
	}
	if strings.Contains(string(body), created.Token) || strings.Contains(string(body), "hash") {
		t.Fatalf("list shows a secret or hash: %s", body)
	}
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Tokens) != 1 || list.Tokens[0]["name"] != "shop-backend" || list.Tokens[0]["role"] != "storefront" ||
		list.Tokens[0]["revoked_at"] != nil {
		t.Fatalf("list: got %s, want the one live token", body)
	}
	if _, ok := list.Tokens[0]["token"]; ok {
		t.Fatalf("list carries a token field: %s", body)
	}

	path := "/v1/tokens/" + strconv.FormatInt(created.ID, 10)
	if resp, body := e.do(t, "DELETE", path, adminToken); resp.StatusCode != 204 || len(body) != 0 {
		t.Fatalf("revoke: got %d %q, want 204 and no body", resp.StatusCode, body)
	}
	if resp, body := e.do(t, "GET", "/v1/suppliers", created.Token); resp.StatusCode != 401 || errorCode(t, body) != "unauthorized" {
		t.Fatalf("revoked token: got %d %s, want 401", resp.StatusCode, body)
	}
	_, body = e.do(t, "GET", "/v1/tokens", adminToken)
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Tokens) != 1 || list.Tokens[0]["revoked_at"] == nil {
		t.Fatalf("list after revoke: got %s, want revoked_at set", body)
	}

	for _, p := range []string{"/v1/tokens/999", "/v1/tokens/abc", "/v1/tokens/-1"} {
		if resp, body := e.do(t, "DELETE", p, adminToken); resp.StatusCode != 404 || errorCode(t, body) != "token_not_found" {
			t.Fatalf("DELETE %s: got %d %s, want 404 token_not_found", p, resp.StatusCode, body)
		}
	}
}

// TestAdminTokenFromAPI: an admin token made over the API can manage
// tokens in turn, without the bootstrap token.
func TestAdminTokenFromAPI(t *testing.T) {
	e := newEnv(t)
	_, body := e.send(t, "POST", "/v1/tokens", adminToken, `{"name":"ops","role":"admin"}`)
	var created struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.send(t, "POST", "/v1/tokens", created.Token, `{"name":"shop","role":"storefront"}`); resp.StatusCode != 201 {
		t.Fatalf("create with a stored admin token: got %d %s, want 201", resp.StatusCode, body)
	}
}

func TestCreateTokenRefusesBadRequests(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		body    string
		status  int
		code    string
		details []string // keys expected in error.details
	}{
		{"empty body", ``, 400, "bad_json", nil},
		{"not JSON", `name=shop`, 400, "bad_json", nil},
		{"truncated", `{"name": "shop"`, 400, "bad_json", nil},
		{"array", `[]`, 400, "bad_json", nil},
		{"wrong type", `{"name": 7, "role": "admin"}`, 400, "bad_json", []string{"field"}},
		{"unknown field", `{"name": "shop", "role": "storefront", "expires": "never"}`, 400, "bad_json", []string{"field"}},
		{"misspelt field", `{"name": "shop", "rol": "storefront"}`, 400, "bad_json", []string{"field"}},
		{"two objects", `{"name": "a", "role": "admin"}{"name": "b", "role": "admin"}`, 400, "bad_json", nil},
		{"too large", `{"name": "` + strings.Repeat("a", maxBody) + `", "role": "admin"}`, 413, "too_large", nil},
		{"unknown role", `{"name": "shop", "role": "superuser"}`, 422, "validation", []string{"role"}},
		{"missing role", `{"name": "shop"}`, 422, "validation", []string{"role"}},
		{"empty name", `{"name": " ", "role": "storefront"}`, 422, "validation", []string{"name"}},
		{"long name", `{"name": "` + strings.Repeat("n", 101) + `", "role": "storefront"}`, 422, "validation", []string{"name"}},
		{"both invalid", `{"name": "", "role": "root"}`, 422, "validation", []string{"name", "role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.send(t, "POST", "/v1/tokens", adminToken, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d: %.300s", resp.StatusCode, tt.status, body)
			}
			if got := errorCode(t, body); got != tt.code {
				t.Fatalf("code: got %q, want %q", got, tt.code)
			}
			details := errorDetails(t, body)
			if len(details) != len(tt.details) {
				t.Fatalf("details: got %v, want keys %v", details, tt.details)
			}
			for _, k := range tt.details {
				if s, _ := details[k].(string); s == "" {
					t.Fatalf("details: got %v, want %s explained", details, k)
				}
			}
		})
	}
	if resp, body := e.send(t, "POST", "/v1/tokens", adminToken, `{"name": "shop", "rol": "x"}`); !strings.Contains(string(body), `"rol"`) {
		t.Fatalf("unknown field: got %d %s, want it named", resp.StatusCode, body)
	}
	if list, _ := e.tokens.List(context.Background()); len(list) != 0 {
		t.Fatalf("refused requests stored %d tokens", len(list))
	}
}
