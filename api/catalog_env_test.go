package api

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
	"github.com/syncd/syncd/suppliers/testsims"
)

var update = flag.Bool("update", false, "rewrite the golden API responses in ../testdata/golden")

// Items of the demo catalogs the tests lean on.
const (
	diamonds86   = "mobile-legends.diamonds-86-78-8"    // three offers; Isipay's is cheapest
	diamonds172  = "mobile-legends.diamonds-172-156-16" // unchanged by the price tests
	diamonds3688 = "mobile-legends.diamonds-3688-3099-589"
	twilightPass = "mobile-legends.pass-twilight-pass-x1"
)

// catalogEnv is the catalog API end to end: both supplier simulators over
// HTTP, synced by the real clients into SQLite, merged by a real Catalog
// and served by the real router. Every response its call method gets is
// held to openapi.json.
type catalogEnv struct {
	*env
	te           *testenv.Env
	server       *Server
	db           *syncd.DB
	cat          *catalog.Catalog
	senpay       *senpaysim.Sim
	isipay       *isipaysim.Sim
	sources      map[string]offers.Source
	storefront   string
	merchandiser string

	client *http.Client // no transparent gzip: the tests see the wire
	doc    *apiDoc
	mu     sync.Mutex
	seen   map[string]bool // "GET /v1/games/{game} 404": responses checked against the document
}

// sims are both suppliers' simulators serving the demo catalogs, and real
// clients of them.
type sims struct {
	senpay  *senpaysim.Sim
	isipay  *isipaysim.Sim
	sources map[string]offers.Source
	close   func()
}

func startSims() (*sims, error) {
	sp, ip, ss := testsims.Both()
	s := testenv.Start(0, ss...)
	return &sims{senpay: sp.Sim, isipay: ip.Sim, sources: s.Sources(), close: s.Close}, nil
}

var supplierNames = []string{senpay.Name, isipay.Name}

func catalogConfig() catalog.Config {
	return suppliers.CatalogConfig(catalog.Config{StaleAfter: time.Hour, Suppliers: supplierNames}, senpay.Descriptor, isipay.Descriptor)
}

// demoDB is a database file with both demo catalogs synced and linked,
// made once per test binary and copied into each test's directory.
var demoDB = sync.OnceValues(func() (*testenv.Fixture, error) {
	return testenv.SyncedFile(time.Hour, func() ([]testenv.Supplier, error) {
		_, _, ss := testsims.Both()
		return ss, nil
	})
})

// newCatalogEnv starts the simulators with the demo catalogs and serves the
// API over a catalog with no snapshot yet, of an empty database.
func newCatalogEnv(t *testing.T, configure ...configureFunc) *catalogEnv {
	t.Helper()
	return startCatalogEnv(t, nil, configure...)
}

// newSyncedCatalogEnv is newCatalogEnv over the demo catalogs as synced
// from the simulators, with a snapshot built.
func newSyncedCatalogEnv(t *testing.T, configure ...configureFunc) *catalogEnv {
	t.Helper()
	file, err := demoDB()
	if err != nil {
		t.Fatalf("demo database: %v", err)
	}
	c := startCatalogEnv(t, file, configure...)
	if _, err := c.cat.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c
}

// configureFunc adds to the API's configuration what a test needs (the
// webhook's, the order service's), over the env's database, catalog and
// clients of its simulators.
type configureFunc func(cfg *Config, db *syncd.DB, cat *catalog.Catalog, sources map[string]offers.Source)

func startCatalogEnv(t *testing.T, file *testenv.Fixture, configure ...configureFunc) *catalogEnv {
	t.Helper()
	sp, ip, ss := testsims.Both()
	te := testenv.New(t, testenv.Config{Suppliers: ss, File: file, StaleAfter: time.Hour})
	db, log := te.DB, te.Log
	tokens, err := auth.NewStore(context.Background(), db, log, auth.WithAdminToken(adminToken))
	if err != nil {
		t.Fatal(err)
	}
	cat := te.Catalog
	e := &env{syncer: te.Syncer, tokens: tokens}
	cfg := Config{Suppliers: supplierNames, StaleAfter: time.Hour}
	for _, f := range configure {
		f(&cfg, db, cat, te.Sims.Sources())
	}
	srv := New(cfg, log, tokens, e.syncer, cat, func(string) error { return nil }, nil)
	e.srv = httptest.NewServer(srv)
	t.Cleanup(e.srv.Close)
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &catalogEnv{
		env: e, te: te, server: srv, db: db, cat: cat, senpay: sp.Sim, isipay: ip.Sim, sources: te.Sims.Sources(),
		storefront: e.token(t, auth.RoleStorefront), merchandiser: e.token(t, auth.RoleMerchandiser),
		client: &http.Client{Transport: tr}, doc: loadAPIDoc(t), seen: map[string]bool{},
	}
}

// sync pulls both suppliers' catalogs as the simulators now serve them and
// publishes a new snapshot, as the scheduler does after each sync.
func (c *catalogEnv) sync(t *testing.T) *catalog.Snapshot {
	t.Helper()
	return c.te.SyncAll(t)
}

// call sends a request with an optional JSON body and headers ("Name:
// value"), and checks the response against openapi.json.
func (c *catalogEnv) call(t *testing.T, method, path, token, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	route := c.server.router.(*chi.Mux).Find(chi.NewRouteContext(), method, req.URL.EscapedPath())
	if route == "" {
		t.Fatalf("%s %s: no route", method, path)
	}
	plain := b
	if resp.Header.Get("Content-Encoding") == "gzip" {
		plain = gunzip(t, b)
	}
	if err := c.doc.checkResponse(method, route, resp.StatusCode, plain); err != nil {
		t.Error(err)
	}
	c.mu.Lock()
	c.seen[fmt.Sprintf("%s %s %d", method, route, resp.StatusCode)] = true
	c.mu.Unlock()
	return resp, b
}

// get is call for a GET expected to succeed, decoding the body into v.
func (c *catalogEnv) get(t *testing.T, path, token string, v any) {
	t.Helper()
	resp, body := c.call(t, "GET", path, token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d, want 200: %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

// wantError checks an error response's status and code.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: got %d, want %d: %s", what, resp.StatusCode, status, body)
	}
	if got := errorCode(t, body); got != code {
		t.Fatalf("%s: got code %q, want %q", what, got, code)
	}
}

// wireItem and wireItemDetail decode the API's item bodies.
type wireItem struct {
	ID        string `json:"id"`
	Game      string `json:"game"`
	Name      string `json:"name"`
	Price     *int64 `json:"price"`
	Currency  string `json:"currency"`
	Available bool   `json:"available"`
}

type wireOffer struct {
	ID          int64  `json:"id"`
	Supplier    string `json:"supplier"`
	Code        string `json:"code"`
	Cost        int64  `json:"cost"`
	MatchMethod string `json:"match_method"`
	Manual      bool   `json:"manual"`
	Review      bool   `json:"review"`
	Chosen      bool   `json:"chosen"`
}

type wireItemDetail struct {
	wireItem
	ChosenOffer *int64      `json:"chosen_offer"`
	Reason      string      `json:"reason"`
	Offers      []wireOffer `json:"offers"`
}

// normalise makes a response comparable across runs: times become
// "<time>", and offer ids, which depend on the order Sync inserts offers,
// become the supplier and code they stand for.
func normalise(t *testing.T, body []byte) []byte {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("normalise: %v: %s", err, body)
	}
	offers := map[string]string{}
	var collect func(v any)
	collect = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			id, isNum := v["id"].(json.Number)
			sup, _ := v["supplier"].(string)
			code, _ := v["code"].(string)
			if isNum && sup != "" && code != "" {
				offers[id.String()] = "offer " + sup + "/" + code
			}
			for _, e := range v {
				collect(e)
			}
		case []any:
			for _, e := range v {
				collect(e)
			}
		}
	}
	collect(v)
	var rewrite func(v any) any
	rewrite = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				switch n, isNum := e.(json.Number); {
				case (k == "updated_at" || k == "synced_at" || k == "built_at") && e != nil:
					v[k] = "<time>"
				case (k == "id" || k == "chosen_offer") && isNum:
					label, ok := offers[n.String()]
					if !ok {
						t.Fatalf("normalise: offer %s is not in the body", n)
					}
					v[k] = label
				default:
					v[k] = rewrite(e)
				}
			}
		case []any:
			for i, e := range v {
				v[i] = rewrite(e)
			}
		}
		return v
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rewrite(v)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// golden compares a normalised body with testdata/golden/name, or rewrites
// the file under -update.
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	got := normalise(t, body)
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./api -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: response differs from the golden file (go test ./api -run %s -update rewrites it)\n%s",
			name, t.Name(), lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  got  %s\n  want %s", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
