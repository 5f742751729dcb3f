package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

// market is two suppliers' catalogs of the same Mobile Legends items, in
// the shapes each sends: Senpay prefixes its codes with the provider code
// and has a form; Isipay does neither.
type market struct {
	senpay, isipay *offers.SupplierCatalog
}

func newMarket() *market {
	mlForm := []offers.Field{{Key: "id", Label: "User ID", Type: "text"}, {Key: "server", Label: "Zone ID", Type: "text"}}
	sp := &offers.SupplierCatalog{Games: []offers.SupplierGame{{Code: "MLBB-BJ-V3", Name: "Mobile Legends [PROMO TERMURAH] V3", Active: true, Form: mlForm}}}
	ip := &offers.SupplierCatalog{Games: []offers.SupplierGame{{Code: "mobile-legends", Name: "Mobile Legends", Active: true}}}
	for _, o := range []struct {
		sku, name string
		spC, ipC  int64
	}{
		{"MLBB_ID_86", "86 (78+8) Diamonds", 20000, 19500},
		{"MLBB_ID_172", "172 (156+16) Diamonds", 40000, 40000},
		{"MLBB_ID_WDP", "Weekly Diamond Pass", 27000, 28000},
	} {
		sp.Offers = append(sp.Offers, offers.Offer{Code: "MLBB-BJ-V3" + o.sku, GameCode: "MLBB-BJ-V3", Name: o.name,
			Cost: decimal.NewFromInt(o.spC), CostRaw: decimal.NewFromInt(o.spC).String(), Active: true})
		ip.Offers = append(ip.Offers, offers.Offer{Code: o.sku, GameCode: "mobile-legends", Name: o.name,
			Cost: decimal.NewFromInt(o.ipC), CostRaw: decimal.NewFromInt(o.ipC).String(), Active: true})
	}
	return &market{senpay: sp, isipay: ip}
}

func (m *market) offer(supplier, sku string) *offers.Offer {
	cat := m.isipay
	if supplier == "senpay" {
		cat = m.senpay
	}
	for i := range cat.Offers {
		if strings.HasSuffix(cat.Offers[i].Code, sku) {
			return &cat.Offers[i]
		}
	}
	panic("no offer " + sku)
}

type harness struct {
	t      *testing.T
	syncer *offers.Syncer
	cat    *Catalog
	clk    *clock
	m      *market
}

// testTemplate stands for a supplier's per-game data template (the real
// one is the isipay adapter's, which catalog's tests cannot import): the
// default names each field, and a template must name every field of the
// form and no other.
var testTemplate = GameSetting{
	Key:   "data_format",
	Label: "isipay data template",
	Default: func(form []FormField) string {
		var parts []string
		for _, f := range form {
			parts = append(parts, "{"+f.Key+"}")
		}
		if len(parts) == 2 {
			return parts[0] + "(" + parts[1] + ")"
		}
		return strings.Join(parts, "|")
	},
	Check: func(v string, form []FormField) error {
		named := map[string]bool{}
		for _, m := range regexp.MustCompile(`\{([a-z0-9_]+)\}`).FindAllStringSubmatch(v, -1) {
			named[m[1]] = true
		}
		for _, f := range form {
			if !named[f.Key] {
				return fmt.Errorf("template leaves out [%s]", f.Key)
			}
			delete(named, f.Key)
		}
		if len(named) > 0 {
			return fmt.Errorf("template names %v, which the form does not have", named)
		}
		return nil
	},
	CheckAnswer: func(v, answer string) error {
		if strings.ContainsAny(answer, "{}()|") {
			return fmt.Errorf("must not contain a delimiter")
		}
		return nil
	},
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	var opts []offers.SyncerOption
	if cfg.CostGuard != nil {
		opts = append(opts, offers.WithCostGuard(*cfg.CostGuard)) // the same guard for syncs and webhooks
	}
	s, db, clk := newTestSyncer(t, opts...)
	if cfg.Suppliers == nil {
		cfg.Suppliers = []string{"senpay", "isipay"}
	}
	if cfg.PrefixedCodes == nil {
		cfg.PrefixedCodes = testPrefixed
	}
	if cfg.GameSettings == nil {
		cfg.GameSettings = map[string][]GameSetting{"isipay": {testTemplate}}
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = 15 * time.Minute
	}
	c := NewCatalog(db, discardLog, cfg)
	c.now = clk.now
	return &harness{t: t, syncer: s, cat: c, clk: clk, m: newMarket()}
}

// round syncs both suppliers as they stand and refreshes the catalog.
func (h *harness) round() *Snapshot {
	h.t.Helper()
	ctx := context.Background()
	for name, cat := range map[string]*offers.SupplierCatalog{"senpay": h.m.senpay, "isipay": h.m.isipay} {
		if _, err := h.syncer.Sync(ctx, name, fixed(clone(cat))); err != nil {
			h.t.Fatal(err)
		}
	}
	snap, err := h.cat.Refresh(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return snap
}

func (h *harness) item(s *Snapshot, id string) *Item {
	h.t.Helper()
	it, ok := s.Item(id)
	if !ok {
		var ids []string
		for _, g := range s.GameList() {
			for _, it := range g.Items {
				ids = append(ids, it.ID)
			}
		}
		h.t.Fatalf("no item %s; have %v", id, ids)
	}
	return it
}

const diamonds86 = "mobile-legends.diamonds-86-78-8"

func chosen(it *Item) string {
	if it.Chosen == nil {
		return "none"
	}
	return it.Chosen.Supplier
}

func TestMergedCatalogMatchesAcrossSuppliers(t *testing.T) {
	h := newHarness(t, Config{})
	snap := h.round()
	games := snap.GameList()
	if len(games) != 1 || games[0].ID != "mobile-legends" {
		t.Fatalf("games: got %d (%v), want one mobile-legends", len(games), games)
	}
	if snap.ItemCount() != 3 {
		t.Fatalf("items: got %d, want 3 (each matched across both suppliers)", snap.ItemCount())
	}
	it := h.item(snap, diamonds86)
	if len(it.Offers) != 2 || chosen(it) != "isipay" || it.Chosen.Cost != 19500 {
		t.Fatalf("86 diamonds: got %d offers, chosen %s, want 2 offers and isipay at 19500 (%s)", len(it.Offers), chosen(it), it.Reason)
	}
	// The form merges Senpay's id/server into canonical keys.
	g, _ := snap.Game("mobile-legends")
	var keys []string
	for _, f := range g.Form {
		keys = append(keys, f.Key)
	}
	if strings.Join(keys, ",") != "user_id,server" {
		t.Fatalf("form keys: got %v, want [user_id server]", keys)
	}
	if got := g.Settings["isipay"]["data_format"]; got != "{user_id}({server})" {
		t.Fatalf("isipay data template: got %q, want the default {user_id}({server})", got)
	}
	if _, ok := g.Settings["senpay"]; ok {
		t.Fatalf("settings: got %v, want none for a supplier that declares none", g.Settings)
	}
	cb, _, err := snap.Catalog(PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	gb, _, _ := snap.Games(PublicTier)
	if !json.Valid(cb.JSON) || !json.Valid(gb.JSON) {
		t.Fatal("catalog or games body is not valid JSON")
	}
	body, ok := snap.GameBody("mobile-legends", PublicTier)
	if !ok {
		t.Fatal("no game body")
	}
	var gv struct {
		Game GameView `json:"game"`
	}
	if err := json.Unmarshal(body.JSON, &gv); err != nil {
		t.Fatal(err)
	}
	if gv.Game.ItemCount != 3 || gv.Game.Available != 3 || gv.Game.LowestPrice == nil || *gv.Game.LowestPrice != 19500 {
		t.Fatalf("game body: got %+v", gv.Game.GameSummary)
	}
}

func TestSelection(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		steer   func(h *harness)
		item    string
		want    string // chosen supplier, or "none"
		wantWhy string // substring of the losing or missing offer's reason
	}{
		{"cheapest wins", Config{}, func(h *harness) {}, diamonds86, "isipay", ""},
		{"inactive", Config{}, func(h *harness) { h.m.offer("isipay", "MLBB_ID_86").Active = false }, diamonds86, "senpay", "inactive"},
		{"removed", Config{}, func(h *harness) {
			h.m.isipay.Offers = h.m.isipay.Offers[1:]
		}, diamonds86, "senpay", "removed"},
		{"zero cost, held", Config{}, func(h *harness) {
			o := h.m.offer("isipay", "MLBB_ID_86")
			o.Cost, o.CostRaw = decimal.Zero, "0"
		}, diamonds86, "senpay", "cost_unconfirmed"},
		{"zero cost, confirmed by a second sync, is still no price", Config{}, func(h *harness) {
			o := h.m.offer("isipay", "MLBB_ID_86")
			o.Cost, o.CostRaw = decimal.Zero, "0"
			h.clk.advance(time.Minute)
			h.round()
		}, diamonds86, "senpay", "zero cost"},
		{"tie goes to the preferred supplier", Config{}, func(h *harness) {}, "mobile-legends.diamonds-172-156-16", "senpay", ""},
		{"tie, other preference", Config{Suppliers: []string{"isipay", "senpay"}}, func(h *harness) {}, "mobile-legends.diamonds-172-156-16", "isipay", ""},
		{"nothing eligible stays unavailable", Config{}, func(h *harness) {
			h.m.offer("isipay", "MLBB_ID_86").Active = false
			h.m.offer("senpay", "MLBB_ID_86").Active = false
		}, diamonds86, "none", "inactive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.cfg)
			h.round()
			tt.steer(h)
			h.clk.advance(time.Minute)
			snap := h.round()
			it := h.item(snap, tt.item)
			if got := chosen(it); got != tt.want {
				t.Fatalf("chosen: got %s, want %s (%s)", got, tt.want, it.Reason)
			}
			if tt.wantWhy != "" {
				found := false
				for _, o := range it.Offers {
					if strings.Contains(o.Ineligible, tt.wantWhy) {
						found = true
					}
				}
				if !found {
					t.Fatalf("no offer ineligible for %q: %+v", tt.wantWhy, it.Offers)
				}
			}
			if tt.want == "none" {
				b, _ := snap.ItemBody(tt.item, PublicTier)
				if !strings.Contains(string(b.JSON), `"price":null`) || !strings.Contains(string(b.JSON), `"available":false`) {
					t.Fatalf("unavailable item body: got %s", b.JSON)
				}
			}
		})
	}
}

// A failed sync leaves the supplier degraded and its offers sold while its
// last success is younger than StaleAfter; past it they are stale, and a
// refusal of syncd's credentials stops them at once.
func TestSupplierIsSoldByTheAgeOfItsData(t *testing.T) {
	h := newHarness(t, Config{StaleAfter: 10 * time.Minute})
	if it := h.item(h.round(), diamonds86); chosen(it) != "isipay" {
		t.Fatalf("start: chosen %s, want isipay", chosen(it))
	}
	// Isipay's next sync fails: degraded, still sold.
	h.clk.advance(time.Minute)
	if _, err := h.syncer.Sync(context.Background(), "isipay", sourceFunc(func(context.Context) (*offers.SupplierCatalog, error) {
		return nil, context.DeadlineExceeded
	})); err == nil {
		t.Fatal("want the sync to fail")
	}
	snap, err := h.cat.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if it := h.item(snap, diamonds86); chosen(it) != "isipay" {
		t.Fatalf("after isipay failed once: chosen %s (%s), want isipay still", chosen(it), it.Reason)
	}

	// Isipay's data passes StaleAfter (Senpay synced meanwhile): not sold.
	h.clk.advance(5 * time.Minute)
	if _, err := h.syncer.Sync(context.Background(), "senpay", fixed(clone(h.m.senpay))); err != nil {
		t.Fatal(err)
	}
	h.clk.advance(5 * time.Minute)
	snap, err = h.cat.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	it := h.item(snap, diamonds86)
	if chosen(it) != "senpay" {
		t.Fatalf("isipay stale: chosen %s, want senpay", chosen(it))
	}
	for _, o := range it.Offers {
		if o.Supplier == "isipay" && !strings.Contains(o.Ineligible, "stale") {
			t.Fatalf("isipay offer: got reason %q, want stale", o.Ineligible)
		}
	}

	// Senpay refuses syncd's credentials: not sold at once, though its
	// data is a few minutes old. Nothing left to sell; the item stays
	// listed.
	h.clk.advance(time.Minute)
	if _, err := h.syncer.Sync(context.Background(), "senpay", sourceFunc(func(context.Context) (*offers.SupplierCatalog, error) {
		return nil, fmt.Errorf("senpay GET /api/prepaid/provider: http 401: %w", offers.ErrUnauthorized)
	})); err == nil {
		t.Fatal("want the sync to fail")
	}
	snap, err = h.cat.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	it = h.item(snap, diamonds86)
	if chosen(it) != "none" {
		t.Fatalf("senpay unauthorized, isipay stale: chosen %s, want none", chosen(it))
	}
	for _, o := range it.Offers {
		if o.Supplier == "senpay" && !strings.Contains(o.Ineligible, "credentials") {
			t.Fatalf("senpay offer: got reason %q, want credentials refused", o.Ineligible)
		}
	}
}

func TestSwitchMarginKeepsTheCurrentSupplier(t *testing.T) {
	h := newHarness(t, Config{SwitchMargin: decimal.NewFromInt(300)})
	// Senpay starts cheaper and is chosen.
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(20500)
	if it := h.item(h.round(), diamonds86); chosen(it) != "senpay" {
		t.Fatalf("start: chosen %s, want senpay", chosen(it))
	}
	// Isipay undercuts by 200 < 300: kept.
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(19800)
	h.clk.advance(time.Minute)
	if it := h.item(h.round(), diamonds86); chosen(it) != "senpay" || !strings.Contains(it.Reason, "switch margin") {
		t.Fatalf("under the margin: chosen %s (%s), want senpay kept", chosen(it), it.Reason)
	}
	// By 500: switched.
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(19500)
	h.clk.advance(time.Minute)
	if it := h.item(h.round(), diamonds86); chosen(it) != "isipay" {
		t.Fatalf("over the margin: chosen %s (%s), want isipay", chosen(it), it.Reason)
	}
}

func TestUnsatisfiableFormIsNotEligible(t *testing.T) {
	h := newHarness(t, Config{})
	h.round()
	// A template that leaves out the server cannot carry a Mobile Legends
	// order: Isipay's offers drop out.
	if _, err := h.cat.db.Write.Exec(`INSERT INTO game_supplier_settings (game_id, supplier, key, value, updated_at)
		VALUES ('mobile-legends', 'isipay', 'data_format', '{user_id}', '')`); err != nil {
		t.Fatal(err)
	}
	snap, err := h.cat.Refresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	it := h.item(snap, diamonds86)
	if chosen(it) != "senpay" {
		t.Fatalf("chosen: got %s, want senpay", chosen(it))
	}
	for _, o := range it.Offers {
		if o.Supplier == "isipay" && !strings.Contains(o.Ineligible, "leaves out [server]") {
			t.Fatalf("isipay reason: got %q", o.Ineligible)
		}
	}
}

func TestChangesFeed(t *testing.T) {
	h := newHarness(t, Config{})
	first := h.round()
	if _, err := first.ChangesSince(first.Version-1, PublicTier); err != ErrVersionGone {
		t.Fatalf("before the first snapshot: got %v, want ErrVersionGone", err)
	}
	// A sync that changes nothing a storefront sees keeps the version and
	// the catalog's ETag: caching storefronts get their 304.
	h.clk.advance(time.Minute)
	same := h.round()
	sameBody, _, _ := same.Catalog(PublicTier)
	firstBody, _, _ := first.Catalog(PublicTier)
	if same.Version != first.Version || sameBody.ETag != firstBody.ETag {
		t.Fatalf("unchanged refresh: got version %d etag %s, want %d %s", same.Version, sameBody.ETag, first.Version, firstBody.ETag)
	}
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(19000)
	h.clk.advance(time.Minute)
	second := h.round()
	if second.Version != first.Version+1 {
		t.Fatalf("changed refresh: got version %d, want %d", second.Version, first.Version+1)
	}
	ch, err := second.ChangesSince(first.Version, PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Items) != 1 || ch.Items[0].ID != diamonds86 || *ch.Items[0].Price != 19000 {
		t.Fatalf("changes: got %+v, want only 86 diamonds at 19000", ch.Items)
	}
	if len(ch.Games) != 1 || *ch.Games[0].LowestPrice != 19000 {
		t.Fatalf("changed games: got %+v", ch.Games)
	}
	none, err := second.ChangesSince(second.Version, PublicTier)
	if err != nil || len(none.Items) != 0 {
		t.Fatalf("since the current version: got %+v, %v; want nothing", none, err)
	}
	if _, err := second.ChangesSince(second.Version+1, PublicTier); err != ErrVersionGone {
		t.Fatalf("a future version: got %v, want ErrVersionGone", err)
	}
	// Unchanged items keep their ETag across versions.
	b1, _ := first.ItemBody("mobile-legends.diamonds-172-156-16", PublicTier)
	b2, _ := second.ItemBody("mobile-legends.diamonds-172-156-16", PublicTier)
	if b1.ETag != b2.ETag {
		t.Fatal("an unchanged item's ETag changed")
	}
}

// TestChangesFeedCarriedForward: a publish extends the served feed in
// memory instead of reading it back; across more versions than the feed
// spans, and a refresh that changes nothing, it stays what the database
// would give.
func TestChangesFeedCarriedForward(t *testing.T) {
	h := newHarness(t, Config{History: 4})
	h.round()
	ctx := context.Background()
	for i := range 9 {
		h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(int64(19000 + 100*i))
		h.clk.advance(time.Minute)
		snap := h.round()
		if i == 4 {
			h.clk.advance(time.Minute)
			if snap = h.round(); snap.Version != h.cat.Snapshot().Version {
				t.Fatal("unchanged refresh moved the version")
			}
		}
		fromDB, err := h.cat.loadHistory(ctx, snap.Version)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := feedText(snap.changes), feedText(fromDB); got != want {
			t.Fatalf("version %d: feed in memory\n%s\nwant, as recorded\n%s", snap.Version, got, want)
		}
		if len(snap.changes) != min(4, i+2) {
			t.Fatalf("version %d: feed spans %d versions, want %d", snap.Version, len(snap.changes), min(4, i+2))
		}
	}
}

func feedText(cs []change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%d<-%d items=%v games=%v merged=%v\n", c.Version, c.Base, c.Items, c.Games, c.Merged)
	}
	return b.String()
}
