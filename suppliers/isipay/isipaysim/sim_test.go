package isipaysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const token = "sim-token"

func demo(t testing.TB) *Catalog {
	t.Helper()
	cat, err := LoadCatalog(DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func start(t testing.TB, cat *Catalog, opts Options) (*Sim, *httptest.Server) {
	t.Helper()
	if opts.APIToken == "" {
		opts.APIToken = token
	}
	s := New(cat, opts)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// reply is a decoded envelope.
type reply struct {
	status  int
	Error   bool            `json:"error"`
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func post(t testing.TB, srv *httptest.Server, path, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r reply
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("POST %s: reply %q is not JSON: %v", path, b, err)
	}
	r.status = resp.StatusCode
	return r
}

func (r reply) into(t testing.TB, v any) {
	t.Helper()
	if r.Error {
		t.Fatalf("got refusal %d %q, want success", r.Code, r.Message)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatal(err)
	}
}

func wantRefusal(t testing.TB, r reply, status int, msg string) {
	t.Helper()
	if r.status != status || !r.Error || r.Code != status || r.Message != msg {
		t.Errorf("got http %d %+v, want http %d error code %d %q", r.status, r, status, status, msg)
	}
}

func TestLoadDemoCatalog(t *testing.T) {
	cat := demo(t)
	if len(cat.Products) != 9 {
		t.Errorf("products: got %d, want 9", len(cat.Products))
	}
	n := 0
	for _, p := range cat.Products {
		n += len(p.Variants)
	}
	if n != 85 {
		t.Errorf("variants: got %d, want 85", n)
	}
}

func TestLoadCatalogRefuses(t *testing.T) {
	tests := []struct{ name, data string }{
		{"not JSON", `{"products": [`},
		{"unknown field", `{"products": [], "prodcuts": []}`},
		{"product without code", `{"products": [{"name": "X", "is_active": true}]}`},
		{"duplicate product", `{"products": [{"code": "a", "is_active": true}, {"code": "a", "is_active": true}]}`},
		{"bad product flag", `{"products": [{"code": "a", "is_active": "perhaps"}]}`},
		{"variant without code", `{"products": [{"code": "a", "is_active": true, "variants": [{"name": "x", "price": 1}]}]}`},
		{"variant without price", `{"products": [{"code": "a", "is_active": true, "variants": [{"code": "X", "is_active": "active"}]}]}`},
		{"variant price not a number", `{"products": [{"code": "a", "is_active": true, "variants": [{"code": "X", "price": "Rp 1.000"}]}]}`},
		{"variant code in two products", `{"products": [
			{"code": "a", "is_active": true, "variants": [{"code": "X", "price": 1}]},
			{"code": "b", "is_active": true, "variants": [{"code": "X", "price": 2}]}]}`},
	}
	for _, tt := range tests {
		if _, err := LoadCatalog([]byte(tt.data)); err == nil {
			t.Errorf("%s: got nil error, want a refusal", tt.name)
		}
	}
}

func TestQuirkyValuesServedVerbatim(t *testing.T) {
	_, srv := start(t, demo(t), Options{})
	var vs []map[string]json.RawMessage
	post(t, srv, PathVariant, `{"code":"genshin-impact"}`).into(t, &vs)
	if got := string(vs[0]["price"]); got != "13875.5" {
		t.Errorf("GI_60 price: got %s, want 13875.5", got)
	}
	post(t, srv, PathVariant, `{"code":"mobile-legends"}`).into(t, &vs)
	for _, v := range vs {
		switch string(v["code"]) {
		case `"MLBB_ID_86"`:
			if got := string(v["price"]); got != `"20350"` {
				t.Errorf("MLBB_ID_86 price: got %s, want the string \"20350\"", got)
			}
		case `"MLBB_ID_344"`:
			if got := string(v["processDuration"]); got != `5` {
				t.Errorf("MLBB_ID_344 processDuration: got %s, want the number 5", got)
			}
		}
	}
	var ps []map[string]json.RawMessage
	post(t, srv, PathProduct, "").into(t, &ps)
	if got := string(ps[5]["is_active"]); got != `1` {
		t.Errorf("pubg-mobile is_active: got %s, want 1", got)
	}
	if _, ok := ps[0]["variants"]; ok {
		t.Errorf("product listing carries variants")
	}
}

func TestAuthAndRouting(t *testing.T) {
	_, srv := start(t, demo(t), Options{})
	for _, auth := range []string{"", "Bearer wrong", "Basic " + token, token} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+PathProduct, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || string(b) != `{"error":true,"code":401,"message":"Unauthorized"}` {
			t.Errorf("Authorization %q: got %d %s, want the 401 envelope", auth, resp.StatusCode, b)
		}
	}
	wantRefusal(t, post(t, srv, "/api/v1/nope", ""), 404, "Not Found")
	wantRefusal(t, post(t, srv, PathStatusOrder, ""), 404, "Not Found")
	req, _ := http.NewRequest(http.MethodGet, srv.URL+PathProduct, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET: got %d, want 405", resp.StatusCode)
	}
}

func TestIPWhitelist(t *testing.T) {
	tests := []struct {
		allowed []string
		status  int
	}{
		{nil, 200},
		{[]string{"127.0.0.1"}, 200},
		{[]string{"10.0.0.0/8", "127.0.0.0/8"}, 200},
		{[]string{"203.0.113.7"}, 403},
		{[]string{"::1"}, 403},
	}
	for _, tt := range tests {
		_, srv := start(t, demo(t), Options{AllowedIPs: tt.allowed})
		if r := post(t, srv, PathBalance, ""); r.status != tt.status {
			t.Errorf("allowed %v: got %d, want %d", tt.allowed, r.status, tt.status)
		}
	}
}

func TestVariantRequests(t *testing.T) {
	_, srv := start(t, demo(t), Options{})
	wantRefusal(t, post(t, srv, PathVariant, `{"code":"tetris"}`), 404, "Product not found")
	wantRefusal(t, post(t, srv, PathVariant, `{}`), 400, "The code field is required.")
	wantRefusal(t, post(t, srv, PathVariant, `not json`), 400, "Invalid request body")
	var vs []Variant
	post(t, srv, PathVariant, `{"code":"call-of-duty-mobile"}`).into(t, &vs)
	if len(vs) != 5 {
		t.Errorf("inactive product's variants: got %d, want 5", len(vs))
	}
}

func TestSteeringCatalog(t *testing.T) {
	s, srv := start(t, demo(t), Options{})
	variants := func(product string) map[string]Variant {
		var vs []Variant
		post(t, srv, PathVariant, fmt.Sprintf(`{"code":%q}`, product)).into(t, &vs)
		m := make(map[string]Variant)
		for _, v := range vs {
			m[v.Code] = v
		}
		return m
	}
	if err := s.SetPrice("VALO_125", 14999); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActive("VALO_420", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("VALO_8150"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("valorant", NewVariant("VALO_11000", "11.000 VP", 1_049_000)); err != nil {
		t.Fatal(err)
	}
	vs := variants("valorant")
	if got := string(vs["VALO_125"].Price); got != "14999" {
		t.Errorf("SetPrice: got %s, want 14999", got)
	}
	if got := string(vs["VALO_420"].IsActive); got != `"inactive"` {
		t.Errorf("SetActive: got %s, want \"inactive\"", got)
	}
	if _, ok := vs["VALO_8150"]; ok {
		t.Errorf("Remove: VALO_8150 still listed")
	}
	if _, ok := vs["VALO_11000"]; !ok {
		t.Errorf("Add: VALO_11000 not listed")
	}

	if err := s.Add("sausage-man", NewVariant("SM_60", "60 Candy", 9500)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActive("valorant", false); err != nil {
		t.Fatal(err)
	}
	var ps []wireProduct
	post(t, srv, PathProduct, "").into(t, &ps)
	last := ps[len(ps)-1]
	if last.Code != "sausage-man" || string(last.IsActive) != "true" {
		t.Errorf("Add of a new product: got %+v", last)
	}
	for _, p := range ps {
		if p.Code == "valorant" && string(p.IsActive) != "false" {
			t.Errorf("SetActive of a product: got %s, want false", p.IsActive)
		}
	}
	if err := s.Remove("sausage-man"); err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, post(t, srv, PathVariant, `{"code":"sausage-man"}`), 404, "Product not found")

	for name, err := range map[string]error{
		"SetPrice of unknown":  s.SetPrice("NOPE", 1),
		"SetActive of unknown": s.SetActive("NOPE", true),
		"Remove of unknown":    s.Remove("NOPE"),
		"Add of existing code": s.Add("valorant", NewVariant("VALO_125", "125 VP", 1)),
		"Add of bad variant":   s.Add("valorant", Variant{Code: "X", Price: json.RawMessage(`"abc"`)}),
	} {
		if err == nil {
			t.Errorf("%s: got nil error", name)
		}
	}
	// Steering never reaches back into the catalog the simulator was given.
	cat := demo(t)
	s2 := New(cat, Options{})
	s2.SetPrice("VALO_125", 1)
	s2.Remove("mobile-legends")
	if string(cat.Products[6].Variants[0].Price) != "14250" || cat.Products[0].Code != "mobile-legends" {
		t.Errorf("steering changed the caller's catalog")
	}
}

func TestPriceAndVariantCodes(t *testing.T) {
	cat := demo(t)
	codes := cat.VariantCodes()
	if len(codes) != 85 || codes[0] != "MLBB_ID_5" {
		t.Errorf("VariantCodes: got %d, first %q; want 85, MLBB_ID_5", len(codes), codes[0])
	}
	s := New(cat, Options{})
	for code, want := range map[string]int64{"MLBB_ID_86": 20350, "GI_60": 13876, "FF_ID_70": 9350} {
		if got, ok := s.Price(code); !ok || got != want {
			t.Errorf("Price(%s): got %d, %v; want %d", code, got, ok, want)
		}
	}
	s.SetPrice("MLBB_ID_86", 19990)
	if got, _ := s.Price("MLBB_ID_86"); got != 19990 {
		t.Errorf("Price after SetPrice: got %d, want 19990", got)
	}
	if _, ok := s.Price("NOPE"); ok {
		t.Errorf("Price of an unknown code: got ok")
	}
}
