package senpay

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

const recordedDir = "../../testdata/senpay/recorded"

func recorded(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(recordedDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fastRetry keeps retried reads quick in tests.
var fastRetry = suppliers.Retry{Attempts: 3, Base: time.Millisecond, Max: 20 * time.Millisecond}

// testClient returns a client of srv without a rate limit.
func testClient(srv *httptest.Server, timeout time.Duration, mod ...func(*Config)) *Client {
	cfg := Config{
		BaseURL:       srv.URL,
		APIKey:        "test-api-key",
		SecretKey:     "test-secret-key",
		HTTP:          &http.Client{Timeout: timeout},
		RatePerSecond: -1,
		Retry:         fastRetry,
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg)
}

// clock is a settable clock for the simulator's order progression.

// demoSim serves the demo catalog over real HTTP with the test credentials.
func demoSim(t *testing.T, opts senpaysim.Options) (*senpaysim.Sim, *httptest.Server) {
	t.Helper()
	cat, err := senpaysim.LoadCatalog(recordedCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if opts.APIKey == "" {
		opts.APIKey, opts.SecretKey = "test-api-key", "test-secret-key"
	}
	sim := senpaysim.New(cat, opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close()
		srv.Close()
	})
	return sim, srv
}

func recordedCatalog(t testing.TB) []byte {
	t.Helper()
	return senpaysim.DemoCatalog
}

// wantKind fails unless err is a *suppliers.Error of kind want that names
// Senpay.
func wantKind(t *testing.T, err error, want suppliers.Kind) *suppliers.Error {
	t.Helper()
	var e *suppliers.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want a *suppliers.Error of kind %s", err, want)
	}
	if e.Kind != want {
		t.Fatalf("got kind %s (%v), want %s", e.Kind, err, want)
	}
	if e.Supplier != Name || !strings.Contains(err.Error(), "senpay ") {
		t.Errorf("error %q does not name the supplier", err)
	}
	return e
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
