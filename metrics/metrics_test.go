package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves m's handler once and parses the text format.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: got %d, want 200: %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// sample finds the series of family name with exactly labels; for a
// histogram it returns the sample count.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestSyncSeries(t *testing.T) {
	m := New([]string{"senpay", "isipay"})
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return start.Add(90 * time.Second) }

	fams := scrape(t, m)
	for _, s := range []string{"senpay", "isipay"} {
		for _, r := range []string{"ok", "error"} {
			if v, ok := sample(fams, "syncd_sync_runs_total", map[string]string{"supplier": s, "result": r}); !ok || v != 0 {
				t.Errorf("runs %s/%s before any sync: got %v (present %v), want 0 present", s, r, v, ok)
			}
		}
	}
	if _, ok := sample(fams, "syncd_supplier_data_age_seconds", map[string]string{"supplier": "senpay"}); ok {
		t.Error("data age before any success: present, want absent")
	}

	m.Sync(SyncRun{Supplier: "senpay", OK: true, Started: start, Duration: 2 * time.Second, Seen: 40, Added: 3, Changed: 2, Removed: 1})
	m.Sync(SyncRun{Supplier: "senpay", OK: false, Started: start.Add(time.Minute), Duration: time.Second, Seen: 7})
	m.Retry("senpay")
	m.Retry("senpay")

	fams = scrape(t, m)
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"syncd_sync_runs_total", map[string]string{"supplier": "senpay", "result": "ok"}, 1},
		{"syncd_sync_runs_total", map[string]string{"supplier": "senpay", "result": "error"}, 1},
		{"syncd_sync_duration_seconds", map[string]string{"supplier": "senpay"}, 2},
		// The failed run's counts do not replace the successful one's.
		{"syncd_sync_offers", map[string]string{"supplier": "senpay", "change": "seen"}, 40},
		{"syncd_sync_offers", map[string]string{"supplier": "senpay", "change": "removed"}, 1},
		{"syncd_supplier_request_retries_total", map[string]string{"supplier": "senpay"}, 2},
		{"syncd_supplier_last_success_timestamp_seconds", map[string]string{"supplier": "senpay"}, float64(start.Unix())},
		{"syncd_supplier_data_age_seconds", map[string]string{"supplier": "senpay"}, 90},
	}
	for _, w := range want {
		got, ok := sample(fams, w.name, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v: got %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
}

func TestCatalogAndRepriceSeries(t *testing.T) {
	m := New(nil)
	if _, ok := scrape(t, m)["syncd_catalog_version"]; ok {
		t.Error("catalog version with no catalog watched: present, want absent")
	}
	built := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	m.WatchCatalog(func() (CatalogState, bool) {
		return CatalogState{Version: 7, BuiltAt: built, Items: []ItemCount{
			{"public", Available, 10}, {"public", Unavailable, 2}, {"public", Blocked, 1},
		}}, true
	})
	m.Repriced("sync", 30*time.Millisecond)
	m.Repriced("rule:01HZX", 5*time.Millisecond)
	m.Repriced("rule:01HZY", 5*time.Millisecond)
	m.Repriced("something new", time.Millisecond)

	fams := scrape(t, m)
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"syncd_catalog_version", nil, 7},
		{"syncd_catalog_built_timestamp_seconds", nil, float64(built.Unix())},
		{"syncd_catalog_items", map[string]string{"tier": "public", "state": "available"}, 10},
		{"syncd_catalog_items", map[string]string{"tier": "public", "state": "blocked"}, 1},
		{"syncd_reprices_total", map[string]string{"cause": "sync"}, 1},
		{"syncd_reprices_total", map[string]string{"cause": "rule"}, 2},
		{"syncd_reprices_total", map[string]string{"cause": "window"}, 0},
		{"syncd_reprices_total", map[string]string{"cause": "other"}, 1},
		{"syncd_catalog_build_seconds", nil, 4},
	}
	for _, w := range want {
		got, ok := sample(fams, w.name, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v: got %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	// No label carries a rule id.
	for _, s := range fams["syncd_reprices_total"].GetMetric() {
		for _, l := range s.GetLabel() {
			if v := l.GetValue(); v != "sync" && v != "rule" && v != "window" && v != "other" {
				t.Errorf("reprice cause label %q: want one of sync, rule, window, other", v)
			}
		}
	}
}

func TestHTTPSeriesAreBounded(t *testing.T) {
	m := New(nil)
	m.HTTP("/v1/games/{game}", "GET", 200, 3*time.Millisecond)
	m.HTTP("/v1/games/{game}", "GET", 200, 4*time.Millisecond)
	m.HTTP("", "GET", 404, time.Millisecond)
	m.HTTP("/healthz", "BREW", 405, time.Millisecond)

	fams := scrape(t, m)
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"syncd_http_requests_total", map[string]string{"route": "/v1/games/{game}", "method": "GET", "code": "200"}, 2},
		{"syncd_http_request_duration_seconds", map[string]string{"route": "/v1/games/{game}", "method": "GET"}, 2},
		{"syncd_http_requests_total", map[string]string{"route": "unmatched", "method": "GET", "code": "404"}, 1},
		{"syncd_http_requests_total", map[string]string{"route": "/healthz", "method": "OTHER", "code": "405"}, 1},
	}
	for _, w := range want {
		got, ok := sample(fams, w.name, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v: got %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds", "go_build_info"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s: absent, want the runtime and process collectors registered", name)
		}
	}
}

func TestSupplierStateAndBreakerSeries(t *testing.T) {
	m := New([]string{"senpay", "isipay"})
	m.WatchCatalog(func() (CatalogState, bool) {
		return CatalogState{Suppliers: map[string]string{"senpay": "degraded"}}, true
	})
	m.OrderEvent("breaker", "isipay", "open")
	m.OrderEvent("breaker_route", "isipay", "skipped")
	m.OrderEvent("breaker_route", "isipay", "skipped")
	m.OrderEvent("breaker", "isipay", "half_open")
	m.OrderEvent("breaker_route", "isipay", "probe")
	m.OrderEvent("breaker", "nobody", "open")

	fams := scrape(t, m)
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"syncd_supplier_state", map[string]string{"supplier": "senpay", "state": "degraded"}, 1},
		{"syncd_supplier_state", map[string]string{"supplier": "senpay", "state": "ok"}, 0},
		{"syncd_supplier_state", map[string]string{"supplier": "isipay", "state": "never_synced"}, 1},
		{"syncd_order_breaker_state", map[string]string{"supplier": "senpay", "state": "closed"}, 1},
		{"syncd_order_breaker_state", map[string]string{"supplier": "isipay", "state": "closed"}, 0},
		{"syncd_order_breaker_state", map[string]string{"supplier": "isipay", "state": "open"}, 0},
		{"syncd_order_breaker_state", map[string]string{"supplier": "isipay", "state": "half_open"}, 1},
		{"syncd_order_breaker_transitions_total", map[string]string{"supplier": "isipay", "state": "open"}, 1},
		{"syncd_order_breaker_transitions_total", map[string]string{"supplier": "other", "state": "open"}, 1},
		{"syncd_order_breaker_routing_total", map[string]string{"supplier": "isipay", "decision": "skipped"}, 2},
		{"syncd_order_breaker_routing_total", map[string]string{"supplier": "isipay", "decision": "probe"}, 1},
		{"syncd_order_breaker_routing_total", map[string]string{"supplier": "senpay", "decision": "only_supplier"}, 0},
	}
	for _, w := range want {
		got, ok := sample(fams, w.name, w.labels)
		if !ok || got != w.value {
			t.Errorf("%s%v: got %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
}

func TestDatabaseSeries(t *testing.T) {
	st := DatabaseStats{DurableTxs: 30, DurableCommits: 12, Checkpoints: 5, CheckpointsFailed: 1, WALBacklog: 40,
		CommitLatency: Histogram{
			Bounds: []time.Duration{time.Millisecond, 10 * time.Millisecond},
			Counts: []uint64{9, 2, 1}, // the last above 10 ms
			Sum:    30 * time.Millisecond,
		}}
	sqlite := New(nil)
	sqlite.WatchDatabase(true, func() DatabaseStats { return st })
	fams := scrape(t, sqlite)
	for _, w := range []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"syncd_db_durable_transactions_total", nil, 30},
		{"syncd_db_durable_commits_total", nil, 12},
		{"syncd_db_checkpoints_total", map[string]string{"result": "ok"}, 5},
		{"syncd_db_checkpoints_total", map[string]string{"result": "failed"}, 1},
		{"syncd_db_wal_backlog_frames", nil, 40},
		{"syncd_db_durable_commit_seconds", nil, 12},
	} {
		if got, ok := sample(fams, w.name, w.labels); !ok || got != w.value {
			t.Errorf("%s%v: got %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
	// The commits' histogram in seconds, its buckets cumulative.
	h := fams["syncd_db_durable_commit_seconds"].GetMetric()[0].GetHistogram()
	var got []string
	for _, b := range h.GetBucket() {
		got = append(got, fmt.Sprintf("le=%g:%d", b.GetUpperBound(), b.GetCumulativeCount()))
	}
	if want := []string{"le=0.001:9", "le=0.01:11", "le=+Inf:12"}; !slices.Equal(got, want) || h.GetSampleSum() != 0.03 {
		t.Errorf("commit seconds: buckets %v sum %v, want %v sum 0.03", got, h.GetSampleSum(), want)
	}
	// Read at each scrape.
	st.DurableTxs = 31
	if got, _ := sample(scrape(t, sqlite), "syncd_db_durable_transactions_total", nil); got != 31 {
		t.Errorf("second scrape: %v, want 31", got)
	}
	// PostgreSQL has no WAL of syncd's to checkpoint.
	pg := New(nil)
	pg.WatchDatabase(false, func() DatabaseStats { return st })
	fams = scrape(t, pg)
	if _, ok := fams["syncd_db_checkpoints_total"]; ok {
		t.Error("checkpoints on PostgreSQL: present, want absent")
	}
	if got, ok := sample(fams, "syncd_db_durable_commits_total", nil); !ok || got != 12 {
		t.Errorf("commits on PostgreSQL: %v (present %v), want 12", got, ok)
	}
}
