package senpay

import (
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// mlbbCode is a product of the demo catalog's provider with two form
// fields, id and server, which the buyer gives as user_id and server.
const mlbbCode = "MLBB-BJ-V3-ALLMLBB_ID_5"

func mlbbPurchase(ref, userID string) orders.Purchase {
	return orders.Purchase{
		Ref:      ref,
		Code:     mlbbCode,
		GameCode: "MLBB-BJ-V3-ALL",
		Form: []offers.Field{
			{Key: "id", Label: "User ID", Type: "text"},
			{Key: "server", Label: "Server ID", Type: "text"},
		},
		Values: map[string]string{"user_id": userID, "server": "2001"},
		Cost:   1425,
	}
}

// sameReceipt compares receipts, their times by instant.
func sameReceipt(a, b orders.Receipt) bool {
	if !a.At.Equal(b.At) {
		return false
	}
	a.At, b.At = time.Time{}, time.Time{}
	return a == b
}

// outcomes are the errors a Place may wrap; exactly one must match.
var outcomes = []error{orders.ErrNotTaken, orders.ErrTaken, orders.ErrUnknownOutcome}

// wantOutcome fails unless err wraps want, and no other outcome, with the
// client's classified error still in the chain.
func wantOutcome(t *testing.T, err error, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	for _, o := range outcomes {
		if got := errors.Is(err, o); got != (o == want) {
			t.Errorf("errors.Is(%v, %v): got %v, want %v", err, o, got, o == want)
		}
	}
	if suppliers.KindOf(err) == 0 {
		t.Errorf("error %v has no *suppliers.Error in its chain", err)
	}
}

func TestPlaceThenCheckDelivered(t *testing.T) {
	clk := testclock.At(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	start := clk.Now()
	sim, srv := demoSim(t, senpaysim.Options{OrderDelay: time.Minute, Now: clk.Now})
	c := testClient(srv, 5*time.Second)
	ctx := context.Background()

	r, err := c.Place(ctx, mlbbPurchase("ord-1-a1", "12345678"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Txn == "" || r.Ref != "ord-1-a1" || r.Status != StatusProcessing || r.Progress != orders.InFlight {
		t.Errorf("Place: got %+v, want a reference, ref ord-1-a1, processing, in flight", r)
	}
	trx := sim.Transactions()
	if len(trx) != 1 {
		t.Fatalf("got %d orders at the simulator, want 1", len(trx))
	}
	if want := map[string]string{"id": "12345678", "server": "2001"}; !maps.Equal(trx[0].Fields, want) {
		t.Errorf("form fields sent: got %v, want %v", trx[0].Fields, want)
	}
	if trx[0].Reference != r.Txn || trx[0].PartnerReference != "ord-1-a1" || trx[0].ProductCode != mlbbCode {
		t.Errorf("simulator order: got %+v, want %s under ord-1-a1 for %s", trx[0], r.Txn, mlbbCode)
	}

	got, err := c.Check(ctx, r.Txn)
	if err != nil {
		t.Fatal(err)
	}
	if got.Progress != orders.InFlight || got.Status != StatusProcessing {
		t.Errorf("Check before the delay: got %+v, want processing, in flight", got)
	}

	clk.Add(time.Minute)
	got, err = c.Check(ctx, r.Txn)
	if err != nil {
		t.Fatal(err)
	}
	want := orders.Receipt{
		Txn: r.Txn, Ref: "ord-1-a1", Progress: orders.Delivered, Status: StatusSuccess,
		SN: "N/A", Note: "Transaksi berhasil pada 2024/07/03 15:01:00 WIB", At: start.Add(time.Minute),
	}
	if !sameReceipt(got, want) {
		t.Errorf("Check after the delay: got %+v, want %+v", got, want)
	}
}

// Each way a create can fail ends in the outcome the router acts on, sent
// at most once.
func TestPlaceFailures(t *testing.T) {
	fault := func(m senpaysim.FaultMode) func(*senpaysim.Sim) {
		return func(s *senpaysim.Sim) { s.Fail(senpaysim.Fault{Path: pathCreate, Mode: m}) }
	}
	tests := []struct {
		name  string
		steer func(*senpaysim.Sim)
		edit  func(*orders.Purchase)
		cfg   func(*Config)
		hang  bool // the simulator never answers: a short client timeout
		want  error
		sent  int // create requests: 0 when refused before sending
		taken int // orders at the simulator afterwards
	}{
		{name: "form value missing", edit: func(p *orders.Purchase) { delete(p.Values, "server") }, want: orders.ErrNotTaken},
		{name: "form value blank", edit: func(p *orders.Purchase) { p.Values["user_id"] = " " }, want: orders.ErrNotTaken},
		{name: "inactive product", steer: func(s *senpaysim.Sim) { s.SetActive(mlbbCode, false) }, want: orders.ErrNotTaken, sent: 1},
		{name: "inactive provider", steer: func(s *senpaysim.Sim) { s.SetProviderActive("MLBB-BJ-V3-ALL", false) }, want: orders.ErrNotTaken, sent: 1},
		{name: "unknown product", edit: func(p *orders.Purchase) { p.Code = "MLBB-BJ-V3-ALLMLBB_ID_0" }, want: orders.ErrNotTaken, sent: 1},
		{name: "insufficient balance", steer: func(s *senpaysim.Sim) { s.SetBalance(1000) }, want: orders.ErrNotTaken, sent: 1},
		{name: "bad api key", cfg: func(c *Config) { c.APIKey = "wrong" }, want: orders.ErrNotTaken, sent: 1},
		{name: "bad signature", cfg: func(c *Config) { c.SecretKey = "wrong" }, want: orders.ErrNotTaken, sent: 1},
		{name: "status 400 in a 200", steer: fault(senpaysim.FaultStatus400), want: orders.ErrNotTaken, sent: 1},
		{name: "http 429", steer: fault(senpaysim.Fault429), want: orders.ErrNotTaken, sent: 1},
		{name: "http 500", steer: fault(senpaysim.Fault500), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "html page", steer: fault(senpaysim.FaultHTML), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "empty reply", steer: fault(senpaysim.FaultEmpty), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "hang", steer: fault(senpaysim.FaultHang), hang: true, want: orders.ErrUnknownOutcome, sent: 1},
		{name: "dropped", steer: fault(senpaysim.FaultDrop), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "accepted, then dropped", steer: fault(senpaysim.FaultAcceptDrop), want: orders.ErrUnknownOutcome, sent: 1, taken: 1},
		{name: "accepted, reply truncated", steer: fault(senpaysim.FaultTruncated), want: orders.ErrUnknownOutcome, sent: 1, taken: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := demoSim(t, senpaysim.Options{})
			if tt.steer != nil {
				tt.steer(sim)
			}
			p := mlbbPurchase("ord-2-a1", "12345678")
			if tt.edit != nil {
				tt.edit(&p)
			}
			timeout := 5 * time.Second
			if tt.hang {
				timeout = hangTimeout
			}
			var mods []func(*Config)
			if tt.cfg != nil {
				mods = append(mods, tt.cfg)
			}
			r, err := testClient(srv, timeout, mods...).Place(context.Background(), p)
			wantOutcome(t, err, tt.want)
			// A refusal for want of deposit says so: the router re-reads the balance.
			short := tt.name == "insufficient balance" || tt.name == "refusal in a 200"
			if got := errors.Is(err, orders.ErrInsufficientBalance); got != short {
				t.Errorf("errors.Is(%v, ErrInsufficientBalance): got %v, want %v", err, got, short)
			}
			// Only what syncd refused to send is also ErrNotSent, which the
			// order path's circuit breaker counts neither way.
			if got := errors.Is(err, orders.ErrNotSent); got != (tt.sent == 0) {
				t.Errorf("errors.Is(%v, ErrNotSent): got %v, want %v", err, got, tt.sent == 0)
			}
			if r != (orders.Receipt{}) {
				t.Errorf("receipt: got %+v, want none", r)
			}
			// A hang may time out before the simulator even counts the
			// request; it is never sent twice.
			if got := sim.Requests(pathCreate); got > tt.sent || got < tt.sent && !tt.hang {
				t.Errorf("got %d create requests, want %d", got, tt.sent)
			}
			if got := len(sim.Transactions()); got != tt.taken {
				t.Errorf("got %d orders at the simulator, want %d", got, tt.taken)
			}
		})
	}
}

// A create that never left syncd was not taken.
func TestPlaceNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	_, srv := demoSim(t, senpaysim.Options{})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		url  string
		ctx  context.Context
	}{
		{"connection refused", closed, context.Background()},
		{"context cancelled", srv.URL, cancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New(Config{BaseURL: tt.url, APIKey: "test-api-key", SecretKey: "test-secret-key", RatePerSecond: -1, Retry: fastRetry})
			_, err := c.Place(tt.ctx, mlbbPurchase("ord-3-a1", "12345678"))
			wantOutcome(t, err, orders.ErrNotTaken)
		})
	}
}

// Resending a reference whose first send landed is refused by Senpay; the
// router learns the order stands, and nothing is bought twice.
func TestPlaceResendIsTaken(t *testing.T) {
	tests := []struct {
		name  string
		first senpaysim.FaultMode // 0: the first send is answered
		want  error               // the first send's outcome
	}{
		{"first send answered", 0, nil},
		{"first reply lost", senpaysim.FaultAcceptDrop, orders.ErrUnknownOutcome},
		{"first reply truncated", senpaysim.FaultTruncated, orders.ErrUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := demoSim(t, senpaysim.Options{})
			if tt.first != 0 {
				sim.Fail(senpaysim.Fault{Path: pathCreate, Mode: tt.first, Count: 1})
			}
			c := testClient(srv, 5*time.Second)
			p := mlbbPurchase("ord-4-a1", "12345678")
			_, err := c.Place(context.Background(), p)
			if tt.want == nil && err != nil {
				t.Fatalf("first send: %v", err)
			}
			if tt.want != nil {
				wantOutcome(t, err, tt.want)
			}
			_, err = c.Place(context.Background(), p)
			wantOutcome(t, err, orders.ErrTaken)
			if !errors.Is(err, ErrDuplicateReference) {
				t.Errorf("got %v, want it to wrap ErrDuplicateReference", err)
			}
			if got := len(sim.Transactions()); got != 1 {
				t.Errorf("got %d orders at the simulator, want 1", got)
			}
			if got := sim.Requests(pathCreate); got != 2 {
				t.Errorf("got %d create requests, want 2", got)
			}
		})
	}
}

// Check reports every final status the simulator can reach, and a stuck
// order as in flight.
func TestCheckOutcomes(t *testing.T) {
	tests := []struct {
		steer string // SetTargetOutcome; "" succeeds
		want  orders.Progress
		word  string
	}{
		{"", orders.Delivered, StatusSuccess},
		{senpaysim.StatusFailed, orders.NotDelivered, StatusFailed},
		{senpaysim.StatusRefund, orders.NotDelivered, StatusRefund},
		{senpaysim.StatusExpired, orders.NotDelivered, StatusExpired},
		{senpaysim.StatusProcessing, orders.InFlight, StatusProcessing},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			clk := testclock.At(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
			sim, srv := demoSim(t, senpaysim.Options{OrderDelay: time.Minute, Now: clk.Now})
			sim.SetTargetOutcome("99999999", tt.steer)
			c := testClient(srv, 5*time.Second)
			ctx := context.Background()
			placed, err := c.Place(ctx, mlbbPurchase("ord-5-a1", "99999999"))
			if err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute)
			got, err := c.Check(ctx, placed.Txn)
			if err != nil {
				t.Fatal(err)
			}
			if got.Txn != placed.Txn || got.Ref != "ord-5-a1" || got.Status != tt.word || got.Progress != tt.want {
				t.Errorf("got %+v, want %s under ord-5-a1, %s, %s", got, placed.Txn, tt.word, tt.want)
			}
		})
	}
}

// A failed lookup is returned as the client classified it: the order
// stands as it was, and a reference Senpay does not know is recognisable.
func TestCheckErrorsUnmapped(t *testing.T) {
	_, srv := demoSim(t, senpaysim.Options{})
	_, err := testClient(srv, 5*time.Second).Check(context.Background(), "TRX24070300000000000")
	if !errors.Is(err, ErrNotFound) || suppliers.KindOf(err) != suppliers.KindRejected {
		t.Fatalf("got %v, want a rejection wrapping ErrNotFound", err)
	}
	for _, o := range outcomes {
		if errors.Is(err, o) {
			t.Errorf("got %v, want it not to wrap %v", err, o)
		}
	}
}

func TestProgress(t *testing.T) {
	tests := []struct {
		status string
		want   orders.Progress
	}{
		{"success", orders.Delivered},
		{" SUCCESS ", orders.Delivered},
		{"failed", orders.NotDelivered},
		{"Failed", orders.NotDelivered},
		{"refund", orders.NotDelivered},
		{"expired", orders.NotDelivered},
		{"unpaid", orders.InFlight},
		{"processing", orders.InFlight},
		{"Processing", orders.InFlight},
		// Words Senpay does not document are never read as a failure.
		{"", orders.InFlight},
		{"pending", orders.InFlight},
		{"gagal", orders.InFlight},
		{"cancelled", orders.InFlight},
		{"refunded", orders.InFlight},
		{"sukses", orders.InFlight},
	}
	for _, tt := range tests {
		if got := Progress(tt.status); got != tt.want {
			t.Errorf("Progress(%q): got %s, want %s", tt.status, got, tt.want)
		}
	}
}

func TestWebhookOrderUpdate(t *testing.T) {
	tests := []struct {
		name string
		body string
		want orders.Update
		ok   bool
	}{
		{"documented example", string(recorded(t, "webhook_transaction_status.json")), orders.Update{
			Supplier: Name,
			Receipt: orders.Receipt{
				Txn: "TRX24070385294000934", Ref: "INV12345678", Progress: orders.Delivered, Status: "success",
				SN: "N/A", Note: "Transaksi berhasil pada 2024/07/02 20:11:27 WIB",
				At: time.Date(2024, 7, 2, 13, 11, 43, 249729000, time.UTC),
			},
		}, true},
		{"failed, no sent_at", `{"webhook_type":"transaction_status","reference":"TRX1","partner_reference":"ord-1-a1","status":"FAILED","note":"gagal"}`,
			orders.Update{Supplier: Name, Receipt: orders.Receipt{Txn: "TRX1", Ref: "ord-1-a1", Progress: orders.NotDelivered, Status: "failed", Note: "gagal"}}, true},
		{"unknown status", `{"webhook_type":"transaction_status","reference":"TRX2","status":"on hold"}`,
			orders.Update{Supplier: Name, Receipt: orders.Receipt{Txn: "TRX2", Progress: orders.InFlight, Status: "on hold"}}, true},
		{"price update", string(recorded(t, "webhook_price_update.json")), orders.Update{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWebhook([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := w.OrderUpdate()
			if ok != tt.ok {
				t.Fatalf("ok: got %v, want %v", ok, tt.ok)
			}
			if got.Supplier != tt.want.Supplier || !sameReceipt(got.Receipt, tt.want.Receipt) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, ok := (*Webhook)(nil).OrderUpdate(); ok {
		t.Error("nil webhook: got ok, want false")
	}
}

// The simulator's webhook for an order says what Check says about it.
func TestWebhookAgreesWithCheck(t *testing.T) {
	clk := testclock.At(time.Date(2024, 7, 3, 8, 0, 0, 0, time.UTC))
	sim, srv := demoSim(t, senpaysim.Options{Now: clk.Now})
	sim.SetTargetOutcome("99999999", senpaysim.StatusRefund)
	updates := make(chan orders.Update, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh, err := ParseWebhook(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if u, ok := wh.OrderUpdate(); ok {
			updates <- u
		}
		io.WriteString(w, `{"status":200,"message":"Webhook berhasil diproses"}`)
	}))
	defer hook.Close()
	c := testClient(srv, 5*time.Second)
	ctx := context.Background()
	placed, err := c.Place(ctx, mlbbPurchase("ord-6-a1", "99999999"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Second)
	if err := sim.SendTransactionStatus(ctx, hook.URL, placed.Txn); err != nil {
		t.Fatal(err)
	}
	u := <-updates
	checked, err := c.Check(ctx, placed.Txn)
	if err != nil {
		t.Fatal(err)
	}
	if u.Supplier != Name {
		t.Errorf("supplier: got %q, want %q", u.Supplier, Name)
	}
	if !u.At.Equal(clk.Now()) {
		t.Errorf("at: got %v, want sent_at %v", u.At, clk.Now())
	}
	// At differs by design: sent_at against status_at.
	u.At, checked.At = time.Time{}, time.Time{}
	if u.Receipt != checked {
		t.Errorf("webhook: got %+v, want what Check says, %+v", u.Receipt, checked)
	}
	if u.Progress != orders.NotDelivered {
		t.Errorf("progress: got %s, want %s", u.Progress, orders.NotDelivered)
	}
}
