package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog/catalogtest"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
)

const adminToken = "test-admin-token"

type env struct {
	srv       *httptest.Server
	syncer    *offers.Syncer
	tokens    *auth.Store
	mu        sync.Mutex
	triggered []string
	notReady  error
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.NewDB(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens, err := auth.NewStore(context.Background(), db, log, auth.WithAdminToken(adminToken))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{syncer: offers.NewSyncer(db, log), tokens: tokens}
	trigger := func(name string) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.triggered = append(e.triggered, name)
		return nil
	}
	ready := func(context.Context) error { return e.notReady }
	s := New(Config{Suppliers: []string{"senpay", "isipay"}, StaleAfter: time.Hour},
		log, tokens, e.syncer, nil, trigger, ready)
	e.srv = httptest.NewServer(s)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) do(t *testing.T, method, path, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("error body is not the envelope: %s", body)
	}
	if env.Error.Message == "" {
		t.Fatalf("error without a message: %s", body)
	}
	return env.Error.Code
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, token string
		status      int
		code        string
	}{
		{"no token", "", 401, "unauthorized"},
		{"wrong token", "nope", 401, "unauthorized"},
		{"admin", adminToken, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", "/v1/suppliers", tt.token)
			if resp.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d (%s)", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" {
				if got := errorCode(t, body); got != tt.code {
					t.Fatalf("code: got %q, want %q", got, tt.code)
				}
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
			}
		})
	}
}

func TestAuthWithoutAdminTokenRefusesEveryone(t *testing.T) {
	db, err := syncd.Open(context.Background(), dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens, err := auth.NewStore(context.Background(), db, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{}, log, tokens, offers.NewSyncer(db, log), nil, nil, nil))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/v1/suppliers", nil)
	req.Header.Set("Authorization", "Bearer ")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("empty bearer with no admin token configured: got %d, want 401", resp.StatusCode)
	}
}

func TestListSuppliers(t *testing.T) {
	e := newEnv(t)
	cat := &offers.SupplierCatalog{
		Games: []offers.SupplierGame{{Code: "MLBB", Name: "Mobile Legends", Active: true}},
		Offers: []offers.Offer{
			{Code: "MLBB_ID_5", GameCode: "MLBB", Name: "5 Diamonds", Cost: decimal.NewFromInt(1425), Active: true},
			{Code: "MLBB_ID_12", GameCode: "MLBB", Name: "12 Diamonds", Cost: decimal.NewFromInt(3350), Active: false},
		},
	}
	if _, err := e.syncer.Sync(context.Background(), "senpay", catalogtest.Fixed{Catalog: cat}); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(t, "GET", "/v1/suppliers", adminToken)
	if resp.StatusCode != 200 {
		t.Fatalf("status: got %d, want 200: %s", resp.StatusCode, body)
	}
	var got struct {
		Suppliers []offers.SupplierStatus `json:"suppliers"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Suppliers) != 2 {
		t.Fatalf("suppliers: got %d, want 2", len(got.Suppliers))
	}
	sp, ip := got.Suppliers[0], got.Suppliers[1]
	if sp.Supplier != "senpay" || sp.State != "ok" || sp.Seen != 2 || sp.Offers != 2 || sp.ActiveOffers != 1 || sp.LastSuccess == nil {
		t.Fatalf("senpay: got %+v, want ok with 2 seen, 2 offers, 1 active", sp)
	}
	if ip.Supplier != "isipay" || ip.State != "never_synced" || !ip.Stale {
		t.Fatalf("isipay: got %+v, want never_synced and stale", ip)
	}
}

func TestTriggerSync(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "POST", "/v1/suppliers/senpay/sync", adminToken)
	if resp.StatusCode != 202 {
		t.Fatalf("status: got %d, want 202: %s", resp.StatusCode, body)
	}
	if len(e.triggered) != 1 || e.triggered[0] != "senpay" {
		t.Fatalf("triggered: got %v, want [senpay]", e.triggered)
	}
	resp, body = e.do(t, "POST", "/v1/suppliers/acme/sync", adminToken)
	if resp.StatusCode != 404 || errorCode(t, body) != "supplier_not_found" {
		t.Fatalf("unknown supplier: got %d %s, want 404 supplier_not_found", resp.StatusCode, body)
	}
	resp, _ = e.do(t, "POST", "/v1/suppliers/senpay/sync", "")
	if resp.StatusCode != 401 {
		t.Fatalf("without token: got %d, want 401", resp.StatusCode)
	}
}

func TestTriggerWhileRunningIsConflict(t *testing.T) {
	e := newEnv(t)
	started, release := make(chan struct{}), make(chan struct{})
	slow := sourceFunc(func(context.Context) (*offers.SupplierCatalog, error) {
		close(started)
		<-release
		return nil, errors.New("gave up")
	})
	done := make(chan struct{})
	go func() { e.syncer.Sync(context.Background(), "isipay", slow); close(done) }()
	<-started
	resp, body := e.do(t, "POST", "/v1/suppliers/isipay/sync", adminToken)
	close(release)
	<-done
	if resp.StatusCode != 409 || errorCode(t, body) != "sync_running" {
		t.Fatalf("got %d %s, want 409 sync_running", resp.StatusCode, body)
	}
}

type sourceFunc func(context.Context) (*offers.SupplierCatalog, error)

func (f sourceFunc) FetchCatalog(ctx context.Context) (*offers.SupplierCatalog, error) {
	return f(ctx)
}

func TestHealthAndReadiness(t *testing.T) {
	e := newEnv(t)
	if resp, _ := e.do(t, "GET", "/healthz", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz: got %d, want 200", resp.StatusCode)
	}
	if resp, _ := e.do(t, "GET", "/readyz", ""); resp.StatusCode != 200 {
		t.Fatalf("readyz: got %d, want 200", resp.StatusCode)
	}
	e.notReady = errors.New("start-up sync not finished: [senpay]")
	resp, body := e.do(t, "GET", "/readyz", "")
	if resp.StatusCode != 503 || errorCode(t, body) != "not_ready" || !strings.Contains(string(body), "senpay") {
		t.Fatalf("readyz while not ready: got %d %s, want 503 not_ready naming senpay", resp.StatusCode, body)
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "GET", "/v1/nope", adminToken)
	if resp.StatusCode != 404 || errorCode(t, body) != "not_found" {
		t.Fatalf("unknown route: got %d %s, want 404 not_found", resp.StatusCode, body)
	}
	resp, body = e.do(t, "DELETE", "/healthz", "")
	if resp.StatusCode != 405 || errorCode(t, body) != "method_not_allowed" {
		t.Fatalf("wrong method: got %d %s, want 405", resp.StatusCode, body)
	}
}

// TestOpenAPIDescribesEveryRoute keeps the document true to the router: a
// route missing from it, or a documented path that is not served, fails.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newEnv(t)
	resp, body := e.do(t, "GET", "/openapi.json", "")
	if resp.StatusCode != 200 {
		t.Fatalf("openapi: got %d", resp.StatusCode)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version: got %q, want 3.x", doc.OpenAPI)
	}
	served := map[string]bool{}
	router := New(Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil, nil, nil, nil, nil).router
	err := chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		key := strings.ToLower(method) + " " + route
		served[key] = true
		if _, ok := doc.Paths[route][strings.ToLower(method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			if !served[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not served", method, path)
			}
		}
	}
}
