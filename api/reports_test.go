package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/reports"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// withReports serves the reports over the env's database and hands the
// store to *rs.
func withReports(rs **reports.Store) configureFunc {
	return func(cfg *Config, db *syncd.DB, _ *catalog.Catalog, _ map[string]offers.Source) {
		*rs = reports.New(db)
		cfg.Reports = *rs
	}
}

// reportsEnv is the orders env with reports, and with a +20% rule so that
// Senpay can deliver what Isipay, the cheapest, refuses.
type reportsEnv struct {
	*ordersEnv
	reports *reports.Store
}

func newReportsEnv(t *testing.T) *reportsEnv {
	t.Helper()
	re := &reportsEnv{ordersEnv: &ordersEnv{}}
	re.catalogEnv = newSyncedCatalogEnv(t, withOrders(t, re.ordersEnv), withReports(&re.reports))
	re.isipay.SetBalance(10_000_000)
	re.admin = re.token(t, auth.RoleAdmin)
	re.createRule(t, `{"name": "+20%", "action": {"kind": "markup_percent", "value": "20"}}`)
	return re
}

// order places one order for 86 diamonds at its current price.
func (re *reportsEnv) order(t *testing.T, ref string) wireOrder {
	t.Helper()
	resp, b := re.call(t, "POST", "/v1/orders", re.storefront, orderBody(ref, diamonds86, re.price(t, diamonds86)))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("order %s: got %d: %s", ref, resp.StatusCode, b)
	}
	return decodeOrder(t, b)
}

// TestReportsOverRealOrders: orders placed, routed, refused, reconciled
// and settled through the real order service are reported as the orders
// themselves say they went: the report's totals are computed here again
// from each order's routing (GET /v1/orders/{id}/routing), before and
// after the roll-up is folded, and the CSV says what the JSON says.
func TestReportsOverRealOrders(t *testing.T) {
	t.Parallel()
	re := newReportsEnv(t)
	ctx := context.Background()
	start := time.Now().UTC().Truncate(time.Hour)

	re.order(t, "rep-ok") // Isipay takes it; delivered at the next poll
	// Isipay refuses one clearly: it falls back to Senpay.
	re.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultErrorBody, Code: 400, Message: "Produk sedang gangguan", Count: 1})
	if o := re.order(t, "rep-fallback"); o.Supplier != senpay.Name {
		t.Fatalf("after Isipay's refusal: got %+v, want the order at senpay", o)
	}
	// Isipay and both of Senpay's offers refuse one: it fails, nothing
	// bought, after two fallbacks.
	re.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultErrorBody, Code: 400, Message: "Produk sedang gangguan", Count: 1})
	re.senpay.Fail(senpaysim.Fault{Path: "/api/prepaid/transaction/create", Mode: senpaysim.FaultStatus400, Message: "Stok habis", Count: 2})
	if o := re.order(t, "rep-failed"); o.Status != "failed" {
		t.Fatalf("refused by both: got %+v, want failed", o)
	}
	// One waits for an operator, who settles it delivered; another waits.
	settled := re.toAttention(t, "rep-settled")
	resp, b := re.call(t, "POST", "/v1/orders/"+settled.ID+"/settle", re.admin, `{"outcome":"succeeded","sn":"SN-1","note":"Isipay confirmed it"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("settle: got %d: %s", resp.StatusCode, b)
	}
	re.toAttention(t, "rep-waiting")
	re.clock.Add(time.Minute)
	if _, err := re.svc.Poll(ctx); err != nil {
		t.Fatal(err)
	}

	// What the orders say, one by one.
	var list struct{ Orders []wireOrder }
	re.get(t, "/v1/orders?limit=1000", re.admin, &list)
	var want reports.Figures
	for _, o := range list.Orders {
		var rt struct {
			Cost     *int64
			Attempts []struct{ Seq int }
			Events   []struct {
				Kind   string
				Detail json.RawMessage
			}
		}
		re.get(t, "/v1/orders/"+o.ID+"/routing", re.admin, &rt)
		want.Orders++
		switch o.Status {
		case "success":
			want.Succeeded++
			want.Revenue += o.Price
			want.Cost += *rt.Cost
		case "failed":
			want.Failed++
		case "attention":
			want.Attention++
		default:
			want.Open++
		}
		if len(rt.Attempts) > 1 {
			want.Fallbacks++
		}
		unknown, settledBy := false, false
		for _, e := range rt.Events {
			var d struct{ Outcome string }
			json.Unmarshal(e.Detail, &d)
			unknown = unknown || e.Kind == "attempt" && (d.Outcome == "unknown" || d.Outcome == "taken")
			settledBy = settledBy || e.Kind == "settled"
		}
		if unknown {
			want.UnknownOutcomes++
		}
		if settledBy {
			want.SettledByOperator++
		}
	}
	want.Margin = want.Revenue - want.Cost
	if want.Orders != 5 || want.Succeeded != 3 || want.Failed != 1 || want.Attention != 1 || want.Fallbacks != 2 ||
		want.SettledByOperator != 1 || want.UnknownOutcomes != 2 {
		t.Fatalf("the orders did not go as staged: %+v", want)
	}

	period := fmt.Sprintf("from=%s&to=%s&tz=Asia/Jakarta", start.Format(time.RFC3339), start.Add(2*time.Hour).Format(time.RFC3339))
	for _, fold := range []bool{false, true} {
		if fold {
			if _, err := re.reports.Fold(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var rep reports.OrderReport
		re.get(t, "/v1/reports/orders?"+period, re.admin, &rep)
		got := rep.Totals
		got.SuccessPercent, got.MarginPercent, got.TimeToSuccessP50, got.TimeToSuccessP95 = nil, nil, nil, nil
		if got != want {
			t.Errorf("folded %v: report totals %+v; the orders say %+v", fold, got, want)
		}
		if rep.Period.Bucket != reports.Hour || len(rep.Series) != 2 || rep.Totals.TimeToSuccessP50 == nil {
			t.Errorf("folded %v: %s buckets %d, p50 %v; want 2 hours and a p50", fold, rep.Period.Bucket, len(rep.Series), rep.Totals.TimeToSuccessP50)
		}
		// The totals table as CSV is the JSON's totals.
		resp, b := re.call(t, "GET", "/v1/reports/orders.csv?table=totals&"+period, re.admin, "")
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/csv; charset=utf-8" {
			t.Fatalf("CSV: got %d %s: %s", resp.StatusCode, ct, b)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("CSV: %v: %s", err, b)
		}
		totals, _ := json.Marshal(rep.Totals)
		var byName map[string]any
		dec := json.NewDecoder(bytes.NewReader(totals))
		dec.UseNumber()
		dec.Decode(&byName)
		for i, col := range rows[0][2:] {
			cell, v := rows[1][i+2], byName[col]
			if v == nil && cell != "" || v != nil && fmt.Sprint(v) != cell {
				t.Errorf("CSV %s: %q, JSON %v", col, cell, v)
			}
		}
	}

	// Isipay's scorecard names its refusal in its own words.
	var sc reports.Scorecards
	re.get(t, "/v1/reports/suppliers?"+period, re.admin, &sc)
	var ip *reports.Scorecard
	for i := range sc.Suppliers {
		if sc.Suppliers[i].Supplier == isipay.Name {
			ip = &sc.Suppliers[i]
		}
	}
	if ip == nil || ip.Rejected != 2 || len(ip.Rejections) != 1 || ip.Rejections[0].Reason != "Produk sedang gangguan" || ip.Rejections[0].Count != 2 {
		t.Fatalf("isipay's scorecard: got %+v, want 2 refusals, both Produk sedang gangguan", ip)
	}
	if ip.UnknownOutcomes != 2 || ip.Routed < 4 {
		t.Errorf("isipay's scorecard: %d unknown outcomes, routed %d; want 2 and at least 4", ip.UnknownOutcomes, ip.Routed)
	}
}

// TestOpenAPIDocumentsReportResponses drives every report route to every
// status openapi.json documents for it, each response checked against its
// schema by call, and fails on a documented status no request produced.
func TestOpenAPIDocumentsReportResponses(t *testing.T) {
	t.Parallel()
	re := newReportsEnv(t)
	re.order(t, "doc-report-1")
	type req struct{ path, token string }
	var reqs []req
	for _, route := range []string{"/v1/reports/orders", "/v1/reports/suppliers"} {
		table := "?table=totals"
		if route == "/v1/reports/suppliers" {
			table = "?table=rejections"
		}
		reqs = append(reqs,
			req{route, re.admin}, req{route + "?from=2026-12-01&to=2026-12-31&tz=Asia/Jayapura", re.admin},
			req{route + "?from=yesterday", re.admin}, req{route + "?tz=Asia/Kolkata", re.admin},
			req{route, re.storefront}, req{route, re.merchandiser}, req{route, ""},
			req{route + ".csv" + table, re.admin}, req{route + ".csv?table=nope", re.admin}, req{route + ".csv", re.admin},
			req{route + ".csv" + table + "&from=2026-12-01T10:30:00Z", re.admin},
			req{route + ".csv" + table, re.storefront}, req{route + ".csv" + table, ""},
		)
	}
	for _, r := range reqs {
		re.call(t, "GET", r.path, r.token, "")
	}
	// Without reports: 404.
	off := newSyncedCatalogEnv(t)
	admin := off.token(t, auth.RoleAdmin)
	for _, p := range []string{"/v1/reports/orders", "/v1/reports/orders.csv?table=games", "/v1/reports/suppliers", "/v1/reports/suppliers.csv?table=balances"} {
		resp, b := off.call(t, "GET", p, admin, "")
		wantError(t, p+" without reports", resp, b, http.StatusNotFound, "not_found")
	}
	seen := map[string]bool{}
	maps.Copy(seen, re.seen)
	maps.Copy(seen, off.seen)
	paths, _ := re.doc.root["paths"].(map[string]any)
	for route, ops := range paths {
		if !strings.HasPrefix(route, "/v1/reports/") {
			continue
		}
		for method, op := range ops.(map[string]any) {
			responses, _ := op.(map[string]any)["responses"].(map[string]any)
			for status, r := range responses {
				if ref, _ := r.(map[string]any)["$ref"].(string); ref == "#/components/responses/Unavailable" {
					continue
				}
				if key := strings.ToUpper(method) + " " + route + " " + status; !seen[key] {
					t.Errorf("openapi.json documents %s, but no request produced it", key)
				}
			}
		}
	}
	// Every CSV table the document lists is served.
	for _, tables := range [][]string{reports.OrderTables, reports.ScorecardTables} {
		for _, table := range tables {
			route := "/v1/reports/orders.csv"
			if strings.Contains(strings.Join(reports.ScorecardTables, ","), table) {
				route = "/v1/reports/suppliers.csv"
			}
			if resp, b := re.call(t, "GET", route+"?table="+table, re.admin, ""); resp.StatusCode != http.StatusOK {
				t.Errorf("%s?table=%s: got %d: %s", route, table, resp.StatusCode, b)
			}
		}
	}
}
