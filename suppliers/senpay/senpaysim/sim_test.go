package senpaysim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestLoadCatalog(t *testing.T) {
	cat := demoCatalog(t)
	if got := len(cat.Providers); got != 12 {
		t.Errorf("got %d providers, want 12", got)
	}
	if got := len(cat.ProductCodes()); got != 120 {
		t.Errorf("got %d products, want 120", got)
	}
	bad := []struct{ name, json string }{
		{"unknown field", `{"providers": [{"code": "A", "name": "A", "prise": 1}]}`},
		{"duplicate provider", `{"providers": [{"code": "A"}, {"code": "A"}]}`},
		{"duplicate product", `{"providers": [{"code": "A", "products": [{"code": "A1", "price": 1}]}, {"code": "B", "products": [{"code": "A1", "price": 2}]}]}`},
		{"price not a number", `{"providers": [{"code": "A", "products": [{"code": "A1", "price": "murah"}]}]}`},
		{"missing price", `{"providers": [{"code": "A", "products": [{"code": "A1"}]}]}`},
		{"odd active", `{"providers": [{"code": "A", "products": [{"code": "A1", "price": 1, "active": "maybe"}]}]}`},
		{"option without code", `{"providers": [{"code": "A", "forms": [{"key": "s", "type": "dropdown", "options": [{"name": "x"}]}]}]}`},
		{"not json", `providers:`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := LoadCatalog([]byte(tt.json)); err == nil {
				t.Errorf("got no error, want one")
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	cat := Generate(500, 100, 7)
	if err := cat.check(); err != nil {
		t.Fatal(err)
	}
	if got := len(cat.ProductCodes()); got != 50_000 {
		t.Errorf("got %d products, want 50000", got)
	}
	a, _ := json.Marshal(Generate(20, 10, 7))
	b, _ := json.Marshal(Generate(20, 10, 7))
	c, _ := json.Marshal(Generate(20, 10, 8))
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Errorf("want the same catalog for a seed and another for another seed")
	}
	// What the generator writes must round-trip through the file format.
	if _, err := LoadCatalog(a); err != nil {
		t.Errorf("generated catalog does not load: %v", err)
	}
}

// Quirky encodings in the catalog reach the wire verbatim.
func TestServesRawValues(t *testing.T) {
	_, srv := start(t, Options{})
	r := get(t, srv, PathProducts+"?provider=FFMAX-BJ-V3")
	for _, want := range []string{`"price":"1864.50"`, `"price":14882`, `"provider":{"code":"FFMAX-BJ-V3","name":"Free Fire MAX [PROMO TERMURAH] V3"}`} {
		if !strings.Contains(r.Raw, want) {
			t.Errorf("product list lacks %s", want)
		}
	}
	if !strings.HasPrefix(r.Raw, `{"status":200,"data":[`) {
		t.Errorf("got %.40s, want the envelope status first", r.Raw)
	}
	r = get(t, srv, PathProviders)
	for _, want := range []string{`"code":10040400`, `"active":"1"`, `"active":true`, `"active":0`, `"icon_url":"https://senpay.id/images/provider/17182474347Vr0hpu1dG.png"`} {
		if !strings.Contains(r.Raw, want) {
			t.Errorf("provider list lacks %s", want)
		}
	}
	r = get(t, srv, PathProducts+"/FFMAX-BJ-V3FFMAX_ID_140")
	if !strings.Contains(r.Raw, `"provider":{"id":49,"code":"FFMAX-BJ-V3","name":"Free Fire MAX [PROMO TERMURAH] V3","icon":"17182474347Vr0hpu1dG.png","icon_url":`) {
		t.Errorf("product detail: got %s", r.Raw)
	}
}

func TestReadEndpoints(t *testing.T) {
	_, srv := start(t, Options{})
	count := func(r reply) int {
		var items []json.RawMessage
		json.Unmarshal(r.Data, &items)
		return len(items)
	}
	tests := []struct {
		uri     string
		status  int
		message string
		items   int // -1: data is not a list
	}{
		{PathProviders, 200, "", 12},
		{PathProviders + "?active=1", 200, "", 11},
		{PathProducts + "?provider=GI-BJ", 200, "", 7},
		{PathProducts + "?provider=MLBB-BJ-V3-ALL&active=1", 200, "", 18},
		{PathProducts + "?provider=NOPE", 400, "Provider tidak ditemukan", 0},
		{PathProducts, 400, "Provider wajib diisi", 0},
		{PathProducts + "/GI-BJGI_WELKIN", 200, "", -1},
		{PathProducts + "/GI-BJGI_NOPE", 400, "Produk tidak ditemukan", 0},
		{PathTransaction + "TRX1", 400, "Transaksi tidak ditemukan", 0},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			r := get(t, srv, tt.uri)
			if r.HTTP != http.StatusOK || r.Status != tt.status || r.Message != tt.message {
				t.Errorf("got http %d status %d %q, want 200 %d %q", r.HTTP, r.Status, r.Message, tt.status, tt.message)
			}
			if tt.items >= 0 && count(r) != tt.items {
				t.Errorf("got %d items, want %d", count(r), tt.items)
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	_, srv := start(t, Options{ErrorHTTPStatus: http.StatusBadRequest})
	for _, auth := range []string{"", "Bearer nope", testKey} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+PathProviders, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		r := do(t, req)
		if r.HTTP != http.StatusBadRequest || r.Status != 400 || r.Message != "Invalid API Key" {
			t.Errorf("auth %q: got http %d %s", auth, r.HTTP, r.Raw)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+PathCreate, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Signature", "nope")
	if r := do(t, req); r.Message != "Invalid signature" {
		t.Errorf("bad signature: got %s", r.Raw)
	}
}

func TestSteering(t *testing.T) {
	s, srv := start(t, Options{})
	if err := s.SetPrice("GI-BJGI_60", 13000); err != nil {
		t.Fatal(err)
	}
	if err := s.SetActive("GI-BJGI_330", false); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("GI-BJGI_WELKIN"); err != nil {
		t.Fatal(err)
	}
	if err := s.Add("GI-BJ", Product{Code: "GI-BJGI_NEW", Name: "New Pack", Price: json.RawMessage("99000")}); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		s.SetPrice("NOPE", 1), s.SetActive("NOPE", true), s.Remove("NOPE"), s.SetProviderActive("NOPE", true),
		s.Add("NOPE", Product{Code: "X", Price: json.RawMessage("1")}),
		s.Add("GI-BJ", Product{Code: "GI-BJGI_60", Price: json.RawMessage("1")}), // exists
		s.Add("GI-BJ", Product{Code: "GI-BJGI_X", Price: json.RawMessage(`"gratis"`)}),
	} {
		if err == nil {
			t.Errorf("got no error from a bad steering call")
		}
	}
	r := get(t, srv, PathProducts+"?provider=GI-BJ")
	for _, want := range []string{`"code":"GI-BJGI_60","name":"60 Genesis Crystals","active":1,"price":13000`, `"code":"GI-BJGI_330","name":"300+30 Genesis Crystals","active":0`, `"GI-BJGI_NEW"`} {
		if !strings.Contains(r.Raw, want) {
			t.Errorf("listing lacks %s", want)
		}
	}
	if strings.Contains(r.Raw, "GI-BJGI_WELKIN") {
		t.Errorf("removed product still listed")
	}
	if p, ok := s.Price("FFMAX-BJ-V3FFMAX_ID_10"); !ok || p != 1865 {
		t.Errorf("Price of 1864.50: got %d %v, want 1865 (rounded up)", p, ok)
	}
	if got := s.Requests(PathProducts); got != 1 {
		t.Errorf("got %d product requests, want 1", got)
	}
	if got := s.Requests(""); got != 1 {
		t.Errorf("got %d requests in all, want 1", got)
	}
}
