package senpay_test

import (
	"net/http/httptest"
	"os"
	"testing"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
	"github.com/syncd/syncd/suppliers/supplierstest"
)

func TestConformance(t *testing.T) {
	valid, err := os.ReadFile("../../testdata/senpay/recorded/webhook_price_update.json")
	if err != nil {
		t.Fatal(err)
	}
	invalid, err := os.ReadFile("../../testdata/senpay/recorded/webhook_unknown_type.json")
	if err != nil {
		t.Fatal(err)
	}
	supplierstest.Run(t, supplierstest.Harness{
		Descriptor: senpay.Descriptor,
		Start: func(t *testing.T) *supplierstest.Sim {
			cat, err := senpaysim.LoadCatalog(senpaysim.DemoCatalog)
			if err != nil {
				t.Fatal(err)
			}
			sim := senpaysim.New(cat, senpaysim.Options{APIKey: "k", SecretKey: "s"})
			t.Cleanup(sim.Close)
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			return &supplierstest.Sim{
				Values: suppliers.Values{"SENPAY_BASE_URL": srv.URL, "SENPAY_API_KEY": "k", "SENPAY_SECRET_KEY": "s",
					"SENPAY_RATE_LIMIT": "-1", "SENPAY_WEBHOOK_ALLOW": "206.189.83.1/32"},
				Refuse: func(code string) {
					if err := sim.SetActive(code, false); err != nil {
						t.Fatal(err)
					}
				},
				Break: func() {
					sim.Fail(senpaysim.Fault{Path: "/api/prepaid/transaction/create", Mode: senpaysim.Fault500, Count: 1})
				},
				// One provider's listing goes bad while the others are fine.
				Garble: func() {
					sim.Fail(senpaysim.Fault{Path: "/api/prepaid/product", Mode: senpaysim.FaultHTML, Count: 1})
				},
				Stop:    srv.Close,
				Webhook: &supplierstest.Webhook{Valid: valid, Invalid: invalid},
			}
		},
	})
}
