package isipay

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// Each simulator fault, met by a read and by an order. Reads are retried
// (fastRetry: 2 attempts) only on transport failures, 429 and 5xx; orders
// are sent exactly once and anything but a clear answer is an unknown
// outcome.
func TestFaultsOnReads(t *testing.T) {
	tests := []struct {
		name     string
		fault    isipaysim.Fault
		want     suppliers.Kind // 0: the read succeeds
		requests int
	}{
		{"500 once, then fine", isipaysim.Fault{Mode: isipaysim.FaultHTTP500, Count: 1}, 0, 2},
		{"500 throughout", isipaysim.Fault{Mode: isipaysim.FaultHTTP500}, suppliers.KindUnavailable, 2},
		{"429 once, then fine", isipaysim.Fault{Mode: isipaysim.FaultRateLimit, Count: 1, RetryAfter: "0"}, 0, 2},
		{"429 throughout", isipaysim.Fault{Mode: isipaysim.FaultRateLimit, RetryAfter: "0"}, suppliers.KindRateLimited, 2},
		{"garbage", isipaysim.Fault{Mode: isipaysim.FaultGarbage}, suppliers.KindBadReply, 1},
		{"empty", isipaysim.Fault{Mode: isipaysim.FaultEmpty}, suppliers.KindBadReply, 1},
		{"truncated", isipaysim.Fault{Mode: isipaysim.FaultTruncated}, suppliers.KindBadReply, 1},
		{"error 500 in a 200", isipaysim.Fault{Mode: isipaysim.FaultErrorBody}, suppliers.KindUnavailable, 1},
		{"error 400 in a 200", isipaysim.Fault{Mode: isipaysim.FaultErrorBody, Code: 400, Message: "Produk tidak ditemukan"}, suppliers.KindRejected, 1},
		{"timeout once, then fine", isipaysim.Fault{Mode: isipaysim.FaultTimeout, Count: 1}, 0, 2},
		{"timeout throughout", isipaysim.Fault{Mode: isipaysim.FaultTimeout}, suppliers.KindUnavailable, 2},
		{"dropped once, then fine", isipaysim.Fault{Mode: isipaysim.FaultDrop, Count: 1}, 0, 2},
		{"dropped throughout", isipaysim.Fault{Mode: isipaysim.FaultDrop}, suppliers.KindUnavailable, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c, _ := startSimTimeout(t, isipaysim.Options{}, timeoutFor(tt.fault))
			tt.fault.Path = "/api/v1/variant"
			sim.Fail(tt.fault)
			vs, err := c.Variants(context.Background(), "valorant")
			if tt.want == 0 {
				if err != nil || len(vs) != 7 {
					t.Errorf("got %d variants, %v; want 7, no error", len(vs), err)
				}
			} else {
				checkKind(t, err, tt.want, "POST "+pathVariant)
			}
			if got := sim.Requests("/api/v1/variant"); got != tt.requests {
				t.Errorf("requests: got %d, want %d", got, tt.requests)
			}
		})
	}
}

// A Retry-After of 0 must replace the backoff: with a ten-second base
// backoff the retry would otherwise outlast the test's deadline.
func TestRetryAfterHonoured(t *testing.T) {
	sim, _, url := startSim(t, isipaysim.Options{})
	c := New(Config{BaseURL: url, APIToken: testToken, RatePerSecond: -1,
		// A backoff of an hour and a deadline of 30 s: only Retry-After: 0
		// can bring the retry in time, with room for a loaded machine.
		Retry: suppliers.Retry{Attempts: 2, Base: time.Hour, Max: time.Hour}})
	sim.Fail(isipaysim.Fault{Path: "/api/v1/product", Mode: isipaysim.FaultRateLimit, Count: 1, RetryAfter: "0"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Products(ctx); err != nil {
		t.Fatalf("got %v, want the retry to succeed at once", err)
	}
	if got := sim.Requests("/api/v1/product"); got != 2 {
		t.Errorf("requests: got %d, want 2", got)
	}
}

func TestFaultsOnOrders(t *testing.T) {
	tests := []struct {
		name    string
		fault   isipaysim.Fault
		want    suppliers.Kind
		created bool // whether the simulator took the order
	}{
		{"500", isipaysim.Fault{Mode: isipaysim.FaultHTTP500}, suppliers.KindUnknownOutcome, false},
		{"429", isipaysim.Fault{Mode: isipaysim.FaultRateLimit, RetryAfter: "0"}, suppliers.KindRateLimited, false},
		{"garbage", isipaysim.Fault{Mode: isipaysim.FaultGarbage}, suppliers.KindUnknownOutcome, false},
		{"empty", isipaysim.Fault{Mode: isipaysim.FaultEmpty}, suppliers.KindUnknownOutcome, false},
		{"truncated", isipaysim.Fault{Mode: isipaysim.FaultTruncated}, suppliers.KindUnknownOutcome, false},
		{"error 500 in a 200", isipaysim.Fault{Mode: isipaysim.FaultErrorBody}, suppliers.KindUnknownOutcome, false},
		{"clear rejection in a 200", isipaysim.Fault{Mode: isipaysim.FaultErrorBody, Code: 400, Message: "Saldo tidak mencukupi"}, suppliers.KindRejected, false},
		{"timeout", isipaysim.Fault{Mode: isipaysim.FaultTimeout}, suppliers.KindUnknownOutcome, false},
		{"dropped", isipaysim.Fault{Mode: isipaysim.FaultDrop}, suppliers.KindUnknownOutcome, false},
		{"accepted, then dropped", isipaysim.Fault{Mode: isipaysim.FaultAcceptDrop}, suppliers.KindUnknownOutcome, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, c, _ := startSimTimeout(t, isipaysim.Options{Balance: 1_000_000}, timeoutFor(tt.fault))
			tt.fault.Path = "/api/v1/order"
			sim.Fail(tt.fault)
			_, err := c.Order(context.Background(), OrderRequest{Code: "VALO_420", ReferenceNumber: "ord-9-a1", Data: "Player#ID1"})
			checkKind(t, err, tt.want, "POST "+pathOrder)
			if got := sim.Requests("/api/v1/order"); got != 1 {
				t.Errorf("order requests: got %d, want 1 (never retried)", got)
			}
			if got := len(sim.Orders()) == 1; got != tt.created {
				t.Errorf("order created: got %v, want %v", got, tt.created)
			}
		})
	}
}

func TestFaultsCoverEveryEndpoint(t *testing.T) {
	sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000})
	ctx := context.Background()
	o, err := c.Order(ctx, OrderRequest{Code: "GI_60", ReferenceNumber: "ord-1-a1", Data: "800123456"})
	if err != nil {
		t.Fatal(err)
	}
	sim.Fail(isipaysim.Fault{Mode: isipaysim.FaultGarbage}) // every path
	calls := map[string]func() error{
		pathBalance:                       func() error { _, err := c.Balance(ctx); return err },
		pathProduct:                       func() error { _, err := c.Products(ctx); return err },
		pathVariant:                       func() error { _, err := c.Variants(ctx, "genshin-impact"); return err },
		pathStatusOrder + o.InvoiceNumber: func() error { _, err := c.OrderStatus(ctx, o.InvoiceNumber); return err },
	}
	for path, call := range calls {
		checkKind(t, call(), suppliers.KindBadReply, "POST "+path)
	}
	sim.ClearFaults()
	for path, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s after ClearFaults: %v", path, err)
		}
	}
}

func TestBadTokenIsUnauthorized(t *testing.T) {
	_, _, url := startSim(t, isipaysim.Options{APIToken: "the-real-token"})
	c := New(Config{BaseURL: url, APIToken: testToken, RatePerSecond: -1, Retry: fastRetry})
	_, err := c.Products(context.Background())
	checkKind(t, err, suppliers.KindUnauthorized, "POST "+pathProduct)
	_, err = c.Order(context.Background(), OrderRequest{Code: "VALO_125", ReferenceNumber: "r1", Data: "x#1"})
	checkKind(t, err, suppliers.KindUnauthorized, "POST "+pathOrder)
}

func TestIPNotWhitelistedIsUnauthorized(t *testing.T) {
	_, c, _ := startSim(t, isipaysim.Options{AllowedIPs: []string{"203.0.113.7"}})
	_, err := c.Balance(context.Background())
	checkKind(t, err, suppliers.KindUnauthorized, "POST "+pathBalance)
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	c := New(Config{BaseURL: url, APIToken: testToken, RatePerSecond: -1, Retry: fastRetry,
		HTTP: &http.Client{Timeout: clientTimeout}})
	// Nothing reached Isipay: the router may safely try another supplier.
	_, err = c.Order(context.Background(), OrderRequest{Code: "VALO_125", ReferenceNumber: "r1", Data: "x#1"})
	checkKind(t, err, suppliers.KindUnavailable, "POST "+pathOrder)
	_, err = c.Products(context.Background())
	checkKind(t, err, suppliers.KindUnavailable, "POST "+pathProduct)
}

func TestLatencyBeyondTimeout(t *testing.T) {
	sim, c, _ := startHungSim(t, isipaysim.Options{Balance: 1_000_000})
	sim.SetLatency(time.Minute)
	_, err := c.Balance(context.Background())
	checkKind(t, err, suppliers.KindUnavailable, "POST "+pathBalance)
	_, err = c.Order(context.Background(), OrderRequest{Code: "VALO_125", ReferenceNumber: "r1", Data: "x#1"})
	checkKind(t, err, suppliers.KindUnknownOutcome, "POST "+pathOrder)
}
