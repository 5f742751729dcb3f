package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/orders"
)

func TestParseLowBalance(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"", "", ""},
		{"2h", "*=2h0m0s of spend", ""},
		{"isipay=2000000, 3h", "*=3h0m0s of spend,isipay=2000000", ""},
		{"senpay=90m,isipay=1", "isipay=1,senpay=1h30m0s of spend", ""},
		{"isipay=lots", "", "neither whole rupiah"},
		{"isipay=0", "", "from 1 to"},
		{"isipay=-5", "", "from 1 to"},
		{"isipay=10s", "", "from 1m to 720h"},
		{"isipai=1000", "", `no supplier "isipai"`},
		{"isipay=1,isipay=2", "", "already set"},
		{"1h,2h", "", "already set"},
	} {
		got, err := parseLowBalance(tc.in, []string{"senpay", "isipay"})
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: got error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("%q: %v", tc.in, err)
		case tc.err == "" && lowBalanceText(got) != tc.want:
			t.Errorf("%q: got %q, want %q", tc.in, lowBalanceText(got), tc.want)
		}
	}
}

// alertReceiver is an operator's endpoint for alerts.
type alertReceiver struct {
	url string
	mu  sync.Mutex
	got []orders.BalanceAlert
}

const alertSecret = "al3rt-secret"

func newAlertReceiver(t *testing.T) *alertReceiver {
	t.Helper()
	a := &alertReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if sig := r.Header.Get("X-Syncd-Signature"); sig != orders.Sign(alertSecret, body) {
			t.Errorf("alert signature: got %q, want the body signed with SYNCD_ALERT_SECRET", sig)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var al orders.BalanceAlert
		if err := json.Unmarshal(body, &al); err != nil {
			t.Errorf("alert body: %v: %s", err, body)
		}
		a.mu.Lock()
		a.got = append(a.got, al)
		a.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *alertReceiver) events() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, al := range a.got {
		out = append(out, strings.TrimPrefix(al.Event, "supplier.")+" "+al.Supplier)
	}
	return out
}

// sellerOf is the supplier the served catalog sells item from.
func sellerOf(r *running, item string) string {
	it, ok := r.app.catalog.Snapshot().Item(item)
	if !ok || it.Chosen == nil {
		return ""
	}
	return it.Chosen.Supplier
}

// TestServeDepositRunsOut: syncd serving against the simulators. Isipay's
// deposit is emptied at the simulator: within one balance check the items
// Isipay was cheapest for are priced from Senpay, and an order at the new
// price succeeds there; the operator gets one signed alert, the suppliers
// list and the metrics say low. A top-up brings the items back and says so.
func TestServeDepositRunsOut(t *testing.T) {
	s := newSims(t)
	rcv := newAlertReceiver(t)
	env := s.env()
	env["SYNCD_BALANCE_INTERVAL"] = "1s"
	env["SYNCD_ORDER_POLL_INTERVAL"] = "200ms"
	env["SYNCD_LOW_BALANCE"] = "isipay=5000000"
	env["SYNCD_ALERT_URL"], env["SYNCD_ALERT_SECRET"] = rcv.url, alertSecret
	r := startServe(t, env)
	r.waitReady(t)
	base := "http://" + r.at.API
	item, price, fields := cheapestAt(t, r.app.catalog.Snapshot(), "isipay")
	waitFor(t, "isipay's balance read", func() bool {
		bs, err := r.app.orders.Balances(t.Context())
		return err == nil && len(bs) == 1 && bs[0].Read != nil
	})

	s.isipay.SetBalance(100)
	waitFor(t, item+" priced from senpay", func() bool { return sellerOf(r, item) == "senpay" })
	snap := r.app.catalog.Snapshot()
	it, _ := snap.Item(item)
	newPrice := *it.PriceIn(catalog.PublicTier).Amount
	if newPrice <= price {
		t.Fatalf("price from senpay %d, want above isipay's %d", newPrice, price)
	}
	if !strings.Contains(it.Reason, "isipay skipped: estimated balance 100 below cost") {
		t.Errorf("reason: got %q", it.Reason)
	}
	o := placeOrder(t, base, testAdmin, "deposit-1", item, newPrice, fields)
	if o.Supplier != "senpay" {
		t.Fatalf("order at %d: got %q (%s), want senpay", newPrice, o.Supplier, o.Reason)
	}
	if o = orderStatus(t, base, testAdmin, o.ID); o.Status != orders.Success {
		t.Fatalf("order: got %s (%s), want success", o.Status, o.Reason)
	}

	waitFor(t, "the low-balance alert", func() bool { return len(rcv.events()) == 1 })
	var sup struct {
		Suppliers []struct {
			Supplier      string
			BalanceStatus string `json:"balance_status"`
		}
	}
	resp, body := get(t, base+"/v1/suppliers", testAdmin)
	if resp.StatusCode != 200 || json.Unmarshal(body, &sup) != nil {
		t.Fatalf("/v1/suppliers: %d %s", resp.StatusCode, body)
	}
	for _, e := range sup.Suppliers {
		if want := map[string]string{"isipay": "low", "senpay": "unknown"}[e.Supplier]; e.BalanceStatus != want {
			t.Errorf("%s balance_status: got %q, want %q", e.Supplier, e.BalanceStatus, want)
		}
	}
	fams := scrape(t, base+"/metrics", testAdmin)
	if v := one(t, fams, "syncd_supplier_balance_low", map[string]string{"supplier": "isipay"}); v != 1 {
		t.Errorf("syncd_supplier_balance_low: got %v, want 1", v)
	}
	if v := one(t, fams, "syncd_supplier_balance_low_warnings_total", map[string]string{"supplier": "isipay"}); v != 1 {
		t.Errorf("warnings: got %v, want 1", v)
	}

	// More checks at the same low balance warn no more.
	time.Sleep(2500 * time.Millisecond)
	s.isipay.SetBalance(10_000_000)
	waitFor(t, item+" back at isipay", func() bool { return sellerOf(r, item) == "isipay" })
	waitFor(t, "the recovery alert", func() bool { return len(rcv.events()) == 2 })
	if got, want := rcv.events(), []string{"balance_low isipay", "balance_ok isipay"}; !slices.Equal(got, want) {
		t.Fatalf("alerts: got %v, want %v", got, want)
	}
}

// TestServeRefusalRereadsBalance: the balance is checked once an hour;
// Isipay's deposit is spent elsewhere meanwhile. The first refusal for
// want of deposit reads the balance at once, and the catalog follows.
func TestServeRefusalRereadsBalance(t *testing.T) {
	s := newSims(t)
	env := s.env()
	env["SYNCD_BALANCE_INTERVAL"] = "1h"
	env["SYNCD_ORDER_POLL_INTERVAL"] = "200ms"
	r := startServe(t, env)
	r.waitReady(t)
	base := "http://" + r.at.API
	waitFor(t, "isipay's balance read at start", func() bool {
		bs, err := r.app.orders.Balances(t.Context())
		return err == nil && len(bs) == 1 && bs[0].Read != nil && *bs[0].Read == 10_000_000
	})
	item, price, fields := cheapestAt(t, r.app.catalog.Snapshot(), "isipay")
	s.isipay.SetBalance(100)
	o := placeOrder(t, base, testAdmin, "short-1", item, price, fields)
	// Isipay refused; Senpay's cost needs a higher price than the order's.
	if o = orderStatus(t, base, testAdmin, o.ID); o.Status != orders.Failed {
		t.Fatalf("order: got %s at %q (%s), want failed", o.Status, o.Supplier, o.Reason)
	}
	waitFor(t, "the balance read again", func() bool {
		bs, err := r.app.orders.Balances(t.Context())
		return err == nil && len(bs) == 1 && bs[0].Read != nil && *bs[0].Read == 100
	})
	waitFor(t, item+" priced from senpay", func() bool { return sellerOf(r, item) == "senpay" })
	fams := scrape(t, base+"/metrics", testAdmin)
	if v := one(t, fams, "syncd_order_insufficient_balance_total", map[string]string{"supplier": "isipay"}); v != 1 {
		t.Errorf("refusals for want of deposit: got %v, want 1", v)
	}
}
