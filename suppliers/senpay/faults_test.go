package senpay

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// hangTimeout is the client timeout where the simulator hangs: short, so a
// hang costs little, yet long enough for the request after it to get through
// on a loaded machine (-race, parallel packages). Replies that come at once
// get a generous timeout so that load never turns them into timeouts.
// Nothing here measures time.
const hangTimeout = 500 * time.Millisecond

func timeoutFor(m senpaysim.FaultMode) time.Duration {
	if m == senpaysim.FaultHang {
		return hangTimeout
	}
	return 5 * time.Second
}

// A read that fails a few times and then recovers succeeds, having been
// retried exactly as often as it failed.
func TestReadRetriedThroughTransientFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault senpaysim.Fault
	}{
		{"http 500", senpaysim.Fault{Mode: senpaysim.Fault500, Count: 2}},
		{"http 429", senpaysim.Fault{Mode: senpaysim.Fault429, Count: 2}},
		{"hang", senpaysim.Fault{Mode: senpaysim.FaultHang, Count: 1}},
		{"drop", senpaysim.Fault{Mode: senpaysim.FaultDrop, Count: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := demoSim(t, senpaysim.Options{})
			tt.fault.Path = pathProviders
			sim.Fail(tt.fault)
			ps, err := testClient(srv, timeoutFor(tt.fault.Mode)).Providers(context.Background())
			if err != nil {
				t.Fatalf("got %v, want success after %d faults", err, tt.fault.Count)
			}
			if len(ps) != 12 {
				t.Errorf("got %d providers, want 12", len(ps))
			}
			// net/http may itself resend a GET on a dropped keep-alive
			// connection, so a drop can cost an extra request.
			if got, want := sim.Requests(pathProviders), tt.fault.Count+1; got < want {
				t.Errorf("got %d requests, want at least %d", got, want)
			}
		})
	}
}

// A read that keeps failing ends in the class a caller can act on.
func TestReadFaultClassified(t *testing.T) {
	tests := []struct {
		mode  senpaysim.FaultMode
		want  suppliers.Kind
		tries int // requests the client makes: retried kinds use every attempt
	}{
		{senpaysim.Fault500, suppliers.KindUnavailable, 3},
		{senpaysim.Fault429, suppliers.KindRateLimited, 3},
		{senpaysim.FaultHang, suppliers.KindUnavailable, 3},
		{senpaysim.FaultDrop, suppliers.KindUnavailable, 3},
		{senpaysim.FaultHTML, suppliers.KindBadReply, 1},
		{senpaysim.FaultEmpty, suppliers.KindBadReply, 1},
		{senpaysim.FaultTruncated, suppliers.KindBadReply, 1},
		{senpaysim.FaultStatus400, suppliers.KindRejected, 1},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			sim, srv := demoSim(t, senpaysim.Options{})
			sim.Fail(senpaysim.Fault{Path: pathProducts, Mode: tt.mode})
			_, err := testClient(srv, timeoutFor(tt.mode)).Product(context.Background(), "GI-BJGI_60")
			wantKind(t, err, tt.want)
			if got := sim.Requests(pathProducts); got < tt.tries || tt.tries == 1 && got != 1 {
				t.Errorf("got %d requests, want %d", got, tt.tries)
			}
		})
	}
}

// Retry-After is obeyed: a wait longer than the caller's deadline ends the
// read rather than hammering Senpay with the backoff's quick retries.
func TestRetryAfterHonoured(t *testing.T) {
	sim, srv := demoSim(t, senpaysim.Options{})
	// Senpay asks for a minute; the caller has 10 s, room for a loaded
	// machine's first request but far short of the wait.
	sim.Fail(senpaysim.Fault{Path: pathProviders, Mode: senpaysim.Fault429, Count: 1, RetryAfter: time.Minute})
	c := testClient(srv, 5*time.Second, func(c *Config) {
		c.Retry = suppliers.Retry{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Minute}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Providers(ctx)
	wantKind(t, err, suppliers.KindRateLimited)
	if got := sim.Requests(pathProviders); got != 1 {
		t.Errorf("got %d requests, want 1: the retry must wait the second Senpay asked for", got)
	}
}

// A create is never retried, and anything but a clear answer leaves its
// outcome unknown.
func TestCreateFaultClassified(t *testing.T) {
	tests := []struct {
		mode      senpaysim.FaultMode
		want      suppliers.Kind
		wantOrder bool // the simulator took the order
	}{
		{senpaysim.FaultHang, suppliers.KindUnknownOutcome, false},
		{senpaysim.FaultDrop, suppliers.KindUnknownOutcome, false},
		{senpaysim.FaultAcceptDrop, suppliers.KindUnknownOutcome, true},
		{senpaysim.Fault500, suppliers.KindUnknownOutcome, false},
		{senpaysim.FaultHTML, suppliers.KindUnknownOutcome, false},
		{senpaysim.FaultEmpty, suppliers.KindUnknownOutcome, false},
		{senpaysim.FaultTruncated, suppliers.KindUnknownOutcome, true},
		{senpaysim.FaultStatus400, suppliers.KindRejected, false},
		{senpaysim.Fault429, suppliers.KindRateLimited, false},
	}
	for _, tt := range tests {
		t.Run(tt.mode.String(), func(t *testing.T) {
			sim, srv := demoSim(t, senpaysim.Options{})
			sim.Fail(senpaysim.Fault{Path: pathCreate, Mode: tt.mode})
			_, err := testClient(srv, timeoutFor(tt.mode)).CreateTransaction(context.Background(), TransactionRequest{
				ProductCode: "PUBGM-RCFPUBGM_60UC", PartnerReference: "ORD-5-1", Fields: map[string]string{"id": "5123456789"},
			})
			wantKind(t, err, tt.want)
			// A hang may time out before the simulator even reads the
			// request; either way it is sent at most once.
			if got := sim.Requests(pathCreate); got > 1 || got == 0 && tt.mode != senpaysim.FaultHang {
				t.Errorf("got %d create requests, want 1", got)
			}
			if got := len(sim.Transactions()) == 1; got != tt.wantOrder {
				t.Errorf("order taken: got %v, want %v", got, tt.wantOrder)
			}
		})
	}
}

// A create that never left the machine is not an unknown outcome.
func TestCreateConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := New(Config{BaseURL: "http://" + addr, RatePerSecond: -1, Retry: fastRetry})
	_, err = c.CreateTransaction(context.Background(), TransactionRequest{ProductCode: "X", PartnerReference: "Y"})
	wantKind(t, err, suppliers.KindUnavailable)
}

func TestBadAPIKeyOnReads(t *testing.T) {
	_, srv := demoSim(t, senpaysim.Options{})
	c := testClient(srv, 5*time.Second, func(c *Config) { c.APIKey = "wrong" })
	ctx := context.Background()
	_, err := c.Providers(ctx)
	wantKind(t, err, suppliers.KindUnauthorized)
	_, err = c.FetchCatalog(ctx)
	wantKind(t, err, suppliers.KindUnauthorized)
	_, err = c.Transaction(ctx, "TRX1")
	wantKind(t, err, suppliers.KindUnauthorized)
}
