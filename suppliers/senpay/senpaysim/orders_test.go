package senpaysim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testclock"
)

func orderBody(code, ref, user string) string {
	return fmt.Sprintf(`{"target_product_code": %q, "partner_reference": %q, "id": %q, "server": "2211"}`, code, ref, user)
}

type created struct {
	Reference        string      `json:"reference"`
	PartnerReference string      `json:"partner_reference"`
	Provider         string      `json:"provider"`
	Product          string      `json:"product"`
	Price            json.Number `json:"price"`
	Status           string      `json:"status"`
	InvoiceURL       string      `json:"invoice_url"`
}

type status struct {
	Reference   string `json:"reference"`
	Status      string `json:"status"`
	StatusAt    string `json:"status_at"`
	SN          string `json:"sn"`
	Note        string `json:"note"`
	CreatedAt   string `json:"created_at"`
	WebhookSent bool   `json:"webhook_sent"`
}

func TestOrderProgression(t *testing.T) {
	clk := testclock.At(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	s, srv := start(t, Options{OrderDelay: 30 * time.Second, Now: clk.Now, Balance: 100_000})
	s.SetTargetOutcome("666", StatusFailed)
	s.SetTargetOutcome("777", StatusProcessing)
	s.SetTargetOutcome("888", StatusExpired)

	tests := []struct {
		user, want string
	}{
		{"1122334455", StatusSuccess},
		{"666", StatusFailed},
		{"777", StatusProcessing}, // stuck
		{"888", StatusExpired},
	}
	refs := make([]string, len(tests))
	for i, tt := range tests {
		r := create(t, srv, orderBody("MLBB-BJ-V3-ALLMLBB_ID_5", fmt.Sprintf("P-%d", i), tt.user))
		var c created
		if err := json.Unmarshal(r.Data, &c); err != nil || r.Status != 200 {
			t.Fatalf("create: got %s", r.Raw)
		}
		if !regexp.MustCompile(`^TRX240703\d{11}$`).MatchString(c.Reference) || c.Status != StatusProcessing ||
			c.Price.String() != "1425" || c.Product != "5 (5+0) Diamonds" || c.Provider != "Mobile Legends [PROMO TERMURAH] V3" ||
			c.InvoiceURL != srv.URL+"/trx/"+c.Reference {
			t.Errorf("create: got %+v", c)
		}
		refs[i] = c.Reference
	}
	if bal, _ := s.Balance(); bal.String() != "94300" {
		t.Errorf("got balance %s after 4 orders, want 94300", bal)
	}
	check := func(when string, final bool) {
		for i, tt := range tests {
			var st status
			r := get(t, srv, PathTransaction+refs[i])
			json.Unmarshal(r.Data, &st)
			want := StatusProcessing
			if final {
				want = tt.want
			}
			if st.Status != want {
				t.Errorf("%s, user %s: got %q, want %q", when, tt.user, st.Status, want)
			}
			if st.CreatedAt != "2024-07-03T08:00:00.000000Z" {
				t.Errorf("created_at: got %q", st.CreatedAt)
			}
		}
	}
	check("at once", false)
	clk.Add(29 * time.Second)
	check("before the delay", false)
	clk.Add(time.Second)
	check("after the delay", true)

	var st status
	json.Unmarshal(get(t, srv, PathTransaction+refs[0]).Data, &st)
	if st.SN != "N/A" || st.Note != "Transaksi berhasil pada 2024/07/03 15:00:30 WIB" || st.StatusAt != "2024-07-03T08:00:30.000000Z" {
		t.Errorf("success: got %+v", st)
	}
	// Failed and expired orders are refunded; the stuck one is still paid for.
	if bal, _ := s.Balance(); bal.String() != "97150" {
		t.Errorf("got balance %s, want 97150", bal)
	}
	txs := s.Transactions()
	if len(txs) != 4 || txs[1].Status != StatusFailed || txs[1].Fields["id"] != "666" || txs[0].ProductCode != "MLBB-BJ-V3-ALLMLBB_ID_5" {
		t.Errorf("got %+v", txs)
	}
}

func TestCreateValidation(t *testing.T) {
	clk := testclock.At(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	s, srv := start(t, Options{Now: clk.Now, Balance: 50_000})
	if r := create(t, srv, orderBody("MLBB-BJ-V3-ALLMLBB_ID_5", "DUP", "1")); r.Status != 200 {
		t.Fatalf("first order: %s", r.Raw)
	}
	tests := []struct{ name, body, want string }{
		{"not json", `id=1`, "Payload tidak valid"},
		{"object value", `{"target_product_code": "GI-BJGI_60", "partner_reference": "A", "id": {"x": 1}}`, "Field id tidak valid"},
		{"no product", `{"partner_reference": "A"}`, "Field target_product_code wajib diisi"},
		{"no reference", `{"target_product_code": "GI-BJGI_60"}`, "Field partner_reference wajib diisi"},
		{"duplicate reference", orderBody("MLBB-BJ-V3-ALLMLBB_ID_12", "DUP", "1"), "Partner reference sudah digunakan"},
		{"unknown product", orderBody("GI-BJGI_1", "A", "1"), "Produk tidak ditemukan"},
		{"inactive product", orderBody("PUBGM-RCFPUBGM_8100UC", "A", "1"), "Produk sedang tidak aktif"},
		{"inactive provider", orderBody("RXNG-BJRXNG_60", "A", "1"), "Produk sedang tidak aktif"},
		{"missing field", `{"target_product_code": "GI-BJGI_60", "partner_reference": "A", "id": "800123"}`, "Server wajib diisi"},
		{"bad option", `{"target_product_code": "GI-BJGI_60", "partner_reference": "A", "id": "800123", "server": "asia"}`, "Server tidak valid"},
		{"no balance", orderBody("MLBB-BJ-V3-ALLMLBB_ID_257", "A", "1"), "Saldo tidak mencukupi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := create(t, srv, tt.body)
			if r.Status != 400 || r.Message != tt.want {
				t.Errorf("got %s, want status 400 %q", r.Raw, tt.want)
			}
		})
	}
	if got := len(s.Transactions()); got != 1 {
		t.Errorf("got %d orders, want 1", got)
	}
	// Numbers are accepted where PHP clients send them, option codes
	// included.
	if r := create(t, srv, `{"target_product_code": "AKV-BJAKV_60", "partner_reference": "N", "id": 5550001, "server": 10040400}`); r.Status != 200 {
		t.Errorf("numeric values: got %s", r.Raw)
	}
	// A partner reference is free again after 24 hours.
	clk.Add(24 * time.Hour)
	if r := create(t, srv, orderBody("MLBB-BJ-V3-ALLMLBB_ID_5", "DUP", "1")); r.Status != 200 {
		t.Errorf("reference after 24h: got %s", r.Raw)
	}
}

// Orders, steering and reads all at once: the race detector's test.
func TestConcurrentUse(t *testing.T) {
	s, srv := start(t, Options{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				r := create(t, srv, orderBody("FF-BJ-V3FF_ID_5", fmt.Sprintf("C-%d-%d", i, j), "42"))
				if r.Status != 200 {
					t.Errorf("got %s", r.Raw)
				}
				s.SetPrice("FF-BJ-V3FF_ID_12", int64(2200+j))
				get(t, srv, PathProducts+"?provider=FF-BJ-V3")
				s.Transactions()
			}
		})
	}
	wg.Wait()
	txs := s.Transactions()
	seen := map[string]bool{}
	for _, tx := range txs {
		if seen[tx.Reference] {
			t.Errorf("reference %s given twice", tx.Reference)
		}
		seen[tx.Reference] = true
	}
	if len(txs) != 80 {
		t.Errorf("got %d orders, want 80", len(txs))
	}
	if !strings.HasPrefix(txs[0].InvoiceURL, "http://127.0.0.1") {
		t.Errorf("invoice url %q does not point at the simulator", txs[0].InvoiceURL)
	}
}
