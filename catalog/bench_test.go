package catalog

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/syncd/syncd/matching"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/rules"
)

var benchUnits = []struct{ game, unit string }{
	{"Mobile Legends", "Diamonds"}, {"Free Fire", "Diamonds"}, {"PUBG Mobile", "UC"},
	{"Genshin Impact", "Genesis Crystals"}, {"Valorant", "VP"}, {"Honkai Star Rail", "Oneiric Shards"},
}

// benchInput is a catalog of two suppliers with groups × per offers each,
// the same items at both, as the stores would load it (links not yet made).
func benchInput(groups, per int) *input {
	in := &input{
		games:         map[string]*gameRow{},
		supplierGames: map[string]*supplierGameRow{},
		items:         map[string]*itemRow{},
		suppliers: map[string]offers.Health{
			"senpay": {LastSuccess: time.Now()}, "isipay": {LastSuccess: time.Now()},
		},
	}
	id := int64(0)
	for g := range groups {
		u := benchUnits[g%len(benchUnits)]
		name := fmt.Sprintf("%s %d", u.game, g)
		for _, sup := range []string{"senpay", "isipay"} {
			code := fmt.Sprintf("G%d", g)
			sg := &supplierGameRow{Supplier: sup, Code: code, Name: name, Active: true}
			if sup == "senpay" {
				sg.Form = []offers.Field{{Key: "id", Label: "User ID", Type: "text"}}
			}
			in.supplierGames[sup+"/"+code] = sg
			for i := range per {
				id++
				in.offers = append(in.offers, offerRow{GameCode: code, OfferState: &OfferState{ID: id, Supplier: sup,
					Code: fmt.Sprintf("%sX_%d", code, i), Name: fmt.Sprintf("%d %s", 10*(i+1), u.unit), Cost: int64(1000 + 137*i + len(sup)),
					Active: true, UpdatedAt: "2026-11-21T00:00:00.000000000Z"}})
			}
		}
	}
	return in
}

// matchInMemory links every offer as the linker would, without SQLite:
// games by name, items by match key.
func matchInMemory(in *input) {
	type key struct{ game, item string }
	items := map[key]string{}
	for _, sg := range in.supplierGames {
		sg.GameID = matching.GameID(sg.Name)
		if _, ok := in.games[sg.GameID]; !ok {
			in.games[sg.GameID] = &gameRow{ID: sg.GameID, Name: matching.DisplayName(sg.Name)}
		}
	}
	for i := range in.offers {
		o := &in.offers[i]
		sg := in.supplierGames[o.Supplier+"/"+o.GameCode]
		l := matching.Match(matchInput(o.Supplier, o.GameCode, sg.Name, o.Code, o.Name, testPrefixed[o.Supplier]))
		k, method := l.Item, string(l.Method)
		if !l.OK {
			k, method = "unmatched:"+o.Supplier+":"+o.Code, "unmatched"
		}
		id, seen := items[key{sg.GameID, k}]
		if !seen {
			id = ItemID(sg.GameID, k)
			items[key{sg.GameID, k}] = id
			in.items[id] = &itemRow{ID: id, GameID: sg.GameID, Name: o.Name}
		}
		o.ItemID, o.Method, o.Confidence = id, method, "1.00"
	}
}

// BenchmarkMatchSelectBuild is issue 3's target: match, select and build
// the snapshot for 100,000 offers (2 suppliers × 500 games × 100), in
// memory. SQLite's part (linking once, loading) is measured end to end by
// `syncd bench`.
func BenchmarkMatchSelectBuild(b *testing.B) {
	c := NewCatalog(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed, StaleAfter: time.Hour})
	set, err := rules.NewSet(nil)
	if err != nil {
		b.Fatal(err)
	}
	var snap *Snapshot
	for range b.N {
		b.StopTimer()
		in := benchInput(500, 100) // the rows as loaded: not part of the target
		b.StartTimer()
		matchInMemory(in)
		items, games := c.choose(in)
		c.price(items, []string{PublicTier}, set, time.Now())
		var err error
		if snap, err = build(nil, games, items, []string{PublicTier}, nil); err != nil {
			b.Fatal(err)
		}
		snap.seal(1, time.Now(), "bench")
		if _, _, err := snap.Catalog(PublicTier); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "live-MB")
	b.ReportMetric(float64(snap.ItemCount()), "items")
	runtime.KeepAlive(snap)
}

// benchRules is 200 rules over benchInput's games: a markup per game for
// 150 games, a member markup for 10 of them, a cost-plus on one item of
// 40 others.
func benchRules(b *testing.B, games []string, itemOf func(game string) string) *rules.Set {
	var list []rules.Rule
	add := func(js string) {
		r, err := rules.Decode([]byte(js))
		if err != nil {
			b.Fatal(err)
		}
		r.ID = fmt.Sprintf("r%d", len(list))
		list = append(list, r)
	}
	for i, g := range games[:150] {
		add(fmt.Sprintf(`{"name": "g%d", "match": {"game": %q}, "action": {"kind": "markup_percent", "value": "%d.5", "plus": 0},
			"round": {"step": 100, "mode": "up", "ending": 0}, "guard": {"min_margin_amount": 200}}`, i, g, 3+i%8))
	}
	for i, g := range games[:10] {
		add(fmt.Sprintf(`{"name": "m%d", "match": {"game": %q, "tier": "member"}, "action": {"kind": "markup_percent", "value": "2", "plus": 0}}`, i, g))
	}
	for i, g := range games[150:190] {
		add(fmt.Sprintf(`{"name": "i%d", "match": {"item": %q}, "action": {"kind": "cost_plus", "value": "1000", "plus": 0},
			"round": {"step": 500, "mode": "nearest", "ending": 0}}`, i, itemOf(g)))
	}
	set, err := rules.NewSet(list)
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkReprice is issue 4's full reprice: every item of a 100,000-offer
// catalog (80,000-odd items) in 3 tiers under 200 rules.
func BenchmarkReprice(b *testing.B) {
	c := NewCatalog(nil, slog.New(slog.NewTextHandler(io.Discard, nil)), Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed, StaleAfter: time.Hour})
	in := benchInput(500, 100)
	matchInMemory(in)
	items, games := c.choose(in)
	var ids []string
	for id := range games {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	first := map[string]string{}
	for _, it := range items {
		if _, ok := first[it.GameID]; !ok {
			first[it.GameID] = it.ID
		}
	}
	set := benchRules(b, ids, func(g string) string { return first[g] })
	tiers := []string{PublicTier, "member", "reseller"}
	now := time.Now()
	b.ResetTimer()
	for range b.N {
		c.price(items, tiers, set, now)
	}
	b.ReportMetric(float64(len(items)*len(tiers)), "item-tiers")
}
