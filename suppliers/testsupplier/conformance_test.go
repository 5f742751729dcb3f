package testsupplier_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/supplierstest"
	"github.com/syncd/syncd/suppliers/testsupplier"
	"github.com/syncd/syncd/suppliers/testsupplier/testsuppliersim"
)

// Catalog is a small catalog of the test supplier, the games and items
// of the other suppliers' demo catalogs under its own codes and words.
var Catalog = []testsuppliersim.Game{
	{ID: "ML", Title: "Mobile Legends", Enabled: true, Items: []testsuppliersim.Item{
		{SKU: "ML-86", Title: "86 Diamonds", Price: 19900, Enabled: true},
		{SKU: "ML-172", Title: "172 Diamonds", Price: 39800, Enabled: true},
		{SKU: "ML-WDP", Title: "Weekly Diamond Pass", Price: 27000, Enabled: false},
	}},
	{ID: "FF", Title: "Free Fire", Enabled: true, Items: []testsuppliersim.Item{
		{SKU: "FF-100", Title: "100 Diamonds", Price: 14500, Enabled: true},
	}},
}

func TestConformance(t *testing.T) {
	supplierstest.Run(t, supplierstest.Harness{
		Descriptor: testsupplier.Descriptor,
		Start: func(t *testing.T) *supplierstest.Sim {
			games := make([]testsuppliersim.Game, len(Catalog))
			for i, g := range Catalog {
				games[i] = g
				games[i].Items = append([]testsuppliersim.Item(nil), g.Items...)
			}
			sim := testsuppliersim.New(games, testsuppliersim.Options{APIKey: "key", Balance: 1_000_000})
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			return &supplierstest.Sim{
				Values: suppliers.Values{"TESTSUPPLIER_BASE_URL": srv.URL, "TESTSUPPLIER_API_KEY": "key",
					"TESTSUPPLIER_RATE_LIMIT": "-1"},
				Refuse:  func(code string) { sim.SetInStock(code, false) },
				Break:   func() { sim.Fail("/orders", http.StatusInternalServerError) },
				Garble:  func() { sim.Garble("/catalog") },
				Stop:    srv.Close,
				Balance: 1_000_000,
			}
		},
	})
}
