package senpay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

func TestParseWebhook(t *testing.T) {
	t.Run("transaction_status", func(t *testing.T) {
		w, err := ParseWebhook(recorded(t, "webhook_transaction_status.json"))
		if err != nil {
			t.Fatal(err)
		}
		s := w.Status
		wantAt := time.Date(2024, 7, 2, 13, 11, 43, 249729000, time.UTC)
		if w.Type != WebhookTransactionStatus || s == nil || !w.SentAt.Equal(s.SentAt) || s.Reference != "TRX24070385294000934" ||
			s.PartnerReference != "INV12345678" || s.Status != StatusSuccess || s.SN != "N/A" ||
			s.Note != "Transaksi berhasil pada 2024/07/02 20:11:27 WIB" || !s.SentAt.Equal(wantAt) {
			t.Errorf("got %+v %+v", w, s)
		}
	})
	t.Run("price_update", func(t *testing.T) {
		w, err := ParseWebhook(recorded(t, "webhook_price_update.json"))
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ code, old, new string }{
			{"MLBB-BJ-V3-ALLMLBB_ID_5", "1425", "1480"},
			{"MLBB-BJ-V3-ALLMLBB_ID_10", "2868", "1920"},
			{"MLBB-BJ-V3-ALLMLBB_ID_15", "4255", "4290"},
		}
		if w.Type != WebhookPriceUpdate || len(w.Prices) != len(want) {
			t.Fatalf("got %+v, want %d price changes", w, len(want))
		}
		for i, c := range w.Prices {
			if c.ProductCode != want[i].code || !c.Old.Equal(dec(want[i].old)) || !c.New.Equal(dec(want[i].new)) {
				t.Errorf("change %d: got %+v, want %+v", i, c, want[i])
			}
		}
	})
	t.Run("price_update with sent_at", func(t *testing.T) {
		w, err := ParseWebhook([]byte(`{"webhook_type": "price_update", "sent_at": "2024-07-02T13:11:43.249729Z",
			"data": [{"product_code": "A", "price_new": 1}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Date(2024, 7, 2, 13, 11, 43, 249729000, time.UTC); !w.SentAt.Equal(want) {
			t.Errorf("sent_at: got %v, want %v", w.SentAt, want)
		}
		if w, err := ParseWebhook(recorded(t, "webhook_price_update.json")); err != nil || !w.SentAt.IsZero() {
			t.Errorf("without sent_at: got %v, %v; want a zero time", w.SentAt, err)
		}
	})
	t.Run("price_update quirks", func(t *testing.T) {
		w, err := ParseWebhook(recorded(t, "webhook_price_update_quirks.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Prices) != 2 || w.Prices[0].NewRaw != "1864.50" || !w.Prices[0].New.Equal(dec("1864.5")) ||
			w.Prices[1].OldRaw != "" || !w.Prices[1].New.Equal(dec("14900")) {
			t.Errorf("got %+v", w.Prices)
		}
	})
	t.Run("sent_at", func(t *testing.T) {
		const head = `{"webhook_type": "transaction_status", "reference": "TRX1", "status": "success"`
		for _, ok := range []string{head + `}`, head + `, "sent_at": null}`, head + `, "sent_at": " 2024-07-02T20:11:43+07:00 "}`} {
			if _, err := ParseWebhook([]byte(ok)); err != nil {
				t.Errorf("%s: got %v, want nil", ok, err)
			}
		}
		for _, bad := range []string{`"yesterday"`, `""`, `1719925903`, `"2024-07-02"`, `"2024-07-02 13:11:43"`} {
			for _, body := range []string{head + `, "sent_at": ` + bad + `}`,
				`{"webhook_type": "price_update", "sent_at": ` + bad + `, "data": [{"product_code": "A", "price_new": 1}]}`} {
				if w, err := ParseWebhook([]byte(body)); err == nil || !strings.Contains(err.Error(), "sent_at") {
					t.Errorf("%s: got %+v, %v; want refused for its sent_at", body, w, err)
				}
			}
		}
	})
	t.Run("strict JSON", func(t *testing.T) {
		for _, bad := range []string{
			`{"webhook_type": "bogus", "webhook_type": "price_update", "data": [{"product_code": "A", "price_new": 1}]}`,
			`{"webhook_type": "price_update", "Webhook_Type": "bogus", "data": [{"product_code": "A", "price_new": 1}]}`,
			`{"webhook_type": "price_update", "data": [{"product_code": "A", "price_new": 1, "price_new": 100}]}`,
			`{"webhook_type": "price_update", "data": [{"product_code": "A", "Price_New": 1}]}`,
			`{"webhook_type": "transaction_status", "reference": "TRX1", "status": "failed", "status": "success"}`,
			`{"webhook_type": "transaction_status", "reference": "TRX1", "status": "success", "extra": {"a": 1, "a": 2}}`,
		} {
			if w, err := ParseWebhook([]byte(bad)); err == nil {
				t.Errorf("%s: got %+v, want an error", bad, w)
			}
		}
		// Members Senpay may add are let pass.
		if _, err := ParseWebhook([]byte(`{"webhook_type": "price_update", "id": 7, "data": [{"product_code": "A", "price_new": 1, "currency": "IDR"}]}`)); err != nil {
			t.Errorf("unknown members: got %v, want nil", err)
		}
	})
	for _, file := range []string{
		"webhook_price_update_negative.json",
		"webhook_unknown_type.json",
		"html_error.html",
		"empty.txt",
		"truncated.json",
		"providers.json", // an API reply is not a webhook
	} {
		t.Run(file, func(t *testing.T) {
			if w, err := ParseWebhook(recorded(t, file)); err == nil {
				t.Errorf("got %+v, want an error", w)
			}
		})
	}
}

// The simulator's webhooks, as a receiver sees them, parse into what was sent.
func TestSimulatorWebhooks(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies [][]byte
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		io.WriteString(w, `{"status": 200, "message": "Webhook berhasil diproses"}`)
	}))
	defer recv.Close()
	sim, srv := demoSim(t, senpaysim.Options{})
	ctx := context.Background()

	if err := sim.SendPriceUpdate(ctx, recv.URL, []senpaysim.PriceChange{{Code: "FFMAX-BJ-V3FFMAX_ID_10", Price: 1900}}); err != nil {
		t.Fatal(err)
	}
	trx, err := testClient(srv, 5*time.Second).CreateTransaction(ctx, TransactionRequest{
		ProductCode: "FF-BJ-V3FF_ID_100", PartnerReference: "ORD-1-1", Fields: map[string]string{"id": "123456789"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.SendTransactionStatus(ctx, recv.URL, trx.Reference); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 {
		t.Fatalf("got %d webhooks, want 2", len(bodies))
	}
	price, err := ParseWebhook(bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if c := price.Prices[0]; c.ProductCode != "FFMAX-BJ-V3FFMAX_ID_10" || !c.Old.Equal(dec("1864.5")) || !c.New.Equal(dec("1900")) {
		t.Errorf("price change: got %+v", c)
	}
	st, err := ParseWebhook(bodies[1])
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Status; s.Reference != trx.Reference || s.PartnerReference != "ORD-1-1" || s.Status != StatusSuccess || s.SentAt.IsZero() {
		t.Errorf("status: got %+v", s)
	}
}
