package catalog

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/matching"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// TestReviewHasEveryLoneOffer builds the demo catalogs (through SQLite and
// the real linker) and the generated 100,000-offer catalog of `syncd bench`
// (in memory, linked by matching.Groups: through SQLite it takes minutes under
// -race) and checks, independently of deriveReview, that every offer no
// other supplier sells in its item, while another supplier has an offer of
// the same unit and total (or pass and count) in the same or a sibling
// game, is in the review queue as lone.
func TestReviewHasEveryLoneOffer(t *testing.T) {
	demoSP, err := senpaysim.LoadCatalog(senpaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	demoIP, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("demo", func(t *testing.T) {
		s, db, clk := newTestSyncer(t)
		ctx := context.Background()
		for name, cat := range map[string]*offers.SupplierCatalog{"senpay": fromSenpaySim(t, demoSP), "isipay": fromIsipaySim(t, demoIP)} {
			if _, err := s.Sync(ctx, name, fixed(cat)); err != nil {
				t.Fatal(err)
			}
		}
		c := NewCatalog(db, discardLog, Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed})
		c.now = clk.now
		snap, err := c.Refresh(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var offers []loneCheck
		if err := db.Read.SelectContext(ctx, &offers, `SELECT o.id, o.supplier, o.name, sg.name AS game_name, o.item_id, o.link_manual
			FROM offers o JOIN supplier_games sg ON sg.supplier = o.supplier AND sg.code = o.game_code
			WHERE o.removed_at IS NULL AND o.item_id IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		checkLoneQueued(t, snap, offers, 5)
	})
	t.Run("generated 100,000 offers", func(t *testing.T) {
		in := linkedInput(t, map[string]*offers.SupplierCatalog{
			"senpay": fromSenpaySim(t, senpaysim.Generate(500, 100, 1)),
			"isipay": fromIsipaySim(t, isipaysim.Generate(500, 100, 2)),
		})
		c := NewCatalog(nil, slog.New(slog.DiscardHandler), Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed, StaleAfter: time.Hour})
		items, games := c.choose(in)
		review := deriveReview(in, items, games)
		snap, err := build(nil, games, items, []string{PublicTier}, nil)
		if err != nil {
			t.Fatal(err)
		}
		snap.review = review
		if snap.ItemCount() < 50_000 {
			t.Fatalf("items: got %d, want the whole generated catalog", snap.ItemCount())
		}
		offers := make([]loneCheck, len(in.offers))
		for i, o := range in.offers {
			offers[i] = loneCheck{ID: o.ID, Supplier: o.Supplier, Name: o.Name, GameName: in.supplierGames[o.Supplier+"/"+o.GameCode].Name, ItemID: o.ItemID}
		}
		checkLoneQueued(t, snap, offers, 1000)
	})
}

type loneCheck struct {
	ID       int64  `db:"id"`
	Supplier string `db:"supplier"`
	Name     string `db:"name"`
	GameName string `db:"game_name"`
	ItemID   string `db:"item_id"`
	Manual   bool   `db:"link_manual"`
}

func checkLoneQueued(t *testing.T, snap *Snapshot, offers []loneCheck, minLone int) {
	t.Helper()
	type bucket struct{ base, compat string }
	sellers := map[string][]string{}
	byCompat := map[bucket][]int{}
	compat := make([]bucket, len(offers))
	for i, o := range offers {
		if !slices.Contains(sellers[o.ItemID], o.Supplier) {
			sellers[o.ItemID] = append(sellers[o.ItemID], o.Supplier)
		}
		l := matching.Match(matching.Offer{Supplier: o.Supplier, GameName: o.GameName, Name: o.Name})
		if !l.OK {
			continue
		}
		base := matching.BaseName(o.GameName)
		compat[i] = bucket{base, l.Denomination.Compatible()}
		byCompat[compat[i]] = append(byCompat[compat[i]], i)
	}
	queued := map[int64][]string{}
	for _, e := range snap.Review() {
		queued[e.Offer.ID] = e.Reasons
	}
	lone := 0
	for i, o := range offers {
		if o.Manual || compat[i].compat == "" || len(sellers[o.ItemID]) > 1 {
			continue
		}
		for _, j := range byCompat[compat[i]] {
			if other := offers[j]; other.Supplier != o.Supplier && other.ItemID != o.ItemID {
				lone++
				if !slices.Contains(queued[o.ID], matching.Lone) {
					t.Errorf("%s %q in %s (%s) is alone in %s while %s sells %q in %s; queued as %v",
						o.Supplier, o.Name, o.GameName, compat[i].compat, o.ItemID, other.Supplier, other.Name, other.ItemID, queued[o.ID])
				}
				break
			}
		}
	}
	t.Logf("%d items, %d offers, %d in review, %d lone with a compatible offer of another supplier",
		snap.ItemCount(), len(offers), len(queued), lone)
	if lone < minLone {
		t.Errorf("lone offers: got %d, want at least %d (the check must have something to check)", lone, minLone)
	}
}

// linkedInput is what load would read after linking cats: games by name,
// items as matching.Groups groups them (an offer it cannot link, or that its
// listing makes ambiguous, its own item), every supplier synced now.
func linkedInput(t *testing.T, cats map[string]*offers.SupplierCatalog) *input {
	in := &input{games: map[string]*gameRow{}, supplierGames: map[string]*supplierGameRow{}, items: map[string]*itemRow{},
		suppliers: map[string]offers.Health{}}
	var matches []matching.Offer
	for _, name := range []string{"senpay", "isipay"} {
		cat := cats[name]
		in.suppliers[name] = offers.Health{LastSuccess: time.Now()}
		names := map[string]string{}
		for _, g := range cat.Games {
			id := matching.GameID(g.Name)
			in.supplierGames[name+"/"+g.Code] = &supplierGameRow{Supplier: name, Code: g.Code, Name: g.Name, Active: g.Active, Form: g.Form, GameID: id}
			if in.games[id] == nil {
				in.games[id] = &gameRow{ID: id, Name: matching.DisplayName(g.Name)}
			}
			names[g.Code] = g.Name
		}
		for _, o := range cat.Offers {
			in.offers = append(in.offers, offerRow{GameCode: o.GameCode, OfferState: &OfferState{ID: int64(len(in.offers) + 1),
				Supplier: name, Code: o.Code, Name: o.Name, Cost: o.Cost.Ceil().IntPart(), Active: o.Active,
				UpdatedAt: "2026-11-21T00:00:00.000000000Z"}})
			matches = append(matches, matchInput(name, o.GameCode, names[o.GameCode], o.Code, o.Name, testPrefixed[name]))
		}
	}
	for _, g := range matching.Groups(matches) {
		for k, i := range g.Offers {
			o, l := &in.offers[i], g.Links[k]
			label, method := l.Denomination.Label(), string(l.Method)
			if strings.Contains(g.Key, "/review:") {
				label, method = o.Supplier+":"+o.Code, "unmatched"
			}
			if k == 0 {
				id := ItemID(l.Game, label)
				if in.items[id] != nil {
					t.Fatalf("item id %s twice", id)
				}
				in.items[id] = &itemRow{ID: id, GameID: l.Game, Name: o.Name}
			}
			o.ItemID, o.Method = ItemID(l.Game, label), method
			if k > 0 {
				o.ItemID = in.offers[g.Offers[0]].ItemID
			}
			o.Confidence = strconv.FormatFloat(l.Confidence, 'f', 2, 64)
		}
	}
	return in
}

// simFlag reads a simulator's active flag: 1, "1", true, "active" are on.
func simFlag(raw json.RawMessage) bool {
	switch strings.Trim(string(raw), `"`) {
	case "0", "false", "inactive":
		return false
	}
	return true
}

func simCost(t *testing.T, raw json.RawMessage) (decimal.Decimal, string) {
	s := strings.Trim(string(raw), `"`)
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("price %s: %v", raw, err)
	}
	return d, s
}

// fromSenpaySim is a simulator catalog as the Senpay adapter would fetch
// it (no HTTP: 100,000 offers over loopback under -race take too long).
func fromSenpaySim(t *testing.T, c *senpaysim.Catalog) *offers.SupplierCatalog {
	out := &offers.SupplierCatalog{}
	for _, p := range c.Providers {
		g := offers.SupplierGame{Code: p.Code, Name: p.Name, Active: simFlag(p.Active)}
		for _, f := range p.Forms {
			g.Form = append(g.Form, offers.Field{Key: f.Key, Label: f.Label, Type: f.Type})
		}
		out.Games = append(out.Games, g)
		for _, o := range p.Products {
			cost, raw := simCost(t, o.Price)
			out.Offers = append(out.Offers, offers.Offer{Code: o.Code, GameCode: p.Code, Name: o.Name, Cost: cost, CostRaw: raw, Active: simFlag(o.Active)})
		}
	}
	return out
}

func fromIsipaySim(t *testing.T, c *isipaysim.Catalog) *offers.SupplierCatalog {
	out := &offers.SupplierCatalog{}
	for _, p := range c.Products {
		out.Games = append(out.Games, offers.SupplierGame{Code: p.Code, Name: p.Name, Active: simFlag(p.IsActive)})
		for _, v := range p.Variants {
			cost, raw := simCost(t, v.Price)
			out.Offers = append(out.Offers, offers.Offer{Code: v.Code, GameCode: p.Code, Name: v.Name, Cost: cost, CostRaw: raw, Active: simFlag(v.IsActive)})
		}
	}
	return out
}

// TestReviewCarriedThroughReprice: a sync that only moves costs reprices
// the touched games without relinking; the queue is the same, and its
// entries show the offers as they now are.
func TestReviewCarriedThroughReprice(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	cats := map[string]*offers.SupplierCatalog{}
	for _, f := range []string{"senpay.json", "isipay.json"} {
		name, cat := readGroupCatalog(t, "../testdata/matching/group/"+f)
		cats[name] = cat
		if _, err := s.Sync(ctx, name, fixed(clone(cat))); err != nil {
			t.Fatal(err)
		}
	}
	c := NewCatalog(db, discardLog, Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed})
	c.now = clk.now
	before, err := c.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(snap *Snapshot) []int64 {
		var out []int64
		for _, e := range snap.Review() {
			out = append(out, e.Offer.ID)
		}
		return out
	}
	// Isipay's lone 100 Diamonds costs more now.
	for i := range cats["isipay"].Offers {
		if cats["isipay"].Offers[i].Code == "MLBB_ID_100" {
			cats["isipay"].Offers[i].Cost = decimal.NewFromInt(24000)
			cats["isipay"].Offers[i].CostRaw = "24000"
		}
	}
	clk.advance(time.Minute)
	res, err := s.Sync(ctx, "isipay", fixed(clone(cats["isipay"])))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.CostChanged) != 1 || res.Added != 0 {
		t.Fatalf("sync: got %+v, want one cost change", res)
	}
	after, err := c.AfterSync(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if after.gameByID["free-fire"] != before.gameByID["free-fire"] || after.gameByID["mobile-legends"] == before.gameByID["mobile-legends"] {
		t.Fatal("want a reprice of mobile-legends alone, not a rebuild")
	}
	if got, want := ids(after), ids(before); !slices.Equal(got, want) {
		t.Fatalf("queue after a reprice: got %v, want %v", got, want)
	}
	for _, e := range after.Review() {
		if e.Offer.Code == "MLBB_ID_100" && (e.Offer.Cost != 24000 || !e.Offer.Review) {
			t.Errorf("entry of MLBB_ID_100: cost %d review %v, want the new cost 24000 and review", e.Offer.Cost, e.Offer.Review)
		}
		if it, ok := after.Item(e.Item); !ok || !slices.Contains(it.Offers, e.Offer) {
			t.Errorf("entry of %s: its offer is not the one its item in the snapshot holds", e.Offer.Code)
		}
	}
}

// BenchmarkDeriveReview is the review queue's share of a refresh of the
// generated 100,000-offer catalog (names already in the reading cache, as
// in every refresh after the first).
func BenchmarkDeriveReview(b *testing.B) {
	t := &testing.T{}
	in := linkedInput(t, map[string]*offers.SupplierCatalog{
		"senpay": fromSenpaySim(t, senpaysim.Generate(500, 100, 1)),
		"isipay": fromIsipaySim(t, isipaysim.Generate(500, 100, 2)),
	})
	c := NewCatalog(nil, slog.New(slog.DiscardHandler), Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed, StaleAfter: time.Hour})
	items, games := c.choose(in)
	q := deriveReview(in, items, games)
	b.ResetTimer()
	for range b.N {
		q = deriveReview(in, items, games)
	}
	b.ReportMetric(float64(len(q.entries)), "entries")
}
