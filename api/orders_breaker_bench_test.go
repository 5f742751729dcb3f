package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/rules"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
)

// BenchmarkOrdersSupplierDown is issue 18's target: a steady 50 orders a
// second for 86 diamonds, whose cheapest supplier is Isipay, first with
// both simulators healthy, then, in the same run, with Isipay's order
// endpoint answering 502 to everything. Orders go over loopback HTTP to
// the real API and order service with the circuit breaker at its defaults
// (5 failures, 30 s cool-down); a +20% rule lets Senpay deliver at the
// price Isipay's cost sets. Each simulator answers after the given
// latency, a supplier's round trip (its 502s too).
//
// Reported: the latency of every order (request to 201) healthy and down,
// and down after the circuit opened; the ratio of those p99s; how many
// orders of the down phase waited on Isipay, and how many after the
// opening did (the probes, one per cool-down, counted apart); how many
// were left at Isipay with an unknown outcome to reconcile; and Isipay's
// order requests. breaker=off is the same without the breaker, for
// comparison.
//
//	go test ./api -run '^$' -bench BenchmarkOrdersSupplierDown -benchtime 2000x
func BenchmarkOrdersSupplierDown(b *testing.B) {
	for _, latency := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run(fmt.Sprintf("sim=%s", latency), func(b *testing.B) { benchSupplierDown(b, latency, 5) })
	}
	b.Run("sim=20ms/breaker=off", func(b *testing.B) { benchSupplierDown(b, 20*time.Millisecond, 0) })
}

func benchSupplierDown(b *testing.B, latency time.Duration, failures int) {
	const rate = 50
	ctx := context.Background()
	file, err := demoDB()
	if err != nil {
		b.Fatal(err)
	}
	db := testenv.OpenDB(b, testenv.CopyDB(b, file))
	s, err := startSims()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.close)
	s.isipay.SetBalance(1 << 50)
	s.isipay.SetLatency(latency)
	s.senpay.SetLatency(latency)
	log := slog.New(slog.DiscardHandler)
	cat := catalog.NewCatalog(db, log, catalogConfig())
	b.Cleanup(cat.Close)
	if _, err := cat.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	markup, err := rules.Decode([]byte(`{"name": "+20%", "action": {"kind": "markup_percent", "value": "20", "plus": 0}}`))
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := cat.SaveRule(ctx, catalog.RuleChange{Op: "create", Rule: markup}, "bench"); err != nil {
		b.Fatal(err)
	}
	tokens, err := auth.NewStore(ctx, db, log, auth.WithAdminToken(adminToken))
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := tokens.Create(ctx, "bench-shop", auth.RoleStorefront)
	if err != nil {
		b.Fatal(err)
	}
	ip := &timed{Supplier: s.sources[isipay.Name].(*isipay.Client), spent: map[string]time.Duration{}}
	sp := &timed{Supplier: s.sources[senpay.Name].(*senpay.Client), spent: map[string]time.Duration{}}
	var opened atomic.Int64 // unix nanos of the circuit's first opening
	var probes atomic.Int64
	svc := orders.New(db, cat, log, nil, orders.Config{
		Suppliers: map[string]orders.Supplier{isipay.Name: ip, senpay.Name: sp},
		Breaker:   orders.BreakerConfig{Failures: failures, Cooldown: 30 * time.Second},
		Observe: func(event, supplier, outcome string) {
			switch {
			case event == "breaker" && outcome == string(orders.BreakerOpen):
				opened.CompareAndSwap(0, time.Now().UnixNano())
			case event == "breaker_route" && outcome == "probe":
				probes.Add(1)
			}
		},
	})
	b.Cleanup(svc.Close)
	srv := httptest.NewServer(New(Config{Suppliers: supplierNames, StaleAfter: time.Hour, Orders: svc}, log, tokens,
		offers.NewSyncer(db, log), cat, nil, nil))
	b.Cleanup(srv.Close)
	it, _ := cat.Snapshot().Item(diamonds86)
	price := *it.PriceIn("public").Amount
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(client.CloseIdleConnections)

	// place offers b.N orders at rate a second (up to 64 in flight) and
	// returns each one's start, latency and first attempt's reference.
	type placed struct {
		start    time.Time
		latency  time.Duration
		ref      string
		supplier string
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	place := func(phase string) []placed {
		out := make([]placed, b.N)
		var next atomic.Int64
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for {
					<-tick.C
					i := int(next.Add(1)) - 1
					if i >= b.N {
						return
					}
					body := fmt.Sprintf(`{"reference": "down-%s-%s-%d", "item": %q, "fields": {"user_id": "%d", "server": "1234"}, "expected_price": %d}`,
						run, phase, i, diamonds86, 10000000+i, price)
					t0, d, o, err := placeOrder(client, srv.URL, token, body)
					if err != nil {
						b.Errorf("%s order %d: %v", phase, i, err)
						return
					}
					out[i] = placed{start: t0, latency: d, supplier: o.Supplier,
						ref: "SD" + strings.ToUpper(strings.TrimPrefix(o.ID, "ord_")) + "01"}
				}
			})
		}
		wg.Wait()
		return out
	}
	pct := func(xs []time.Duration, p float64) float64 {
		if len(xs) == 0 {
			return 0
		}
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return float64(xs[min(len(xs)-1, int(float64(len(xs))*p))].Microseconds()) / 1000
	}
	latencies := func(ps []placed, keep func(placed) bool) []time.Duration {
		var out []time.Duration
		for _, p := range ps {
			if keep(p) {
				out = append(out, p.latency)
			}
		}
		return out
	}
	all := func(placed) bool { return true }

	b.ResetTimer()
	healthy := place("healthy")
	if b.Failed() {
		return
	}
	s.isipay.Fail(isipaysim.Fault{Path: isipaysim.PathOrder, Mode: isipaysim.FaultBadGateway})
	before := s.isipay.Requests(isipaysim.PathOrder)
	down := place("down")
	b.StopTimer()
	if b.Failed() {
		return
	}
	requests := s.isipay.Requests(isipaysim.PathOrder) - before

	at := time.Unix(0, opened.Load())
	after := func(p placed) bool { return opened.Load() != 0 && p.start.After(at) }
	waited, waitedAll, atIsipay := 0, 0, 0
	for _, p := range down {
		if p.supplier == isipay.Name {
			atIsipay++
		}
		if ip.waited(p.ref) > 0 {
			waitedAll++
			if after(p) {
				waited++
			}
		}
	}
	hp99, ap99 := pct(latencies(healthy, all), 0.99), pct(latencies(down, after), 0.99)
	b.ReportMetric(pct(latencies(healthy, all), 0.50), "healthy-p50-ms")
	b.ReportMetric(hp99, "healthy-p99-ms")
	b.ReportMetric(pct(latencies(down, all), 0.99), "down-p99-ms")
	b.ReportMetric(pct(latencies(down, after), 0.50), "open-p50-ms")
	b.ReportMetric(ap99, "open-p99-ms")
	if hp99 > 0 {
		b.ReportMetric(ap99/hp99, "open/healthy-p99")
	}
	b.ReportMetric(float64(waitedAll), "down-waited")
	b.ReportMetric(float64(waited-int(probes.Load())), "waited-after-open")
	b.ReportMetric(float64(probes.Load()), "probes")
	b.ReportMetric(float64(atIsipay), "left-at-isipay")
	b.ReportMetric(float64(requests), "isipay-order-requests")
}
