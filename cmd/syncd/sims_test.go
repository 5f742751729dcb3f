package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// startSims serves both simulators with the demo catalogs from testdata/,
// with the credentials the tests use: senpay key "k" and secret "s", isipay
// token "t".
func startSims(t *testing.T) (senpayURL, isipayURL string) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	spCat, err := senpaysim.LoadCatalog(read("senpay/catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	ipCat, err := isipaysim.LoadCatalog(read("isipay/catalog.json"))
	if err != nil {
		t.Fatal(err)
	}
	sp := httptest.NewServer(senpaysim.New(spCat, senpaysim.Options{APIKey: "k", SecretKey: "s"}))
	t.Cleanup(sp.Close)
	ip := httptest.NewServer(isipaysim.New(ipCat, isipaysim.Options{APIToken: "t", Balance: 10_000_000}))
	t.Cleanup(ip.Close)
	return sp.URL, ip.URL
}
