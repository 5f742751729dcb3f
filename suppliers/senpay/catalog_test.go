package senpay

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

func TestFetchCatalogDemo(t *testing.T) {
	sim, srv := demoSim(t, senpaysim.Options{})
	cat, err := testClient(srv, 5*time.Second).FetchCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	served := sim.Catalog()
	if len(cat.Games) != len(served.Providers) || len(cat.Offers) != 120 {
		t.Fatalf("got %d games and %d offers, want %d and 120", len(cat.Games), len(cat.Offers), len(served.Providers))
	}
	offers := map[string]offers.Offer{}
	for _, o := range cat.Offers {
		offers[o.Code] = o
	}
	// Every served product arrives with its raw price and its provider.
	for _, p := range served.Providers {
		for _, pr := range p.Products {
			o, ok := offers[pr.Code]
			if !ok {
				t.Errorf("offer %s missing", pr.Code)
				continue
			}
			var raw string
			if json.Unmarshal(pr.Price, &raw) != nil {
				raw = string(pr.Price)
			}
			if o.GameCode != p.Code || o.CostRaw != raw || !o.Cost.Equal(dec(raw)) || o.Name != pr.Name {
				t.Errorf("offer %s: got game %s cost %s raw %q, want %s %s", o.Code, o.GameCode, o.Cost, o.CostRaw, p.Code, raw)
			}
		}
	}
	tests := []struct {
		code    string
		game    string
		costRaw string
		active  bool
	}{
		{"FFMAX-BJ-V3FFMAX_ID_10", "FFMAX-BJ-V3", "1864.50", true},
		{"MLBB-BJ-V3-ALLMLBB_ID_86", "MLBB-BJ-V3-ALL", "22870", true},
		{"MLBB-BJ-V3-ALLMLBB_ID_5532", "MLBB-BJ-V3-ALL", "1362900", false}, // inactive product
		{"FF-BJ-V3FF_ID_MB", "FF-BJ-V3", "83105", false},                   // active "0"
		{"PUBGM-RCFPUBGM_8100UC", "PUBGM-RCF", "1401900", false},           // active false
		{"RXNG-BJRXNG_60", "RXNG-BJ", "14500", false},                      // active product of an inactive provider
	}
	for _, tt := range tests {
		o := offers[tt.code]
		if o.GameCode != tt.game || o.CostRaw != tt.costRaw || o.Active != tt.active {
			t.Errorf("%s: got game %s raw %q active %v, want %s %q %v", tt.code, o.GameCode, o.CostRaw, o.Active, tt.game, tt.costRaw, tt.active)
		}
	}
	for _, g := range cat.Games {
		if g.Code == "GI-BJ" && (len(g.Form) != 2 || len(g.Form[1].Options) != 4 || g.IconURL == "" || g.Name != "Genshin Impact") {
			t.Errorf("GI-BJ: got %+v", g)
		}
		if g.Code == "RXNG-BJ" && g.Active {
			t.Errorf("RXNG-BJ: got active, want inactive")
		}
	}
}

// Steering the simulator shows up in the next fetch, as a sync expects.
func TestFetchCatalogFollowsChanges(t *testing.T) {
	sim, srv := demoSim(t, senpaysim.Options{})
	c := testClient(srv, 5*time.Second)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(sim.SetPrice("GI-BJGI_60", 13100))
	must(sim.SetActive("VALO-BJVALO_125", false))
	must(sim.Remove("HSR-BJHSR_60"))
	must(sim.Add("HSR-BJ", senpaysim.Product{Code: "HSR-BJHSR_NAMELESS", Name: "Nameless Glory", Price: json.RawMessage(`"151000"`)}))
	must(sim.SetProviderActive("VALO-BJ", false))

	cat, err := c.FetchCatalog(context.Background())
	must(err)
	offers := map[string]offers.Offer{}
	for _, o := range cat.Offers {
		offers[o.Code] = o
	}
	if o := offers["GI-BJGI_60"]; o.CostRaw != "13100" {
		t.Errorf("price change: got %q, want 13100", o.CostRaw)
	}
	if o := offers["VALO-BJVALO_125"]; o.Active {
		t.Errorf("deactivated offer: got active")
	}
	if o := offers["VALO-BJVALO_420"]; o.Active {
		t.Errorf("offer of a deactivated provider: got active")
	}
	if _, ok := offers["HSR-BJHSR_60"]; ok {
		t.Errorf("removed offer still listed")
	}
	if o := offers["HSR-BJHSR_NAMELESS"]; !o.Active || o.CostRaw != "151000" || o.GameCode != "HSR-BJ" {
		t.Errorf("added offer: got %+v", o)
	}
}

func TestFetchCatalogFailsWhole(t *testing.T) {
	tests := []struct {
		name  string
		steer func(*senpaysim.Sim)
		want  suppliers.Kind
		where string // the error names this
	}{
		{"one provider's listing down", func(s *senpaysim.Sim) {
			s.Fail(senpaysim.Fault{Path: pathProducts + "?provider=GI-BJ", Mode: senpaysim.Fault500})
		}, suppliers.KindUnavailable, "GI-BJ"},
		{"one provider's listing garbage", func(s *senpaysim.Sim) {
			s.Fail(senpaysim.Fault{Path: pathProducts + "?provider=HSR-BJ", Mode: senpaysim.FaultHTML})
		}, suppliers.KindBadReply, "HSR-BJ"},
		{"negative price", func(s *senpaysim.Sim) {
			s.SetPrice("PUBGM-RCFPUBGM_60UC", -14150)
		}, suppliers.KindBadReply, "PUBGM-RCF"},
		{"provider list refused", func(s *senpaysim.Sim) {
			s.Fail(senpaysim.Fault{Path: pathProviders, Mode: senpaysim.FaultStatus400})
		}, suppliers.KindRejected, pathProviders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := demoSim(t, senpaysim.Options{})
			tt.steer(sim)
			cat, err := testClient(srv, 5*time.Second).FetchCatalog(context.Background())
			if cat != nil {
				t.Errorf("got a catalog of %d offers with the error, want none", len(cat.Offers))
			}
			wantKind(t, err, tt.want)
			if !strings.Contains(err.Error(), tt.where) {
				t.Errorf("got %q, want it to name %s", err, tt.where)
			}
		})
	}
}

// The first failure stops the fetch: with one listing at a time, nothing
// after the failing provider is asked for.
func TestFetchCatalogStopsAtFirstFailure(t *testing.T) {
	sim, srv := demoSim(t, senpaysim.Options{})
	first := sim.Catalog().Providers[0].Code
	sim.Fail(senpaysim.Fault{Path: pathProducts + "?provider=" + first, Mode: senpaysim.Fault500})
	c := testClient(srv, 5*time.Second, func(c *Config) { c.Concurrency = 1 })
	_, err := c.FetchCatalog(context.Background())
	wantKind(t, err, suppliers.KindUnavailable)
	if got, want := sim.Requests(pathProducts+"?"), fastRetry.Attempts; got != want {
		t.Errorf("got %d listing requests, want %d (the failing provider's tries only)", got, want)
	}
}

func TestFetchCatalogRefusesEmptyProviderList(t *testing.T) {
	sim := senpaysim.New(&senpaysim.Catalog{}, senpaysim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	_, err := testClient(srv, 5*time.Second).FetchCatalog(context.Background())
	wantKind(t, err, suppliers.KindBadReply)
}

func TestFetchCatalogHonoursContext(t *testing.T) {
	sim, srv := demoSim(t, senpaysim.Options{})
	sim.SetLatency(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	_, err := testClient(srv, 5*time.Second).FetchCatalog(ctx)
	if err == nil {
		t.Fatal("got a catalog, want the deadline's error")
	}
	if !errors.Is(err, context.DeadlineExceeded) && suppliers.KindOf(err) != suppliers.KindUnavailable {
		t.Errorf("got %v, want a deadline or unavailable error", err)
	}
}

func BenchmarkFetchCatalog(b *testing.B) {
	sim := senpaysim.New(senpaysim.Generate(500, 100, 1), senpaysim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, RatePerSecond: -1, Concurrency: 8})
	b.ReportAllocs()
	for b.Loop() {
		cat, err := c.FetchCatalog(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if len(cat.Offers) != 50_000 {
			b.Fatalf("got %d offers, want 50000", len(cat.Offers))
		}
	}
}
