package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/suppliers/isipay"
)

// TestLowBalanceBanner: a low-balance warning in force shows on every
// page as a banner, and on the suppliers page beside the balance; senpay,
// whose balance syncd cannot read, says so.
func TestLowBalanceBanner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.svc.RecordBalance(ctx, isipay.Name, 92, nil); err != nil {
		t.Fatal(err)
	}
	merch := e.signedIn(e.merch)
	_, body := merch.get("/console/catalog", http.StatusOK)
	if strings.Contains(body, "Low balance") {
		t.Fatal("banner without a warning")
	}
	// A warning as the order service records it (its threshold comes
	// from SYNCD_LOW_BALANCE, which this env does not set).
	if _, err := e.db.Write.ExecContext(ctx, `UPDATE supplier_balances SET low_since = ?, low_threshold = 500000 WHERE supplier = 'isipay'`,
		syncd.FormatTime(e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	_, body = merch.get("/console/catalog", http.StatusOK)
	mustContain(t, "merchandiser's banner", body, "Low balance at isipay", "estimated Rp 92", "threshold of Rp 500.000", "top it up")
	if strings.Contains(body, `href="/console/suppliers"`) {
		t.Error("a merchandiser's banner links to the admins' suppliers page")
	}
	admin := e.signedIn(e.admin)
	_, body = admin.get("/console/suppliers", http.StatusOK)
	mustContain(t, "suppliers page", body, "Low balance at isipay", `<strong class="badge warn">low</strong>`, "Rp 92", "at the last check",
		"below Rp 500.000 since", "syncd cannot read it; never treated as empty")
}
