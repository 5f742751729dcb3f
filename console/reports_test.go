package console_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/reports"
)

// TestReportsPage: an admin sees the period's orders summed, charted and
// tabled, downloads each table as CSV, and is told what is wrong with a
// period; the suppliers page shows each supplier's scorecard.
func TestReportsPage(t *testing.T) {
	e := newEnv(t)
	placed := e.history(6)
	if _, err := e.reports.Fold(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := e.signedIn(e.admin)
	_, body := c.get("/console/reports", http.StatusOK)
	mustContain(t, "reports", body, `aria-current="page">Reports`, "Revenue and margin by day", `<svg viewBox`,
		"Margin by game", "Supplier share of revenue", "Games", "Storefronts", `name="from"`, `name="to"`,
		`href="/console/reports/orders.csv?from=`, "Last 30 days")
	all, err := e.reports.Orders(context.Background(), mustPeriod(t, time.Now().AddDate(0, 0, -10).Format(time.DateOnly), time.Now().Format(time.DateOnly)))
	if err != nil {
		t.Fatal(err)
	}
	if all.Totals.Orders != int64(placed) || all.Totals.Succeeded == 0 {
		t.Fatalf("the last ten days: %d orders, %d delivered; want the %d placed, some delivered", all.Totals.Orders, all.Totals.Succeeded, placed)
	}
	// The page's default: the last seven days, today included.
	rep, err := e.reports.Orders(context.Background(), mustPeriod(t, "", ""))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "reports", body, "Rp "+idrText(rep.Totals.Revenue))

	for _, table := range []string{"totals", "series", "games", "suppliers", "storefronts"} {
		resp, csvBody := c.get("/console/reports/orders.csv?tz=Asia%2FJakarta&table="+table, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", table, ct)
		}
		rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Errorf("%s: %v, %d rows: %s", table, err, len(rows), csvBody)
		}
	}
	c.get("/console/reports/orders.csv?table=nope", http.StatusUnprocessableEntity)
	_, body = c.get("/console/reports?from=2026-12-07&to=2026-12-01", http.StatusUnprocessableEntity)
	mustContain(t, "a backwards period", body, "must be after from", `aria-invalid="true"`)
	_, body = c.get("/console/reports?from=2025-01-01&to=2025-01-01&tz=Asia%2FJayapura", http.StatusOK)
	mustContain(t, "a day without orders", body, `value="Asia/Jayapura" selected`, "No revenue in the period.", "by hour")

	_, body = c.get("/console/suppliers", http.StatusOK)
	mustContain(t, "suppliers", body, "Last 7 days", "Won on price", "Produk sedang gangguan", "Scorecards as CSV")
	resp, csvBody := c.get("/console/reports/suppliers.csv?table=scorecards", http.StatusOK)
	if rows, err := csv.NewReader(strings.NewReader(csvBody)).ReadAll(); err != nil || len(rows) != 3 || resp.Header.Get("Content-Disposition") == "" {
		t.Errorf("scorecards CSV: %v, %d rows, want a header and both suppliers: %s", err, len(rows), csvBody)
	}

	// A merchandiser is not shown the business's figures.
	m := e.signedIn(e.merch)
	m.get("/console/reports", http.StatusForbidden)
	m.get("/console/reports/orders.csv?table=totals", http.StatusForbidden)
}

// idrText is how the console writes an amount: 1.234.500.
func idrText(v int64) string {
	digits := strconv.FormatInt(v, 10)
	var b strings.Builder
	for i, ch := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func mustPeriod(t *testing.T, from, to string) reports.Period {
	t.Helper()
	p, err := reports.ParsePeriod(from, to, "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
