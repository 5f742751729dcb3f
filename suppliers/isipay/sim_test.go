package isipay

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// The HTTP timeouts of test clients. A call that must be answered gets
// room for a loaded CI machine (a 200 ms timeout once turned a slow reply
// into an unknown outcome there); a test that hangs the simulator on
// purpose waits out hangTimeout instead.
const (
	clientTimeout = 10 * time.Second
	hangTimeout   = time.Second
)

func demoCatalog(t testing.TB) *isipaysim.Catalog {
	t.Helper()
	cat, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// startSim serves a simulator of the demo catalog and returns a client of
// it with fast retries and no rate limit.
func startSim(t testing.TB, opts isipaysim.Options) (*isipaysim.Sim, *Client, string) {
	t.Helper()
	return startSimTimeout(t, opts, clientTimeout)
}

// startHungSim is startSim for a test that hangs the simulator: its client
// gives up after hangTimeout.
func startHungSim(t testing.TB, opts isipaysim.Options) (*isipaysim.Sim, *Client, string) {
	t.Helper()
	return startSimTimeout(t, opts, hangTimeout)
}

// timeoutFor is the client timeout a test of fault f needs.
func timeoutFor(f isipaysim.Fault) time.Duration {
	if f.Mode == isipaysim.FaultTimeout {
		return hangTimeout
	}
	return clientTimeout
}

func startSimTimeout(t testing.TB, opts isipaysim.Options, timeout time.Duration) (*isipaysim.Sim, *Client, string) {
	t.Helper()
	if opts.APIToken == "" {
		opts.APIToken = testToken
	}
	sim := isipaysim.New(demoCatalog(t), opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c := New(Config{
		BaseURL:       srv.URL,
		APIToken:      testToken,
		HTTP:          &http.Client{Timeout: timeout},
		RatePerSecond: -1,
		Retry:         fastRetry,
	})
	return sim, c, srv.URL
}

func TestClientAgainstSimulator(t *testing.T) {
	sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000})
	ctx := context.Background()

	acc, err := c.Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Name != "Syncd Demo Store" || acc.Membership != "Gold" || !acc.Balance.Equal(decimal.NewFromInt(1_000_000)) {
		t.Errorf("Balance: got %+v", acc)
	}

	ps, err := c.Products(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 9 || ps[0] != (Product{Code: "mobile-legends", Name: "Mobile Legends", Active: true}) {
		t.Errorf("Products: got %d, first %+v; want 9, mobile-legends first", len(ps), ps[0])
	}

	vs, err := c.Variants(ctx, "mobile-legends")
	if err != nil {
		t.Fatal(err)
	}
	byCode := make(map[string]Variant)
	for _, v := range vs {
		byCode[v.Code] = v
	}
	if v := byCode["MLBB_ID_86"]; v.Name != "86 (78+8) Diamonds" || v.PriceRaw != "20350" || !v.Active {
		t.Errorf("MLBB_ID_86: got %+v", v)
	}

	o, err := c.Order(ctx, OrderRequest{Code: "MLBB_ID_86", ReferenceNumber: "ord-7-a1", Data: "12345678(1234)"})
	if err != nil {
		t.Fatal(err)
	}
	if o.InvoiceNumber != "RZ-RAPI000000001" {
		t.Errorf("invoice: got %q, want RZ-RAPI000000001", o.InvoiceNumber)
	}
	st, err := c.OrderStatus(ctx, o.InvoiceNumber)
	if err != nil {
		t.Fatal(err)
	}
	want := OrderStatus{InvoiceNumber: o.InvoiceNumber, ProductName: "Mobile Legends 86 (78+8) Diamonds", UserData: "12345678(1234)", StatusCode: StatusSuccess}
	if *st != want {
		t.Errorf("OrderStatus: got %+v, want %+v", *st, want)
	}
	acc, err = c.Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := decimal.NewFromInt(1_000_000 - 20350); !acc.Balance.Equal(want) {
		t.Errorf("balance after order: got %s, want %s", acc.Balance, want)
	}
	if got := sim.Orders(); len(got) != 1 || got[0].ReferenceNumber != "ord-7-a1" {
		t.Errorf("simulator orders: got %+v", got)
	}
}

func TestOrderProgressionThroughClient(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000, OrderDelay: time.Minute, Now: clock})
	sim.SetTargetOutcome("99999999(1)", StatusFailed)
	ctx := context.Background()

	ok, err := c.Order(ctx, OrderRequest{Code: "FF_ID_100", ReferenceNumber: "ord-1-a1", Data: "123456789"})
	if err != nil {
		t.Fatal(err)
	}
	bad, err := c.Order(ctx, OrderRequest{Code: "FF_ID_100", ReferenceNumber: "ord-2-a1", Data: "99999999(1)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range []string{ok.InvoiceNumber, bad.InvoiceNumber} {
		st, err := c.OrderStatus(ctx, inv)
		if err != nil || st.StatusCode != StatusPending {
			t.Errorf("%s before the delay: got %+v, %v; want Pending", inv, st, err)
		}
	}
	now = now.Add(time.Minute)
	for inv, want := range map[string]string{ok.InvoiceNumber: StatusSuccess, bad.InvoiceNumber: StatusFailed} {
		st, err := c.OrderStatus(ctx, inv)
		if err != nil || st.StatusCode != want {
			t.Errorf("%s after the delay: got %+v, %v; want %s", inv, st, err, want)
		}
	}
	acc, err := c.Balance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The failed order was refunded.
	if want := decimal.NewFromInt(1_000_000 - 13900); !acc.Balance.Equal(want) {
		t.Errorf("balance: got %s, want %s", acc.Balance, want)
	}
}

func TestOrderRefusalsThroughClient(t *testing.T) {
	sim, c, _ := startSim(t, isipaysim.Options{Balance: 50_000})
	ctx := context.Background()
	if _, err := c.Order(ctx, OrderRequest{Code: "MLBB_ID_86", ReferenceNumber: "ord-1-a1", Data: "1(1)"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		req  OrderRequest
		want suppliers.Kind
	}{
		{"insufficient balance", OrderRequest{Code: "MLBB_ID_706", ReferenceNumber: "ord-2-a1", Data: "1(1)"}, suppliers.KindRejected},
		{"inactive variant", OrderRequest{Code: "MLBB_ID_3688", ReferenceNumber: "ord-3-a1", Data: "1(1)"}, suppliers.KindRejected},
		{"inactive product", OrderRequest{Code: "CODM_31", ReferenceNumber: "ord-4-a1", Data: "1"}, suppliers.KindRejected},
		{"unknown variant", OrderRequest{Code: "MLBB_ID_999", ReferenceNumber: "ord-5-a1", Data: "1(1)"}, suppliers.KindRejected},
		// The first order under this reference stands: never "rejected".
		{"reused reference", OrderRequest{Code: "MLBB_ID_5", ReferenceNumber: "ord-1-a1", Data: "1(1)"}, suppliers.KindUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Order(ctx, tt.req)
			checkKind(t, err, tt.want, "POST "+pathOrder)
		})
	}
	if n := len(sim.Orders()); n != 1 {
		t.Errorf("orders: got %d, want 1", n)
	}
	if _, err := c.OrderStatus(ctx, "RZ-RAPI999999999"); suppliers.KindOf(err) != suppliers.KindRejected {
		t.Errorf("status of an unknown invoice: got %v, want rejected", err)
	}
}

func TestFetchCatalogOfDemoCatalog(t *testing.T) {
	sim, c, _ := startSim(t, isipaysim.Options{})
	cat, err := c.FetchCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Games) != 9 || len(cat.Offers) != 85 {
		t.Fatalf("got %d games, %d offers; want 9 and 85", len(cat.Games), len(cat.Offers))
	}
	if got := sim.Requests("/api/v1/variant"); got != 9 {
		t.Errorf("variant requests: got %d, want 9", got)
	}
	games := make(map[string]offers.SupplierGame)
	for i, g := range cat.Games {
		games[g.Code] = g
		if len(g.Form) != 0 {
			t.Errorf("game %s: got a form of %d fields, want none", g.Code, len(g.Form))
		}
		if i == 0 && g.Code != "mobile-legends" {
			t.Errorf("first game: got %s, want the product listing's order", g.Code)
		}
	}
	if games["call-of-duty-mobile"].Active || !games["pubg-mobile"].Active || !games["mlbb-ph"].Active {
		t.Errorf("game activity: got %+v", games)
	}
	offers := make(map[string]offers.Offer)
	for _, o := range cat.Offers {
		if _, ok := games[o.GameCode]; !ok {
			t.Errorf("offer %s of unknown game %q", o.Code, o.GameCode)
		}
		offers[o.Code] = o
	}
	tests := []struct {
		code, game, name, raw, duration string
		active                          bool
	}{
		{"MLBB_ID_5", "mobile-legends", "5 (5+0) Diamonds", "1389", "0", true},
		{"MLBB_ID_86", "mobile-legends", "86 (78+8) Diamonds", "20350", "0", true}, // price as a string
		{"MLBB_ID_19", "mobile-legends", "19 (17+2) Diamonds", "5180", "0", true},  // is_active true
		{"MLBB_ID_344", "mobile-legends", "344 (312+32) Diamonds", "81380", "5", true},
		{"MLBB_ID_3688", "mobile-legends", "3.688 (3099+589) Diamonds", "813450", "0", false},
		{"MLBB_ID_WDP2", "mobile-legends", "Weekly Diamond Pass x2", "55560", "0", true},
		{"MLBB_MY_86", "mobile-legends-my", "86 (78+8) Diamonds", "21150", "0", true},
		{"FF_ID_70", "free-fire", "70 Diamonds", "9350.00", "1", true},
		{"FF_ID_1450", "free-fire", "1.450 Diamonds", "185600", "1", true},
		{"FF_ID_MB", "free-fire", "Membership Bulanan", "81900", "0", false},
		{"GI_60", "genshin-impact", "60 Genesis Crystals", "13875.5", "15", true}, // fractional
		{"GI_WELKIN", "genshin-impact", "Blessing of the Welkin Moon", "68900", "15", true},
		{"PUBGM_60", "pubg-mobile", "60 UC", "14150", "3", true}, // product is_active 1
		{"PUBGM_8100", "pubg-mobile", "8.100 UC", "1408000", "3", false},
		{"VALO_125", "valorant", "125 VP", "14250", "0", true},
		{"HSR_EXPRESS", "honkai-star-rail", "Express Supply Pass", "68750", "15", true},
		{"CODM_31", "call-of-duty-mobile", "31 CP", "4850", "0", false}, // inactive product
	}
	for _, tt := range tests {
		o, ok := offers[tt.code]
		if !ok {
			t.Errorf("offer %s missing", tt.code)
			continue
		}
		if o.GameCode != tt.game || o.Name != tt.name || o.CostRaw != tt.raw || !o.Cost.Equal(decimal.RequireFromString(tt.raw)) ||
			o.ProcessDuration != tt.duration || o.Active != tt.active {
			t.Errorf("offer %s: got %+v, want game %s name %q cost %s duration %q active %v",
				tt.code, o, tt.game, tt.name, tt.raw, tt.duration, tt.active)
		}
	}
}

func TestFetchCatalogFailsWhole(t *testing.T) {
	tests := []struct {
		name  string
		fault isipaysim.Fault
		want  suppliers.Kind
	}{
		{"garbage variants", isipaysim.Fault{Path: "/api/v1/variant", Mode: isipaysim.FaultGarbage}, suppliers.KindBadReply},
		{"variants down", isipaysim.Fault{Path: "/api/v1/variant", Mode: isipaysim.FaultHTTP500}, suppliers.KindUnavailable},
		{"products truncated", isipaysim.Fault{Path: "/api/v1/product", Mode: isipaysim.FaultTruncated}, suppliers.KindBadReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c, _ := startSim(t, isipaysim.Options{})
			sim.Fail(tt.fault)
			cat, err := c.FetchCatalog(context.Background())
			if cat != nil {
				t.Errorf("got a catalog of %d offers, want none", len(cat.Offers))
			}
			if got := suppliers.KindOf(err); got != tt.want {
				t.Errorf("got %v, want %s", err, tt.want)
			}
		})
	}
}

func TestFetchCatalogStopsAtFirstError(t *testing.T) {
	sim, c, _ := startSim(t, isipaysim.Options{})
	c.concurrency = 1 // one request at a time makes the count exact
	sim.Fail(isipaysim.Fault{Path: "/api/v1/variant", Mode: isipaysim.FaultEmpty})
	if _, err := c.FetchCatalog(context.Background()); suppliers.KindOf(err) != suppliers.KindBadReply {
		t.Fatalf("got %v, want bad_reply", err)
	}
	if got := sim.Requests("/api/v1/variant"); got != 1 {
		t.Errorf("variant requests: got %d, want 1 (the rest cancelled)", got)
	}
}

func TestFetchCatalogRefusesEmptyProductList(t *testing.T) {
	srv := httptest.NewServer(isipaysim.New(nil, isipaysim.Options{APIToken: testToken}))
	t.Cleanup(srv.Close)
	c := New(Config{BaseURL: srv.URL, APIToken: testToken, RatePerSecond: -1, Retry: fastRetry})
	_, err := c.FetchCatalog(context.Background())
	checkKind(t, err, suppliers.KindBadReply, "POST "+pathProduct)
}

func TestFetchCatalogSeesSteering(t *testing.T) {
	sim, c, _ := startSim(t, isipaysim.Options{})
	sim.SetPrice("MLBB_ID_86", 19990)
	sim.SetActive("MLBB_ID_5", false)
	sim.Remove("VALO_8150")
	sim.Add("valorant", isipaysim.NewVariant("VALO_11000", "11.000 VP", 1_049_000))
	cat, err := c.FetchCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	offers := make(map[string]offers.Offer)
	for _, o := range cat.Offers {
		offers[o.Code] = o
	}
	if o := offers["MLBB_ID_86"]; !o.Cost.Equal(decimal.NewFromInt(19990)) {
		t.Errorf("repriced: got %s, want 19990", o.Cost)
	}
	if offers["MLBB_ID_5"].Active {
		t.Errorf("deactivated MLBB_ID_5 is active")
	}
	if _, ok := offers["VALO_8150"]; ok {
		t.Errorf("removed VALO_8150 is listed")
	}
	if o := offers["VALO_11000"]; o.GameCode != "valorant" || !o.Active {
		t.Errorf("added VALO_11000: got %+v", o)
	}
}

func BenchmarkFetchCatalog(b *testing.B) {
	sim := isipaysim.New(isipaysim.Generate(500, 100, 1), isipaysim.Options{APIToken: testToken})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, APIToken: testToken, RatePerSecond: -1, Concurrency: 8})
	for b.Loop() {
		cat, err := c.FetchCatalog(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(cat.Offers) != 50_000 {
			b.Fatalf("got %d offers, want 50000", len(cat.Offers))
		}
	}
}
