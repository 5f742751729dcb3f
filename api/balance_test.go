package api

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/senpay"
)

// TestSuppliersShowLowBalance: /v1/suppliers tells the estimate, the last
// read, the threshold and a warning in force, as openapi.json says, and
// "unknown" for a supplier whose balance syncd cannot know.
func TestSuppliersShowLowBalance(t *testing.T) {
	t.Parallel()
	var svc *orders.Service
	c := newSyncedCatalogEnv(t, func(cfg *Config, db *syncd.DB, cat *catalog.Catalog, sources map[string]offers.Source) {
		svc = orders.New(db, cat, slog.New(slog.DiscardHandler), nil, orders.Config{
			Suppliers: map[string]orders.Supplier{senpay.Name: sources[senpay.Name].(*senpay.Client), isipay.Name: sources[isipay.Name].(*isipay.Client)},
			Balance:   orders.BalanceConfig{Low: map[string]orders.LowBalance{"": {Amount: 500_000}}, Margin: 50_000},
		})
		t.Cleanup(svc.Close)
		cfg.Orders = svc
	})
	admin := c.token(t, auth.RoleAdmin)
	ctx := context.Background()
	before := time.Now().UTC().Add(-time.Second)
	if err := svc.RecordBalance(ctx, isipay.Name, 92, nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncBalances(ctx); err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Supplier        string
		Balance         *int64
		BalanceRead     *int64     `json:"balance_read"`
		BalanceStatus   string     `json:"balance_status"`
		LowThreshold    *int64     `json:"low_balance_threshold"`
		LowRule         string     `json:"low_balance_rule"`
		LowBalanceSince *time.Time `json:"low_balance_since"`
	}
	var got struct{ Suppliers []entry }
	c.get(t, "/v1/suppliers", admin, &got)
	by := map[string]entry{}
	for _, e := range got.Suppliers {
		by[e.Supplier] = e
	}
	ip := by[isipay.Name]
	if ip.BalanceStatus != "low" || *ip.Balance != 92 || *ip.BalanceRead != 92 || *ip.LowThreshold != 500_000 || ip.LowRule != "500000" ||
		ip.LowBalanceSince == nil || ip.LowBalanceSince.Before(before) {
		t.Errorf("isipay: got %+v, want low at 92 under 500000", ip)
	}
	if sp := by[senpay.Name]; sp.BalanceStatus != "unknown" || sp.Balance != nil || sp.LowThreshold != nil || sp.LowBalanceSince != nil {
		t.Errorf("senpay: got %+v, want unknown", sp)
	}
	// The catalog priced 86 Diamonds away from Isipay at once.
	var detail struct {
		Item struct {
			Reason string `json:"reason"`
		} `json:"item"`
	}
	c.get(t, "/v1/items/"+diamonds86+"/offers", admin, &detail)
	if want := "isipay skipped: estimated balance 92 below cost 20,350"; !strings.HasPrefix(detail.Item.Reason, want) {
		t.Errorf("offers reason: got %q, want it to start %q", detail.Item.Reason, want)
	}
}
