package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"weak"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
	"github.com/syncd/syncd/suppliers/testsims"
)

const testAdmin = "test-admin-token"

// running is a syncd serving over loopback, stopped at the test's end.
type running struct {
	app *app
	at  listening
}

// startServe runs newApp and serve with env (plus an admin token, port 0
// and a database in t.TempDir() unless env sets them).
func startServe(t *testing.T, env map[string]string) *running {
	t.Helper()
	return startServeWith(t, registered, env)
}

// startServeWith is startServe for syncd built with the suppliers reg.
func startServeWith(t *testing.T, reg []suppliers.Descriptor, env map[string]string) *running {
	t.Helper()
	defaults := map[string]string{
		"SYNCD_ADDR": "127.0.0.1:0", "SYNCD_ADMIN_TOKEN": testAdmin,
		"SYNCD_DB": dbtest.DSN(t),
	}
	cfg, err := parseConfigWith(reg, "serve", nil, func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return defaults[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	bound := make(chan listening, 1)
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, func(at listening) { bound <- at }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case at := <-bound:
		return &running{app: a, at: at}
	case err := <-done:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(schedWait):
		t.Fatalf("serve not listening after %v", schedWait)
	}
	return nil
}

// get requests url with token (none when empty).
func get(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func (r *running) waitReady(t *testing.T) {
	t.Helper()
	waitFor(t, "readiness", func() bool {
		resp, _ := get(t, "http://"+r.at.API+"/readyz", "")
		return resp.StatusCode == 200
	})
}

// scrape fetches url and parses the Prometheus text format.
func scrape(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, body := get(t, url, token)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: got %d, want 200: %s", url, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); expfmt.ResponseFormat(resp.Header).FormatType() != expfmt.TypeTextPlain {
		t.Fatalf("GET %s: content type %q, want the text format", url, ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return fams
}

// series returns the value of every series of family name whose labels
// include want (a histogram's value is its sample count).
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) []float64 {
	var out []float64
next:
	for _, m := range fams[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			out = append(out, m.Counter.GetValue())
		case m.Gauge != nil:
			out = append(out, m.Gauge.GetValue())
		case m.Histogram != nil:
			out = append(out, float64(m.Histogram.GetSampleCount()))
		}
	}
	return out
}

// one is the single series of name with labels, failing the test if there
// is not exactly one.
func one(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	vs := series(fams, name, labels)
	if len(vs) != 1 {
		t.Fatalf("%s%v: got %d series, want 1", name, labels, len(vs))
	}
	return vs[0]
}

// TestMetricsAfterSync serves against both simulators and checks that a
// scrape after the start-up syncs, one order and the Senpay webhook that
// settles it shows them: sync runs, offers, data age, the catalog's version
// and items, the reprice, the HTTP requests, the order's attempt and
// status changes, its notifications and Isipay's balance.
func TestMetricsAfterSync(t *testing.T) {
	s := newSims(t)
	notes := newNotifyReceiver(t)
	env := s.env()
	env["SENPAY_WEBHOOK_ALLOW"] = "127.0.0.1/32"
	env["SYNCD_NOTIFY_URL"] = notes.url
	env["SYNCD_NOTIFY_SECRET"] = notifySecret
	// Longer than the test: the webhook, not a status poll, settles the
	// order.
	env["SYNCD_ORDER_POLL_INTERVAL"] = "5m"
	r := startServe(t, env)
	base := "http://" + r.at.API
	if r.at.Metrics != "" {
		t.Fatalf("metrics listener: got %q, want none by default", r.at.Metrics)
	}
	r.waitReady(t)
	if resp, body := get(t, base+"/v1/games", testAdmin); resp.StatusCode != 200 {
		t.Fatalf("GET /v1/games: got %d: %s", resp.StatusCode, body)
	}

	// One order, to Senpay, settled by its transaction_status webhook.
	item, price, fields := cheapestAt(t, r.app.catalog.Snapshot(), "senpay")
	o := placeOrder(t, base, testAdmin, "metrics-1", item, price, fields)
	if o.Status != "processing" || o.Supplier != "senpay" {
		t.Fatalf("order: got %s at %q, want processing at senpay", o.Status, o.Supplier)
	}
	txs := s.senpay.Transactions()
	if len(txs) != 1 {
		t.Fatalf("senpay transactions: got %d, want 1", len(txs))
	}
	if err := s.senpay.SendTransactionStatus(context.Background(), base+"/v1/webhooks/senpay", txs[0].Reference); err != nil {
		t.Fatalf("transaction_status webhook: %v", err)
	}
	if got := orderStatus(t, base, testAdmin, o.ID); got.Status != "success" || got.SN == "" {
		t.Fatalf("order after the webhook: got %s (sn %q), want success with the supplier's sn", got.Status, got.SN)
	}
	waitFor(t, "both notifications", func() bool { return notes.count() == 2 })

	if resp, _ := get(t, base+"/metrics", ""); resp.StatusCode != 401 {
		t.Errorf("GET /metrics without a token: got %d, want 401", resp.StatusCode)
	}
	// The notifier counts a delivery just after recording it, a scrape
	// reads the outbox and the counters at slightly different moments, and
	// the balance is checked beside the start-up syncs: scrape until all
	// three agree.
	var fams map[string]*dto.MetricFamily
	waitFor(t, "the notifications and the balance in a scrape", func() bool {
		fams = scrape(t, base+"/metrics", testAdmin)
		delivered := series(fams, "syncd_notifications_total", map[string]string{"outcome": "delivered"})
		pending := series(fams, "syncd_notifications_pending", nil)
		return len(delivered) == 1 && delivered[0] == 2 && len(pending) == 1 && pending[0] == 0 &&
			len(series(fams, "syncd_supplier_balance_rupiah", nil)) == 1
	})

	for _, s := range []string{"senpay", "isipay"} {
		sup := map[string]string{"supplier": s}
		if v := one(t, fams, "syncd_sync_runs_total", map[string]string{"supplier": s, "result": "ok"}); v < 1 {
			t.Errorf("%s ok syncs: got %v, want at least 1", s, v)
		}
		if v := one(t, fams, "syncd_sync_duration_seconds", sup); v < 1 {
			t.Errorf("%s sync durations observed: got %v, want at least 1", s, v)
		}
		if v := one(t, fams, "syncd_sync_offers", map[string]string{"supplier": s, "change": "seen"}); v < 20 {
			t.Errorf("%s offers seen: got %v, want the demo catalog (at least 20)", s, v)
		}
		if v := one(t, fams, "syncd_supplier_data_age_seconds", sup); v < 0 || v > 60 {
			t.Errorf("%s data age: got %vs, want a fresh sync", s, v)
		}
		if v := one(t, fams, "syncd_supplier_request_retries_total", sup); v != 0 {
			t.Errorf("%s retries: got %v, want 0 against a healthy simulator", s, v)
		}
	}
	if v := one(t, fams, "syncd_catalog_version", nil); v < 1 {
		t.Errorf("catalog version: got %v, want at least 1", v)
	}
	if v := one(t, fams, "syncd_catalog_items", map[string]string{"tier": "public", "state": "available"}); v < 10 {
		t.Errorf("available items: got %v, want at least 10", v)
	}
	// The start-up build and one per sync.
	if v := one(t, fams, "syncd_reprices_total", map[string]string{"cause": "sync"}); v < 3 {
		t.Errorf("sync reprices: got %v, want at least 3", v)
	}
	if v := one(t, fams, "syncd_http_requests_total", map[string]string{"route": "/v1/games", "method": "GET", "code": "200"}); v != 1 {
		t.Errorf("GET /v1/games 200s: got %v, want 1", v)
	}
	if v := one(t, fams, "syncd_http_requests_total", map[string]string{"route": "/metrics", "code": "401"}); v != 1 {
		t.Errorf("GET /metrics 401s: got %v, want 1", v)
	}
	if v := one(t, fams, "syncd_http_request_duration_seconds", map[string]string{"route": "/v1/games"}); v != 1 {
		t.Errorf("GET /v1/games latencies: got %v, want 1", v)
	}
	if v := one(t, fams, "syncd_http_requests_total", map[string]string{"route": "/v1/webhooks/{supplier}", "code": "200"}); v != 1 {
		t.Errorf("Senpay webhooks answered 200: got %v, want 1", v)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"syncd_order_attempts_total", map[string]string{"supplier": "senpay", "outcome": "accepted"}, 1},
		{"syncd_order_attempts_total", map[string]string{"supplier": "senpay", "outcome": "unknown"}, 0},
		{"syncd_order_unknown_outcomes_total", map[string]string{"supplier": "senpay"}, 0},
		{"syncd_order_fallbacks_total", map[string]string{"supplier": "isipay"}, 0},
		{"syncd_order_status_changes_total", map[string]string{"status": "processing"}, 1},
		{"syncd_order_status_changes_total", map[string]string{"status": "success"}, 1},
		{"syncd_orders", map[string]string{"status": "success"}, 1},
		{"syncd_orders", map[string]string{"status": "processing"}, 0},
		{"syncd_orders_attention", nil, 0},
		{"syncd_notifications_total", map[string]string{"outcome": "delivered"}, 2},
		{"syncd_notifications_total", map[string]string{"outcome": "retry"}, 0},
		{"syncd_notifications_pending", nil, 0},
		// The balance checked at start (the order went to Senpay).
		{"syncd_supplier_balance_rupiah", map[string]string{"supplier": "isipay"}, 10_000_000},
		{"syncd_supplier_state", map[string]string{"supplier": "senpay", "state": "ok"}, 1},
		{"syncd_supplier_state", map[string]string{"supplier": "isipay", "state": "degraded"}, 0},
		{"syncd_order_breaker_state", map[string]string{"supplier": "senpay", "state": "closed"}, 1},
		{"syncd_order_breaker_routing_total", map[string]string{"supplier": "isipay", "decision": "skipped"}, 0},
	} {
		if v := one(t, fams, c.name, c.labels); v != c.want {
			t.Errorf("%s%v: got %v, want %v", c.name, c.labels, v, c.want)
		}
	}
	if len(series(fams, "go_sql_open_connections", map[string]string{"db_name": "write"})) != 1 {
		t.Error("writer pool stats: absent, want go_sql_* for db_name=write")
	}

	// No series of ours names an item, a path or a token.
	for name, f := range fams {
		if !strings.HasPrefix(name, "syncd_") {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "item", "path", "id", "reference", "token":
					t.Errorf("%s has an unbounded label %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
}

// TestMetricsOnTheirOwnAddress serves /metrics without a token on
// SYNCD_METRICS_ADDR, and not on the API's address.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	r := startServe(t, map[string]string{"SYNCD_METRICS_ADDR": "127.0.0.1:0"})
	if r.at.Metrics == "" {
		t.Fatal("metrics listener: got none, want one")
	}
	fams := scrape(t, "http://"+r.at.Metrics+"/metrics", "")
	if v := one(t, fams, "syncd_catalog_version", nil); v < 1 {
		t.Errorf("catalog version: got %v, want at least 1", v)
	}
	if resp, body := get(t, "http://"+r.at.API+"/metrics", testAdmin); resp.StatusCode != 404 {
		t.Errorf("GET /metrics on the API address: got %d, want 404: %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, "http://"+r.at.Metrics+"/v1/games", testAdmin); resp.StatusCode != 404 {
		t.Errorf("the API on the metrics address: got %d, want 404", resp.StatusCode)
	}
}

// TestRefusedSyncIsNotObserved: a scheduled sync that finds the supplier
// already syncing (a sync started outside the scheduler) attempted
// nothing, so it must not reach afterSync, where it would count as a
// successful run with no offers.
func TestRefusedSyncIsNotObserved(t *testing.T) {
	db := testenv.NewDB(t)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	syncer := offers.NewSyncer(db, log)

	started, release := make(chan struct{}), make(chan struct{})
	outside := make(chan error, 1)
	go func() {
		_, err := syncer.Sync(context.Background(), "senpay", sourceOf(func(context.Context) (*offers.SupplierCatalog, error) {
			close(started)
			<-release
			return nil, errors.New("released")
		}))
		outside <- err
	}()
	<-started
	defer func() {
		close(release)
		<-outside
	}()

	var fetches atomic.Int64
	sched, err := newScheduler(log, syncer, map[string]offers.Source{"senpay": countedSource(&fetches)}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sched.shutdown)
	var observed atomic.Int64
	sched.afterSync = func(context.Context, offers.SyncResult) { observed.Add(1) }
	sched.start()
	waitFor(t, "the first run", func() bool { return len(sched.pendingFirstRuns()) == 0 })
	if n := observed.Load(); n != 0 {
		t.Errorf("afterSync calls for a refused sync: got %d, want 0", n)
	}
	if !strings.Contains(logs.String(), "sync skipped") {
		t.Errorf("log: got\n%s\nwant the skip logged", logs.String())
	}
}

// TestCatalogGaugesKeepNoOldSnapshot: the gauges count a snapshot once
// and recount after a swap, and what they counted does not keep an old
// snapshot (a whole catalog) alive.
func TestCatalogGaugesKeepNoOldSnapshot(t *testing.T) {
	te := testenv.New(t, testenv.Config{Suppliers: []testenv.Supplier{testsims.NewSenpay(senpaysim.Options{}).Supplier()}})
	first := te.SyncAll(t)
	gauges := catalogGauges(te.Catalog)
	st, ok := gauges()
	if !ok || st.Version != first.Version {
		t.Fatalf("gauges: got version %d (%v), want %d", st.Version, ok, first.Version)
	}
	old := weak.Make(first)
	first = nil
	if _, err := te.Catalog.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	if old.Value() != nil {
		t.Fatal("the counted snapshot is still reachable after a swap")
	}
	if st, _ := gauges(); st.Version != te.Catalog.Snapshot().Version {
		t.Fatalf("after the swap: counted version %d, want %d", st.Version, te.Catalog.Snapshot().Version)
	}
}
