package senpay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

func TestProvidersFromSimulator(t *testing.T) {
	_, srv := demoSim(t, senpaysim.Options{})
	ps, err := testClient(srv, 5*time.Second).Providers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 12 {
		t.Fatalf("got %d providers, want 12 (inactive ones included)", len(ps))
	}
	byCode := map[string]Provider{}
	for _, p := range ps {
		byCode[p.Code] = p
	}
	if p := byCode["RXNG-BJ"]; p.Active {
		t.Errorf("RXNG-BJ: got active, want inactive")
	}
	gi := byCode["GI-BJ"]
	if !gi.Active || len(gi.Form) != 2 || gi.Form[1].Type != "dropdown" || len(gi.Form[1].Options) != 4 || gi.Form[1].Options[3].Code != "os_cht" {
		t.Errorf("GI-BJ: got %+v", gi)
	}
	if got := byCode["AKV-BJ"].Form[1].Options[0].Code; got != "10040400" {
		t.Errorf("AKV-BJ numeric option code: got %q, want %q", got, "10040400")
	}
	if got := byCode["FFMAX-BJ-V3"].IconURL; got != "https://senpay.id/images/provider/17182474347Vr0hpu1dG.png" {
		t.Errorf("icon url: got %q", got)
	}
}

func TestProductsFromSimulator(t *testing.T) {
	_, srv := demoSim(t, senpaysim.Options{})
	c := testClient(srv, 5*time.Second)
	ctx := context.Background()

	ps, err := c.Products(ctx, "FFMAX-BJ-V3")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 16 || ps[1].Code != "FFMAX-BJ-V3FFMAX_ID_10" || ps[1].PriceRaw != "1864.50" || !ps[1].Price.Equal(dec("1864.5")) {
		t.Fatalf("got %d products, second %+v", len(ps), ps[1])
	}

	p, err := c.Product(ctx, "MLBB-BJ-V3-ALLMLBB_ID_86")
	if err != nil {
		t.Fatal(err)
	}
	if p.PriceRaw != "22870" || p.ProviderCode != "MLBB-BJ-V3-ALL" || p.Name != "86 (78+8) Diamonds" {
		t.Errorf("got %+v", p)
	}

	_, err = c.Product(ctx, "MLBB-BJ-V3-ALLMLBB_ID_9999")
	wantKind(t, err, suppliers.KindRejected)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
	_, err = c.Products(ctx, "NOPE-BJ")
	wantKind(t, err, suppliers.KindRejected)
}

func TestOrderLifecycle(t *testing.T) {
	clk := testclock.At(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	sim, srv := demoSim(t, senpaysim.Options{OrderDelay: time.Minute, Now: clk.Now, Balance: 1_000_000})
	c := testClient(srv, 5*time.Second)
	ctx := context.Background()
	sim.SetTargetOutcome("999000111", StatusFailed)

	tests := []struct {
		user, want string
	}{
		{"1122334455", StatusSuccess},
		{"999000111", StatusFailed},
	}
	for i, tt := range tests {
		trx, err := c.CreateTransaction(ctx, TransactionRequest{
			ProductCode:      "MLBB-BJ-V3-ALLMLBB_ID_5",
			PartnerReference: fmt.Sprintf("ORD-%d-1", i),
			Fields:           map[string]string{"id": tt.user, "server": "2211"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if trx.Status != StatusProcessing || !strings.HasPrefix(trx.Reference, "TRX") || !trx.Price.Equal(dec("1425")) ||
			trx.PartnerReference != fmt.Sprintf("ORD-%d-1", i) || !strings.HasSuffix(trx.InvoiceURL, "/trx/"+trx.Reference) {
			t.Fatalf("created: got %+v", trx)
		}
		got, err := c.Transaction(ctx, trx.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusProcessing || got.Final() {
			t.Errorf("before the delay: got status %q, want processing", got.Status)
		}
		clk.Add(time.Minute)
		got, err = c.Transaction(ctx, trx.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != tt.want || !got.Final() || got.Note == "" || got.CreatedAt.IsZero() || !got.StatusAt.After(got.CreatedAt) {
			t.Errorf("after the delay: got %+v, want status %s", got, tt.want)
		}
	}
	// The failed order's price went back to the balance.
	if bal, _ := sim.Balance(); !bal.Equal(dec("998575")) {
		t.Errorf("got balance %s, want 998575", bal)
	}

	_, err := c.Transaction(ctx, "TRX000")
	wantKind(t, err, suppliers.KindRejected)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
}

func TestCreateRefusals(t *testing.T) {
	ctx := context.Background()
	mlbb := func(ref string) TransactionRequest {
		return TransactionRequest{ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_5", PartnerReference: ref,
			Fields: map[string]string{"id": "1122334455", "server": "2211"}}
	}
	tests := []struct {
		name    string
		req     TransactionRequest
		cfg     func(*Config)
		want    suppliers.Kind
		wantMsg string
		sent    bool // whether the request reaches Senpay
	}{
		{"inactive product", TransactionRequest{ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_5532", PartnerReference: "R1",
			Fields: map[string]string{"id": "1", "server": "2"}}, nil, suppliers.KindRejected, "Produk sedang tidak aktif", true},
		{"inactive provider", TransactionRequest{ProductCode: "RXNG-BJRXNG_60", PartnerReference: "R2",
			Fields: map[string]string{"id": "1", "server": "2"}}, nil, suppliers.KindRejected, "Produk sedang tidak aktif", true},
		{"unknown product", TransactionRequest{ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_7", PartnerReference: "R3"}, nil,
			suppliers.KindRejected, "Produk tidak ditemukan", true},
		{"missing form field", TransactionRequest{ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_5", PartnerReference: "R4",
			Fields: map[string]string{"id": "1122334455"}}, nil, suppliers.KindRejected, "Zone ID wajib diisi", true},
		{"bad dropdown value", TransactionRequest{ProductCode: "GI-BJGI_60", PartnerReference: "R5",
			Fields: map[string]string{"id": "800123456", "server": "Asia"}}, nil, suppliers.KindRejected, "Server tidak valid", true},
		{"no balance", TransactionRequest{ProductCode: "GI-BJGI_8080", PartnerReference: "R6",
			Fields: map[string]string{"id": "800123456", "server": "os_asia"}}, nil, suppliers.KindRejected, "Saldo tidak mencukupi", true},
		{"wrong secret", mlbb("R7"), func(c *Config) { c.SecretKey = "nope" }, suppliers.KindUnauthorized, "Invalid signature", true},
		{"wrong api key", mlbb("R8"), func(c *Config) { c.APIKey = "nope" }, suppliers.KindUnauthorized, "Invalid API Key", true},
		{"reused partner reference", mlbb("DONE-1"), nil, suppliers.KindUnknownOutcome, "Partner reference sudah digunakan", true},
		{"empty partner reference", mlbb(""), nil, suppliers.KindRejected, "", false},
		{"form key shadows product code", TransactionRequest{ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_5", PartnerReference: "R9",
			Fields: map[string]string{"target_product_code": "GI-BJGI_8080"}}, nil, suppliers.KindRejected, "", false},
	}
	sim, srv := demoSim(t, senpaysim.Options{Balance: 500_000})
	if _, err := testClient(srv, 5*time.Second).CreateTransaction(ctx, mlbb("DONE-1")); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sim.Requests(pathCreate)
			var mods []func(*Config)
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			_, err := testClient(srv, 5*time.Second, mods...).CreateTransaction(ctx, tt.req)
			e := wantKind(t, err, tt.want)
			if e.Message != tt.wantMsg {
				t.Errorf("got message %q, want %q", e.Message, tt.wantMsg)
			}
			if got := sim.Requests(pathCreate) - before; got != map[bool]int{true: 1, false: 0}[tt.sent] {
				t.Errorf("got %d create requests, want sent=%v", got, tt.sent)
			}
		})
	}
	if got := len(sim.Transactions()); got != 1 {
		t.Errorf("got %d orders, want only the first", got)
	}
	// Dropdown codes sent as JSON numbers by Senpay are ordered as text.
	if _, err := testClient(srv, 5*time.Second).CreateTransaction(ctx, TransactionRequest{ProductCode: "AKV-BJAKV_60",
		PartnerReference: "AKV-1", Fields: map[string]string{"id": "5550001", "server": "10040400"}}); err != nil {
		t.Errorf("numeric option code: %v", err)
	}
}

// What goes on the wire for a create: the PHP example's headers and a flat
// JSON object of strings.
func TestCreateRequestShape(t *testing.T) {
	var (
		got    map[string]any
		header http.Header
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Clone()
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &got)
		w.Write(recorded(t, "create_success.json"))
	}))
	defer srv.Close()
	_, err := testClient(srv, 5*time.Second).CreateTransaction(context.Background(), TransactionRequest{
		ProductCode: "MLBB-BJ-V3-ALLMLBB_ID_5", PartnerReference: "INV12345678",
		Fields: map[string]string{"id": "1122334455", "server": "112233"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"target_product_code": "MLBB-BJ-V3-ALLMLBB_ID_5", "partner_reference": "INV12345678", "id": "1122334455", "server": "112233"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got body %v, want %v", got, want)
	}
	for k, v := range map[string]string{"Authorization": "Bearer test-api-key", "Signature": "test-secret-key",
		"Content-Type": "application/json", "Accept": "application/json"} {
		if header.Get(k) != v {
			t.Errorf("header %s: got %q, want %q", k, header.Get(k), v)
		}
	}
}

func TestSecretsStayOut(t *testing.T) {
	const apiKey, secret = "sk-live-API-0001", "sk-live-SECRET-0002"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(recorded(t, "html_error.html"))
	}))
	defer srv.Close()
	cfg := Config{BaseURL: srv.URL, APIKey: apiKey, SecretKey: secret, Retry: fastRetry}
	c := New(cfg)
	_, err1 := c.Providers(context.Background())
	_, err2 := c.CreateTransaction(context.Background(), TransactionRequest{ProductCode: "X", PartnerReference: "Y"})
	for _, s := range []string{
		fmt.Sprint(err1), fmt.Sprint(err2), c.String(),
		// Each formatting verb is what is tested: none may print a secret.
		fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
		//lint:ignore S1025 the %s verb itself is under test
		fmt.Sprintf("%s", cfg),
	} {
		if strings.Contains(s, apiKey) || strings.Contains(s, secret) {
			t.Errorf("secret leaked: %s", s)
		}
	}
}

// The documented reconciliation path: a create whose reply is lost leaves an
// order at Senpay that the status endpoint cannot find without Senpay's
// reference. Retrying with the same partner_reference must not look like a
// clean rejection; the transaction_status webhook names partner_reference.
func TestLostCreateReply(t *testing.T) {
	sim, srv := demoSim(t, senpaysim.Options{})
	c := testClient(srv, 5*time.Second) // nothing hangs: accept-drop closes at once
	ctx := context.Background()
	req := TransactionRequest{ProductCode: "VALO-BJVALO_420", PartnerReference: "ORD-77-1", Fields: map[string]string{"id": "Raze#ID1"}}

	sim.Fail(senpaysim.Fault{Path: pathCreate, Mode: senpaysim.FaultAcceptDrop, Count: 1})
	_, err := c.CreateTransaction(ctx, req)
	wantKind(t, err, suppliers.KindUnknownOutcome)
	orders := sim.Transactions()
	if len(orders) != 1 || orders[0].PartnerReference != "ORD-77-1" {
		t.Fatalf("got orders %+v, want the one accepted", orders)
	}

	_, err = c.CreateTransaction(ctx, req)
	wantKind(t, err, suppliers.KindUnknownOutcome)
	if !errors.Is(err, ErrDuplicateReference) {
		t.Errorf("got %v, want ErrDuplicateReference", err)
	}
	if got := len(sim.Transactions()); got != 1 {
		t.Errorf("got %d orders, want 1", got)
	}
}
