package main

import (
	"net/http/httptest"
	"testing"

	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// testSims are both simulators serving the demo catalogs,
// with the credentials the tests use: senpay key "k" and secret "s",
// isipay token "t". The sims can be steered (prices, outages).
type testSims struct {
	senpay               *senpaysim.Sim
	isipay               *isipaysim.Sim
	senpayCodes          []string // every product code in senpay's catalog
	senpayURL, isipayURL string
}

func newSims(t *testing.T) *testSims {
	t.Helper()
	spCat, err := senpaysim.LoadCatalog(senpaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	ipCat, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	s := &testSims{
		senpay:      senpaysim.New(spCat, senpaysim.Options{APIKey: "k", SecretKey: "s"}),
		isipay:      isipaysim.New(ipCat, isipaysim.Options{APIToken: "t", Balance: 10_000_000}),
		senpayCodes: spCat.ProductCodes(),
	}
	sp := httptest.NewServer(s.senpay)
	t.Cleanup(sp.Close)
	ip := httptest.NewServer(s.isipay)
	t.Cleanup(ip.Close)
	s.senpayURL, s.isipayURL = sp.URL, ip.URL
	return s
}

// startSims serves both simulators and returns their URLs.
func startSims(t *testing.T) (senpayURL, isipayURL string) {
	t.Helper()
	s := newSims(t)
	return s.senpayURL, s.isipayURL
}

// env configures both suppliers against the simulators.
func (s *testSims) env() map[string]string {
	return map[string]string{
		"SENPAY_BASE_URL": s.senpayURL, "SENPAY_API_KEY": "k", "SENPAY_SECRET_KEY": "s",
		"ISIPAY_BASE_URL": s.isipayURL, "ISIPAY_API_TOKEN": "t",
	}
}
