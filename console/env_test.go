package console_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/console"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/reports"
	"github.com/syncd/syncd/rules"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
	"github.com/syncd/syncd/suppliers/testsims"
)

const (
	// diamonds86 has three offers; Isipay's is the cheapest.
	diamonds86 = "mobile-legends.diamonds-86-78-8"
	// bundle is an Isipay offer no denomination reading can place: it
	// waits in the matching review as an item of its own.
	bundleCode   = "MLBB_BUNDLE_SPESIAL"
	twilightPass = "mobile-legends.pass-twilight-pass-x1"
)

var supplierNames = []string{senpay.Name, isipay.Name}

// catalogConfig is the catalog's configuration with both suppliers as
// their descriptors register them.
func catalogConfig(staleAfter time.Duration) catalog.Config {
	return suppliers.CatalogConfig(catalog.Config{StaleAfter: staleAfter, Suppliers: supplierNames}, senpay.Descriptor, isipay.Descriptor)
}

// env is the console end to end: both supplier simulators over HTTP,
// synced by the real clients into SQLite in t.TempDir(), merged by a real
// Catalog, an order service routing to the simulators, and the console
// mounted in the real API router, served over real HTTP.
type env struct {
	t       *testing.T
	path    string // the database's DSN, for a second instance
	db      *syncd.DB
	cat     *catalog.Catalog
	syncer  *offers.Syncer
	svc     *orders.Service
	tokens  *auth.Store
	isipay  *isipaysim.Sim
	senpay  *senpaysim.Sim
	sources map[string]offers.Source
	clock   *testclock.Clock
	srv     *httptest.Server
	reports *reports.Store

	admin, merch, shop string // tokens

	mu       sync.Mutex
	triggers []string // suppliers the sync button asked for
}

// consoleSims are both demo simulators, Isipay's funded and selling the
// bundle offer too.
func consoleSims() (*testsims.Senpay, *testsims.Isipay, []testenv.Supplier, error) {
	sp, ip, ss := testsims.Both()
	ip.Sim.SetBalance(10_000_000)
	err := ip.Sim.Add("mobile-legends", isipaysim.NewVariant(bundleCode, "Paket Spesial Ramadhan", 99000))
	return sp, ip, ss, err
}

// demoDB is a database file with both demo catalogs synced from the
// simulators and linked, made once per test binary and copied into each
// test's directory.
var demoDB = sync.OnceValues(func() (*testenv.Fixture, error) {
	return testenv.SyncedFile(24*time.Hour, func() ([]testenv.Supplier, error) {
		_, _, ss, err := consoleSims()
		return ss, err
	})
})

// newEnv is the console over the demo catalog; opts adjust the order
// service's configuration.
func newEnv(t *testing.T, opts ...func(*orders.Config)) *env {
	t.Helper()
	file, err := demoDB()
	if err != nil {
		t.Fatalf("demo database: %v", err)
	}
	ctx := context.Background()
	sp, ip, ss, err := consoleSims()
	if err != nil {
		t.Fatal(err)
	}
	te := testenv.New(t, testenv.Config{Suppliers: ss, File: file, StaleAfter: 24 * time.Hour})
	e := &env{t: t, path: te.Path, db: te.DB, cat: te.Catalog, syncer: te.Syncer, senpay: sp.Sim, isipay: ip.Sim,
		sources: te.Sims.Sources(), clock: te.Clock}
	te.Refresh(t)
	log := te.Log
	ocfg := orders.Config{PollBase: time.Second, PollMax: time.Minute}
	for _, o := range opts {
		o(&ocfg)
	}
	e.svc = te.Orders(t, ocfg, nil)
	e.admin = "admin-" + strings.Repeat("x", 20)
	if e.tokens, err = auth.NewStore(ctx, e.db, log, auth.WithAdminToken(e.admin)); err != nil {
		t.Fatal(err)
	}
	if e.merch, _, err = e.tokens.Create(ctx, "mia", auth.RoleMerchandiser); err != nil {
		t.Fatal(err)
	}
	if e.shop, _, err = e.tokens.Create(ctx, "shop", auth.RoleStorefront); err != nil {
		t.Fatal(err)
	}
	trigger := func(supplier string) error {
		e.mu.Lock()
		e.triggers = append(e.triggers, supplier)
		e.mu.Unlock()
		return nil
	}
	e.reports = reports.New(e.db)
	con, err := console.New(console.Config{Suppliers: supplierNames, StaleAfter: 24 * time.Hour, Orders: e.svc, Reports: e.reports},
		log, e.tokens, e.syncer, e.cat, trigger)
	if err != nil {
		t.Fatal(err)
	}
	router := api.New(api.Config{Suppliers: supplierNames, StaleAfter: 24 * time.Hour, Orders: e.svc, Console: con},
		log, e.tokens, e.syncer, e.cat, trigger, nil)
	e.srv = httptest.NewServer(router)
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) triggered() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.triggers...)
}

// attentionOrder makes an order whose purchase Isipay took but whose
// answer was lost, reconciled until the timeout: it waits in attention.
func (e *env) attentionOrder(ref string) *orders.Order {
	e.t.Helper()
	ctx := context.Background()
	it, ok := e.cat.Snapshot().Item(diamonds86)
	if !ok || it.PriceIn("public").Amount == nil {
		e.t.Fatalf("%s has no public price", diamonds86)
	}
	e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultAcceptDrop, Count: 1})
	o, _, err := e.svc.Create(ctx, orders.Request{Reference: ref, Item: diamonds86, Tier: "public",
		Fields: map[string]string{"user_id": "12345678", "server": "1234"}, ExpectedPrice: *it.PriceIn("public").Amount}, "shop")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, d := range []time.Duration{2 * time.Second, 16 * time.Minute} {
		e.clock.Add(d)
		if _, err := e.svc.Poll(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
	if o, err = e.svc.Get(ctx, o.ID, ""); err != nil {
		e.t.Fatal(err)
	}
	if o.Status != orders.Attention {
		e.t.Fatalf("order %s: got %s (%s), want attention", o.ID, o.Status, o.Reason)
	}
	return o
}

// client is a browser of the console: cookies, no redirects followed
// (tests look at each answer).
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	csrf string // the session's, read from the last page
	base string // the instance it asks; "" is the env's
}

// url is where the client's requests go.
func (c *client) url() string {
	if c.base != "" {
		return c.base
	}
	return c.e.srv.URL
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, e: e, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signedIn is a client signed in with token.
func (e *env) signedIn(token string) *client {
	c := e.client()
	resp, body := c.signIn(token)
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in: got %d, want 303: %s", resp.StatusCode, body)
	}
	c.get("/console/catalog", http.StatusOK)
	return c
}

// signIn posts the sign-in form as a browser would after loading it.
func (c *client) signIn(token string) (*http.Response, string) {
	c.t.Helper()
	_, page := c.get("/console/signin", http.StatusOK)
	return c.post("/console/signin", url.Values{"csrf": {formCSRF(c.t, page)}, "token": {token}})
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func formCSRF(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page: %.300s", page)
	}
	return m[1]
}

func (c *client) do(req *http.Request) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	body := string(b)
	if m := csrfField.FindStringSubmatch(body); m != nil && strings.Contains(resp.Header.Get("Content-Type"), "text/html") && !strings.Contains(body, `action="/console/signin"`) {
		c.csrf = m[1]
	}
	return resp, body
}

// get fetches path and checks the status.
func (c *client) get(path string, want int) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.url()+path, nil)
	resp, body := c.do(req)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s: got %d, want %d: %.500s", path, resp.StatusCode, want, body)
	}
	return resp, body
}

// post sends a form as is (tests of CSRF set or leave out its token).
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.url()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// submit posts a form with the session's CSRF token and checks the status.
func (c *client) submit(path string, form url.Values, want int) (*http.Response, string) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", c.csrf)
	resp, body := c.post(path, form)
	if resp.StatusCode != want {
		c.t.Fatalf("POST %s: got %d, want %d: %.800s", path, resp.StatusCode, want, body)
	}
	return resp, body
}

// htmxPost sends a form with the session's CSRF token as htmx does, asking
// for a fragment.
func (c *client) htmxPost(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	form.Set("csrf", c.csrf)
	req, _ := http.NewRequest("POST", c.url()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q in the page", what, w)
		}
	}
}

// barePUBG adds to Isipay a region-less "PUBGM" product beside the demo's
// "PUBG Mobile Global" ones, syncs Isipay and rebuilds: pubg-mobile-global
// gets a game-level review entry beside the new pubg-mobile.
func (e *env) barePUBG() {
	e.t.Helper()
	ctx := context.Background()
	if err := e.isipay.Add("PUBGM", isipaysim.NewVariant("PUBGM_ID_60", "60 UC", 14000),
		isipaysim.NewVariant("PUBGM_ID_325", "325 UC", 69900)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.syncer.Sync(ctx, isipay.Name, e.sources[isipay.Name]); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.cat.Refresh(ctx); err != nil {
		e.t.Fatal(err)
	}
	for _, g := range e.cat.Snapshot().GameReview() {
		if g.Game == "pubg-mobile-global" && g.Sibling == "pubg-mobile" {
			return
		}
	}
	e.t.Fatal("no game review entry for pubg-mobile-global beside pubg-mobile")
}

// reviewOffer is the id of the offer with code in the matching review.
func (e *env) reviewOffer(code string) string {
	e.t.Helper()
	for _, r := range e.cat.Snapshot().Review() {
		if r.Offer.Code == code {
			return strconv.FormatInt(r.Offer.ID, 10)
		}
	}
	e.t.Fatalf("offer %s is not in the review queue", code)
	return ""
}

func hasOffer(list []*catalog.OfferState, code string) bool {
	for _, o := range list {
		if o.Code == code {
			return true
		}
	}
	return false
}

// history places orders through the order service over the last days
// (the service's clock set back, then forward a day at a time): on each
// day a few items of several games, delivered by the next poll, one now
// and then refused by Isipay and left to the next supplier; Isipay's
// balance read at the end of each day. The clock
// ends at the real time again. It returns how many orders it placed.
func (e *env) history(days int) int {
	e.t.Helper()
	ctx := context.Background()
	// Two items of each game with a price, Mobile Legends first: the
	// shop's best seller.
	games := e.cat.Snapshot().GameList()
	first := func(g *catalog.Game) int {
		if g.ID == "mobile-legends" {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(games, func(a, b *catalog.Game) int { return cmp.Compare(first(a), first(b)) })
	var items []*catalog.Item
	for _, g := range games {
		n := 0
		for _, it := range g.Items {
			if p := it.PriceIn("public"); p.Amount != nil && n < 2 && len(g.Form) > 0 {
				items = append(items, it)
				n++
			}
		}
		if len(items) >= 12 {
			break
		}
	}
	if len(items) == 0 {
		e.t.Fatal("no item with a public price")
	}
	placed := 0
	// Half a day back from the start of each day: the last day's orders
	// are all in the past.
	e.clock.Set(time.Now().UTC().Add(-time.Duration(days)*24*time.Hour - 12*time.Hour))
	for d := range days + 1 {
		for i, it := range items[:min(len(items), 3+d%4*2)] {
			game, _ := e.cat.Snapshot().Game(it.GameID)
			fields := map[string]string{}
			for _, f := range game.Form {
				fields[f.Key] = "12345678"
				if f.Type == "dropdown" && len(f.Options) > 0 {
					fields[f.Key] = f.Options[0].Code
				}
			}
			if (d+i)%5 == 0 {
				e.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultErrorBody, Code: 400,
					Message: "Produk sedang gangguan", Count: 1})
			}
			price := it.PriceIn("public").Amount
			if _, _, err := e.svc.Create(ctx, orders.Request{Reference: fmt.Sprintf("hist-%d-%d", d, i), Item: it.ID, Tier: "public",
				Fields: fields, ExpectedPrice: *price}, "shop"); err != nil {
				e.t.Fatal(err)
			}
			placed++
			// The supplier delivers within seconds; the poller learns it
			// at its next check.
			e.clock.Add(time.Duration(5+(d*7+i*13)%40) * time.Second)
			if _, err := e.svc.Poll(ctx); err != nil {
				e.t.Fatal(err)
			}
			e.clock.Add(37 * time.Minute)
		}
		// Isipay's balance is read once a day, as the balance job would.
		if err := e.svc.RecordBalance(ctx, isipay.Name, e.isipay.Balance().IntPart(), nil); err != nil {
			e.t.Fatal(err)
		}
		e.clock.Add(24*time.Hour - time.Duration(len(items))*37*time.Minute)
	}
	e.isipay.ClearFaults()
	e.clock.Set(time.Now().UTC())
	if _, err := e.svc.Poll(ctx); err != nil {
		e.t.Fatal(err)
	}
	return placed
}

// storeWideMarkup saves a markup_percent rule on every item, rounded up
// to 100, as a merchandiser would.
func (e *env) storeWideMarkup(percent string) {
	e.t.Helper()
	r, err := rules.Decode([]byte(`{"name": "Store-wide +` + percent + `%", "action": {"kind": "markup_percent", "value": "` + percent + `"},
		"round": {"step": 100, "mode": "up"}}`))
	if err != nil {
		e.t.Fatal(err)
	}
	if _, _, err := e.cat.SaveRule(context.Background(), catalog.RuleChange{Op: "create", Rule: r}, "mia"); err != nil {
		e.t.Fatal(err)
	}
}
