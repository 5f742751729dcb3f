package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/testsupplier"
	"github.com/syncd/syncd/suppliers/testsupplier/testsuppliersim"
)

// thirdCatalog is the test supplier's catalog: the demo catalogs' Mobile
// Legends and Free Fire items under its own codes and words (86 Diamonds
// with the game's name in it, singular, its split last: one item, with one
// id whichever supplier links first), 86 Diamonds cheaper than at Isipay
// (20350) and Senpay (22870).
func thirdCatalog() []testsuppliersim.Game {
	return []testsuppliersim.Game{
		{ID: "ML", Title: "Mobile Legends", Enabled: true, Items: []testsuppliersim.Item{
			{SKU: "ML-86", Title: "Mobile Legends Diamond 86 (78+8)", Price: 19900, Enabled: true},
			{SKU: "ML-172", Title: "172 Diamonds", Price: 99000, Enabled: true},
		}},
		{ID: "FF", Title: "Free Fire", Enabled: true, Items: []testsuppliersim.Item{
			{SKU: "FF-100", Title: "100 Diamonds", Price: 99000, Enabled: true},
		}},
	}
}

// TestThirdSupplierEndToEnd registers a supplier syncd's code does not
// know beside the two real ones, with one line, and runs the real program
// against the three simulators over HTTP, on a real database: its
// catalog syncs, its items join the others' (the same item ids), margin
// rules price them, an order goes to it while it is the cheapest and to
// the next supplier when it clearly refuses, its balance is read and
// shown, and the console's suppliers page lists it.
func TestThirdSupplierEndToEnd(t *testing.T) {
	reg := append(slices.Clone(registered), testsupplier.Descriptor) // the one line

	s := newSims(t)
	third := testsuppliersim.New(thirdCatalog(), testsuppliersim.Options{APIKey: "third-key", Balance: 5_000_000})
	srv := httptest.NewServer(third)
	t.Cleanup(srv.Close)
	env := s.env()
	env["TESTSUPPLIER_BASE_URL"], env["TESTSUPPLIER_API_KEY"] = srv.URL, "third-key"
	env["SYNCD_ORDER_POLL_INTERVAL"] = "200ms"
	r := startServeWith(t, reg, env)
	r.waitReady(t)
	base := "http://" + r.at.API
	const item = "mobile-legends.diamonds-86-78-8"

	// Synced beside the others, its balance read.
	type supplier struct {
		offers.SupplierStatus
		Balance       *int64 `json:"balance"`
		BalanceStatus string `json:"balance_status"`
	}
	status := func() map[string]supplier {
		t.Helper()
		var got struct{ Suppliers []supplier }
		getJSON(t, base+"/v1/suppliers", &got)
		out := map[string]supplier{}
		for _, s := range got.Suppliers {
			out[s.Supplier] = s
		}
		return out
	}
	waitFor(t, "the test supplier's balance", func() bool { b := status()[testsupplier.Name].Balance; return b != nil })
	sup := status()
	if len(sup) != 3 {
		t.Fatalf("suppliers: got %v, want senpay, isipay and %s", slices.Sorted(maps.Keys(sup)), testsupplier.Name)
	}
	ts := sup[testsupplier.Name]
	if ts.State != "ok" || ts.Seen != 3 || ts.Added != 3 || ts.ActiveOffers != 3 {
		t.Fatalf("%s: got state %s, seen %d, added %d, active %d; want ok with its 3 offers", testsupplier.Name, ts.State, ts.Seen, ts.Added, ts.ActiveOffers)
	}
	if *ts.Balance != 5_000_000 {
		t.Fatalf("%s balance: got %d, want 5000000", testsupplier.Name, *ts.Balance)
	}

	// Matched: its 86 Diamonds is the demo catalogs' item, and the cheapest.
	type offers struct {
		Item struct {
			Price  *int64 `json:"price"`
			Offers []struct {
				Supplier string `json:"supplier"`
				Code     string `json:"code"`
				Chosen   bool   `json:"chosen"`
			} `json:"offers"`
		} `json:"item"`
	}
	var it offers
	getJSON(t, base+"/v1/items/"+item+"/offers", &it)
	bySupplier := map[string]string{}
	chosen := ""
	for _, o := range it.Item.Offers {
		bySupplier[o.Supplier] = o.Code
		if o.Chosen {
			chosen = o.Supplier
		}
	}
	if bySupplier[testsupplier.Name] != "ML-86" || bySupplier["isipay"] == "" || bySupplier["senpay"] == "" || chosen != testsupplier.Name {
		t.Fatalf("%s offers: got %v, chosen %q; want the three suppliers' 86 Diamonds, the test supplier's chosen", item, bySupplier, chosen)
	}

	// Priced by a rule on its name: 19900 + 10%, up to the hundred.
	rule := `{"name": "third +10%", "match": {"supplier": "` + testsupplier.Name + `"},
		"action": {"kind": "markup_percent", "value": "10", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`
	if resp, body := send(t, "POST", base+"/v1/rules", rule); resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/rules: got %d %s", resp.StatusCode, body)
	}
	getJSON(t, base+"/v1/items/"+item+"/offers", &it)
	if it.Item.Price == nil || *it.Item.Price != 21900 {
		t.Fatalf("%s price: got %v, want 21900 (19900 + 10%%, rounded up to 100)", item, it.Item.Price)
	}

	// Ordered from it while it is the cheapest.
	first := placeThird(t, base, "third-1", 21900)
	if first.Status != orders.Success || first.Supplier != testsupplier.Name {
		t.Fatalf("first order: got %s at %q (%s), want success at %s", first.Status, first.Supplier, first.Reason, testsupplier.Name)
	}
	if got := third.Orders(); len(got) != 1 || got[0].Ref == "" || got[0].Fields["user_id"] != "12345678" || got[0].Fields["server"] != "2001" {
		t.Fatalf("orders at the test supplier: got %+v, want one with the buyer's answers", got)
	}

	// Its clear refusal sends the order on to the next cheapest supplier.
	third.SetInStock("ML-86", false)
	second := placeThird(t, base, "third-2", 21900)
	if second.Status != orders.Success || second.Supplier != "isipay" {
		t.Fatalf("second order: got %s at %q (%s), want success at isipay after the refusal", second.Status, second.Supplier, second.Reason)
	}
	if n := len(third.Orders()); n != 1 {
		t.Fatalf("orders at the test supplier: got %d, want still 1", n)
	}
	_, routing := send(t, "GET", base+"/v1/orders/"+second.ID+"/routing", "")
	if !strings.Contains(string(routing), testsupplier.Name) || !strings.Contains(string(routing), "out of stock") {
		t.Fatalf("routing of the second order: %s, want the test supplier's refusal in it", routing)
	}

	// The console's suppliers page lists it, with its balance.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := func(method, path string, form url.Values) string {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "GET" {
			resp, err = browser.Get(base + path)
		} else {
			resp, err = browser.PostForm(base+path, form)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: got %d: %.300s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page("GET", "/console/signin", nil))
	if csrf == nil {
		t.Fatal("no csrf field on the sign-in page")
	}
	page("POST", "/console/signin", url.Values{"csrf": {csrf[1]}, "token": {testAdmin}})
	suppliersPage := page("GET", "/console/suppliers", nil)
	for _, want := range []string{testsupplier.Name, "Sync " + testsupplier.Name + " now", "senpay", "isipay"} {
		if !strings.Contains(suppliersPage, want) {
			t.Errorf("console suppliers page lacks %q", want)
		}
	}
}

// placeThird orders the 86 Diamonds at price as the admin and waits for
// the order to be final.
func placeThird(t *testing.T, base, ref string, price int64) orders.Order {
	t.Helper()
	body := fmt.Sprintf(`{"reference": %q, "item": "mobile-legends.diamonds-86-78-8", "expected_price": %d,
		"fields": {"user_id": "12345678", "server": "2001"}}`, ref, price)
	resp, b := send(t, "POST", base+"/v1/orders", body)
	var o orders.Order
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &o) != nil {
		t.Fatalf("POST /v1/orders %s: got %d %s, want 201", ref, resp.StatusCode, b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !o.Status.Final() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		getJSON(t, base+"/v1/orders/"+o.ID, &o)
	}
	return o
}

// send calls the API as the admin.
func send(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdmin)
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

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, body := send(t, "GET", url, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: got %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

// TestNoSupplierNamedOutsideItsPackage: no Go file of the module outside
// suppliers/ and the registration file (suppliers.go here) names a
// registered supplier, the test one included, in code, identifiers or
// comments, whatever the case; only tests import the test supplier and
// the conformance suite; and no adapter imports another.
func TestNoSupplierNamedOutsideItsPackage(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(registered), testsupplier.Descriptor)
	var names []string
	for _, d := range all {
		names = append(names, strings.ToLower(d.Name))
	}
	const module = "github.com/syncd/syncd/"
	testOnly := []string{module + "suppliers/testsupplier", module + "suppliers/supplierstest"}
	checked := 0
	err = filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if e.IsDir() {
			if strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" || e.Name() == "node_modules" {
				return filepath.SkipDir
			}
			// A directory with its own go.mod is another module (the
			// examples/ storefronts, whose generated client copies the
			// API document's words), as it is to go build and go vet.
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		checked++
		for _, pkg := range testOnly {
			if strings.Contains(src, `"`+pkg) && !strings.HasPrefix(rel, strings.TrimPrefix(pkg, module)+"/") {
				t.Errorf("%s imports %s, which only tests may", rel, pkg)
			}
		}
		if adapter, ok := adapterOf(rel, names); ok {
			for _, other := range names {
				if other != adapter && strings.Contains(src, `"`+module+"suppliers/"+other) {
					t.Errorf("%s: the %s adapter imports the %s adapter", rel, adapter, other)
				}
			}
		}
		if strings.HasPrefix(rel, "suppliers/") || rel == "cmd/syncd/suppliers.go" {
			return nil
		}
		for i, line := range strings.Split(src, "\n") {
			low := strings.ToLower(line)
			for _, name := range names {
				if strings.Contains(low, name) {
					t.Errorf("%s:%d names supplier %s: %s", rel, i+1, name, strings.TrimSpace(line))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked %d files, want the whole module", checked)
	}
}

// adapterOf is the adapter a file of suppliers/<name>/ (or below) belongs
// to.
func adapterOf(rel string, names []string) (string, bool) {
	rest, ok := strings.CutPrefix(rel, "suppliers/")
	if !ok {
		return "", false
	}
	dir, _, ok := strings.Cut(rest, "/")
	return dir, ok && slices.Contains(names, dir)
}
