package isipay_test

import (
	"net/http/httptest"
	"testing"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/supplierstest"
)

func TestConformance(t *testing.T) {
	supplierstest.Run(t, supplierstest.Harness{
		Descriptor: isipay.Descriptor,
		Start: func(t *testing.T) *supplierstest.Sim {
			cat, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
			if err != nil {
				t.Fatal(err)
			}
			sim := isipaysim.New(cat, isipaysim.Options{APIToken: "t", Balance: 5_000_000})
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			return &supplierstest.Sim{
				Values: suppliers.Values{"ISIPAY_BASE_URL": srv.URL, "ISIPAY_API_TOKEN": "t", "ISIPAY_RATE_LIMIT": "-1"},
				Refuse: func(code string) {
					if err := sim.SetActive(code, false); err != nil {
						t.Fatal(err)
					}
				},
				Break: func() { sim.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultHTTP500, Count: 1}) },
				// One product's variants go bad while the others are fine.
				Garble: func() {
					sim.Fail(isipaysim.Fault{Path: isipaysim.PathVariant, Mode: isipaysim.FaultTruncated, Count: 1})
				},
				Stop:    srv.Close,
				Balance: 5_000_000,
			}
		},
	})
}
