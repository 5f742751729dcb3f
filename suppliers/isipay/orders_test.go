package isipay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// simClock is a settable clock for the simulator's order progression.

// mlbbPurchase buys a demo catalog variant whose data is user id and zone.
func mlbbPurchase(ref, userID string) orders.Purchase {
	return orders.Purchase{
		Ref:      ref,
		Code:     "MLBB_ID_86",
		GameCode: "mobile-legends",
		Values:   map[string]string{"user_id": userID, "server": "1234"},
		Settings: map[string]string{"data_format": "{user_id}({server})"},
		Cost:     20350,
	}
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
	clk := testclock.At(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000, OrderDelay: time.Minute, Now: clk.Now})
	ctx := context.Background()

	r, err := c.Place(ctx, mlbbPurchase("ord-1-a1", "12345678"))
	if err != nil {
		t.Fatal(err)
	}
	// The order reply has no status: in flight, no word.
	if want := (orders.Receipt{Txn: "RZ-RAPI000000001", Ref: "ord-1-a1", Progress: orders.InFlight}); r != want {
		t.Errorf("Place: got %+v, want %+v", r, want)
	}
	taken := sim.Orders()
	if len(taken) != 1 || taken[0].Data != "12345678(1234)" || taken[0].ReferenceNumber != "ord-1-a1" || taken[0].Code != "MLBB_ID_86" {
		t.Fatalf("simulator orders: got %+v, want one MLBB_ID_86 for 12345678(1234) under ord-1-a1", taken)
	}

	got, err := c.Check(ctx, r.Txn)
	if err != nil {
		t.Fatal(err)
	}
	if want := (orders.Receipt{Txn: r.Txn, Progress: orders.InFlight, Status: StatusPending}); got != want {
		t.Errorf("Check before the delay: got %+v, want %+v", got, want)
	}
	clk.Add(time.Minute)
	got, err = c.Check(ctx, r.Txn)
	if err != nil {
		t.Fatal(err)
	}
	if want := (orders.Receipt{Txn: r.Txn, Progress: orders.Delivered, Status: StatusSuccess}); got != want {
		t.Errorf("Check after the delay: got %+v, want %+v", got, want)
	}
}

// Each way an order can fail ends in the outcome the router acts on, sent
// at most once.
func TestPlaceFailures(t *testing.T) {
	fault := func(f isipaysim.Fault) func(*isipaysim.Sim) {
		f.Path = pathOrder
		return func(s *isipaysim.Sim) { s.Fail(f) }
	}
	tests := []struct {
		name  string
		opts  isipaysim.Options // Balance 0 means 1,000,000 here
		steer func(*isipaysim.Sim)
		edit  func(*orders.Purchase)
		want  error
		sent  int // order requests: 0 when refused before sending
		taken int // orders at the simulator afterwards
	}{
		{name: "no data at all", edit: func(p *orders.Purchase) { p.Values = nil; p.Settings["data_format"] = "{user_id}" }, want: orders.ErrNotTaken},
		{name: "empty template", edit: func(p *orders.Purchase) { p.Settings["data_format"] = "" }, want: orders.ErrNotTaken},
		{name: "zone missing", edit: func(p *orders.Purchase) { delete(p.Values, "server") }, want: orders.ErrNotTaken},
		{name: "user id blank", edit: func(p *orders.Purchase) { p.Values["user_id"] = " " }, want: orders.ErrNotTaken},
		// Values that would change the template's shape (issue 12) are
		// never sent, should one get past the order's intake.
		{name: "user id with a placeholder", edit: func(p *orders.Purchase) { p.Values["user_id"] = "{server}|x" }, want: orders.ErrNotTaken},
		{name: "server closing the parenthesis", edit: func(p *orders.Purchase) { p.Values["server"] = "2001)(9999" }, want: orders.ErrNotTaken},
		{name: "separator of another template", edit: func(p *orders.Purchase) {
			p.Settings["data_format"] = "{user_id}|{server}"
			p.Values["user_id"] = "1|2"
		}, want: orders.ErrNotTaken},
		{name: "inactive variant", edit: func(p *orders.Purchase) { p.Code = "MLBB_ID_3688" }, want: orders.ErrNotTaken, sent: 1},
		{name: "inactive product", edit: func(p *orders.Purchase) { p.Code = "CODM_31" }, want: orders.ErrNotTaken, sent: 1},
		{name: "variant switched off", steer: func(s *isipaysim.Sim) { s.SetActive("MLBB_ID_86", false) }, want: orders.ErrNotTaken, sent: 1},
		{name: "unknown variant", edit: func(p *orders.Purchase) { p.Code = "MLBB_ID_999" }, want: orders.ErrNotTaken, sent: 1},
		{name: "insufficient balance", steer: func(s *isipaysim.Sim) { s.SetBalance(100) }, want: orders.ErrNotTaken, sent: 1},
		{name: "bad token", opts: isipaysim.Options{APIToken: "the-real-token"}, want: orders.ErrNotTaken, sent: 1},
		{name: "ip not whitelisted", opts: isipaysim.Options{AllowedIPs: []string{"203.0.113.7"}}, want: orders.ErrNotTaken, sent: 1},
		{name: "http 429", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultRateLimit, RetryAfter: "0"}), want: orders.ErrNotTaken, sent: 1},
		{name: "refusal in a 200", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultErrorBody, Code: 400, Message: "Saldo tidak mencukupi"}), want: orders.ErrNotTaken, sent: 1},
		{name: "http 500", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultHTTP500}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "error 500 in a 200", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultErrorBody}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "html page", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultGarbage}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "empty reply", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultEmpty}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "truncated reply", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultTruncated}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "timeout", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultTimeout}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "dropped", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultDrop}), want: orders.ErrUnknownOutcome, sent: 1},
		{name: "accepted, then dropped", steer: fault(isipaysim.Fault{Mode: isipaysim.FaultAcceptDrop}), want: orders.ErrUnknownOutcome, sent: 1, taken: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Balance == 0 {
				tt.opts.Balance = 1_000_000
			}
			timeout := clientTimeout
			if tt.name == "timeout" {
				timeout = hangTimeout // the fault hangs until the client gives up
			}
			sim, c, _ := startSimTimeout(t, tt.opts, timeout)
			if tt.steer != nil {
				tt.steer(sim)
			}
			p := mlbbPurchase("ord-2-a1", "12345678")
			if tt.edit != nil {
				tt.edit(&p)
			}
			r, err := c.Place(context.Background(), p)
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
			if got := sim.Requests(pathOrder); got != tt.sent {
				t.Errorf("got %d order requests, want %d", got, tt.sent)
			}
			if got := len(sim.Orders()); got != tt.taken {
				t.Errorf("got %d orders at the simulator, want %d", got, tt.taken)
			}
		})
	}
}

// An order that never left syncd was not taken.
func TestPlaceNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	_, _, live := startSim(t, isipaysim.Options{Balance: 1_000_000})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		cfg  Config
		ctx  context.Context
	}{
		{"connection refused", Config{BaseURL: closed, APIToken: testToken}, context.Background()},
		{"context cancelled", Config{BaseURL: live, APIToken: testToken}, cancelled},
		{"invalid config", Config{BaseURL: "isipay.top", APIToken: testToken}, context.Background()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.RatePerSecond, tt.cfg.Retry = -1, fastRetry
			tt.cfg.HTTP = &http.Client{Timeout: 5 * time.Second}
			_, err := New(tt.cfg).Place(tt.ctx, mlbbPurchase("ord-3-a1", "12345678"))
			wantOutcome(t, err, orders.ErrNotTaken)
		})
	}
}

// Resending a reference whose first send landed is refused by Isipay; the
// router learns the order stands, and nothing is bought twice.
func TestPlaceResendIsTaken(t *testing.T) {
	tests := []struct {
		name  string
		first isipaysim.FaultMode // 0: the first send is answered
		want  error               // the first send's outcome
	}{
		{"first send answered", 0, nil},
		{"first reply lost", isipaysim.FaultAcceptDrop, orders.ErrUnknownOutcome},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000})
			if tt.first != 0 {
				sim.Fail(isipaysim.Fault{Path: pathOrder, Mode: tt.first, Count: 1})
			}
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
			if got := len(sim.Orders()); got != 1 {
				t.Errorf("got %d orders at the simulator, want 1", got)
			}
			if got := sim.Requests(pathOrder); got != 2 {
				t.Errorf("got %d order requests, want 2", got)
			}
		})
	}
}

// Check reads whatever status word Isipay settles to; the simulator is
// steered to each reading, documented or assumed.
func TestCheckOutcomes(t *testing.T) {
	tests := []struct {
		steer string // SetTargetOutcome; "" succeeds
		want  orders.Progress
		word  string
	}{
		{"", orders.Delivered, StatusSuccess},
		{isipaysim.StatusFailed, orders.NotDelivered, StatusFailed},
		{isipaysim.StatusPending, orders.InFlight, StatusPending},
		{"Gagal", orders.NotDelivered, "Gagal"},
		{"Refunded", orders.NotDelivered, "Refunded"},
		{"Sukses", orders.Delivered, "Sukses"},
		{"Diproses", orders.InFlight, "Diproses"},
		{"On Hold", orders.InFlight, "On Hold"},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000})
			if tt.steer != "" {
				sim.SetTargetOutcome("99999999(1234)", tt.steer)
			}
			ctx := context.Background()
			placed, err := c.Place(ctx, mlbbPurchase("ord-5-a1", "99999999"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Check(ctx, placed.Txn)
			if err != nil {
				t.Fatal(err)
			}
			if want := (orders.Receipt{Txn: placed.Txn, Progress: tt.want, Status: tt.word}); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// A failed lookup is returned as the client classified it: the order
// stands as it was.
func TestCheckErrorsUnmapped(t *testing.T) {
	_, c, _ := startSim(t, isipaysim.Options{})
	_, err := c.Check(context.Background(), "RZ-RAPI999999999")
	if suppliers.KindOf(err) != suppliers.KindRejected {
		t.Fatalf("got %v, want the simulator's not-found rejection", err)
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
		{"Success", orders.Delivered}, // the one documented word
		{"success", orders.Delivered},
		{" SUCCESS ", orders.Delivered},
		{"Sukses", orders.Delivered},
		{"Berhasil", orders.Delivered},
		{"Completed", orders.Delivered},
		{"Done", orders.Delivered},
		{"Failed", orders.NotDelivered},
		{"Gagal", orders.NotDelivered},
		{"Cancel", orders.NotDelivered},
		{"Cancelled", orders.NotDelivered},
		{"Canceled", orders.NotDelivered},
		{"Batal", orders.NotDelivered},
		{"Refund", orders.NotDelivered},
		{"Refunded", orders.NotDelivered},
		{"EXPIRED", orders.NotDelivered},
		{"Pending", orders.InFlight},
		{"Process", orders.InFlight},
		{"Processing", orders.InFlight},
		{"Proses", orders.InFlight},
		{"Diproses", orders.InFlight},
		// Words nobody listed are never read as a failure.
		{"", orders.InFlight},
		{"Error", orders.InFlight},
		{"Partial", orders.InFlight},
		{"Gagal sebagian", orders.InFlight},
	}
	for _, tt := range tests {
		if got := Progress(tt.status); got != tt.want {
			t.Errorf("Progress(%q): got %s, want %s", tt.status, got, tt.want)
		}
	}
}
