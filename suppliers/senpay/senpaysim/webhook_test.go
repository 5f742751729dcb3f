package senpaysim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testclock"
)

type receiver struct {
	srv    *httptest.Server
	bodies chan string
}

func newReceiver(t *testing.T, reply string) *receiver {
	t.Helper()
	r := &receiver{bodies: make(chan string, 10)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.bodies <- string(b)
		io.WriteString(w, reply)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func TestSendPriceUpdate(t *testing.T) {
	s, _ := start(t, Options{})
	recv := newReceiver(t, `{"status": 200, "message": "Harga berhasil diuperbarui"}`)
	ctx := context.Background()
	err := s.SendPriceUpdate(ctx, recv.srv.URL, []PriceChange{{Code: "MLBB-BJ-V3-ALLMLBB_ID_5", Price: 1480}, {Code: "FFMAX-BJ-V3FFMAX_ID_10", Price: 1900}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"webhook_type":"price_update","data":[{"product_code":"MLBB-BJ-V3-ALLMLBB_ID_5","price_old":1425,"price_new":1480},` +
		`{"product_code":"FFMAX-BJ-V3FFMAX_ID_10","price_old":1864.5,"price_new":1900}]}`
	if got := <-recv.bodies; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if p, _ := s.Price("MLBB-BJ-V3-ALLMLBB_ID_5"); p != 1480 {
		t.Errorf("got price %d, want 1480", p)
	}
	// Unknown code: nothing changes, nothing is sent.
	if err := s.SendPriceUpdate(ctx, recv.srv.URL, []PriceChange{{Code: "GI-BJGI_60", Price: 1}, {Code: "NOPE", Price: 1}}); err == nil {
		t.Error("got no error for an unknown product")
	}
	if p, _ := s.Price("GI-BJGI_60"); p == 1 {
		t.Error("a refused update changed a price")
	}
	// A refusing receiver is an error; the price has changed all the same.
	refusing := newReceiver(t, `{"status": 400, "message": "Invalid signature"}`)
	err = s.SendPriceUpdate(ctx, refusing.srv.URL, []PriceChange{{Code: "GI-BJGI_60", Price: 13000}})
	if err == nil || !strings.Contains(err.Error(), "Invalid signature") {
		t.Errorf("got %v, want the receiver's refusal", err)
	}
	if p, _ := s.Price("GI-BJGI_60"); p != 13000 {
		t.Errorf("got price %d, want 13000", p)
	}
}

func TestSendTransactionStatus(t *testing.T) {
	clk := testclock.At(time.Date(2024, 7, 2, 13, 8, 38, 0, time.UTC))
	s, srv := start(t, Options{Now: clk.Now, OrderDelay: 30 * time.Second})
	recv := newReceiver(t, `{"status": 200, "message": "Webhook berhasil diproses"}`)
	r := create(t, srv, orderBody("MLBB-BJ-V3-ALLMLBB_ID_5", "INV12345678", "1122334455"))
	var c created
	if err := json.Unmarshal(r.Data, &c); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if err := s.SendTransactionStatus(context.Background(), recv.srv.URL, c.Reference); err != nil {
		t.Fatal(err)
	}
	want := `{"webhook_type":"transaction_status","reference":"` + c.Reference + `","partner_reference":"INV12345678",` +
		`"status":"success","sn":"N\/A","note":"Transaksi berhasil pada 2024\/07\/02 20:09:08 WIB","sent_at":"2024-07-02T13:09:38.000000Z"}`
	if got := <-recv.bodies; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if tx := s.Transactions()[0]; !tx.WebhookSent {
		t.Error("webhook_sent not recorded")
	}
	if err := s.SendTransactionStatus(context.Background(), recv.srv.URL, "TRX0"); err == nil {
		t.Error("got no error for an unknown reference")
	}
}

func TestAutomaticWebhook(t *testing.T) {
	recv := newReceiver(t, `{"status": 200, "message": "Webhook berhasil diproses"}`)
	s, srv := start(t, Options{OrderDelay: 10 * time.Millisecond, WebhookURL: recv.srv.URL})
	s.SetTargetOutcome("666", StatusFailed)
	create(t, srv, orderBody("FF-BJ-V3FF_ID_5", "A-1", "666"))
	select {
	case got := <-recv.bodies:
		if !regexp.MustCompile(`"partner_reference":"A-1","status":"failed"`).MatchString(got) {
			t.Errorf("got %s", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook")
	}
}
