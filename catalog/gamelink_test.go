package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/rules"
)

// groupHarness is the group test's two catalogs synced and built, with a
// Catalog over them.
func groupHarness(t *testing.T) (*Catalog, *offers.Syncer, map[string]*offers.SupplierCatalog) {
	t.Helper()
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	cats := map[string]*offers.SupplierCatalog{}
	for _, f := range []string{"senpay.json", "isipay.json"} {
		name, cat := readGroupCatalog(t, "../testdata/matching/group/"+f)
		if _, err := s.Sync(ctx, name, fixed(cat)); err != nil {
			t.Fatal(err)
		}
		cats[name] = cat
	}
	c := NewCatalog(db, discardLog, Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed})
	c.now = clk.now
	if _, err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return c, s, cats
}

func itemMoves(d GameDecision) []string {
	out := []string{}
	for _, m := range d.Items {
		s := fmt.Sprintf("%s -> %s (%d)", m.Item, m.Into, m.Offers)
		if m.Merged {
			s += " merged"
		}
		out = append(out, s)
	}
	return out
}

func offerCodes(it *Item) []string {
	var out []string
	for _, o := range it.Offers {
		out = append(out, o.Supplier+"/"+o.Code)
	}
	slices.Sort(out)
	return out
}

// TestLinkGame links "PUBG Mobile (Global) [PROMO]" into pubg-mobile, as a
// person decides from its game-level review entry: its offers join the
// items of the same identity, its items become aliases, rules follow, the
// entry is gone, and no sync or start-up step undoes it.
func TestLinkGame(t *testing.T) {
	c, s, cats := groupHarness(t)
	ctx := context.Background()
	snap := c.Snapshot()
	if g := snap.GameReview(); len(g) != 1 || g[0].Game != "pubg-mobile-global" || g[0].Sibling != "pubg-mobile" {
		t.Fatalf("game review before: got %+v, want pubg-mobile-global beside pubg-mobile", g)
	}
	store := c.Rules()
	rule := func(js string) rules.Rule {
		r, err := rules.Decode([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		if r, err = store.Create(ctx, r, "mia"); err != nil {
			t.Fatal(err)
		}
		return r
	}
	follows := rule(`{"name": "60 UC", "match": {"game": "pubg-mobile-global", "item": "pubg-mobile-global.uc-60"}, "action": {"kind": "cost_plus", "value": "500", "plus": 0}}`)
	// A 325 rule on each side: the moving one cannot follow.
	kept := rule(`{"name": "325 bare", "match": {"item": "pubg-mobile.uc-325-300-25"}, "action": {"kind": "cost_plus", "value": "700", "plus": 0}}`)
	left := rule(`{"name": "325 global", "match": {"item": "pubg-mobile-global.uc-325"}, "action": {"kind": "cost_plus", "value": "900", "plus": 0}}`)

	for _, tt := range []struct {
		supplier, code, game string
		want                 error
	}{
		{"senpay", "NOPE", "pubg-mobile", ErrNotFound},
		{"nobody", "PUBGM-RCF", "pubg-mobile", ErrNotFound},
		{"senpay", "PUBGM-RCF", "no-such-game", ErrInvalid},
	} {
		if _, err := c.LinkGame(ctx, tt.supplier, tt.code, tt.game, "mia"); !errors.Is(err, tt.want) {
			t.Errorf("LinkGame(%s/%s, %s): got %v, want %v", tt.supplier, tt.code, tt.game, err, tt.want)
		}
	}

	before := snap.Version
	d, err := c.LinkGame(ctx, "senpay", "PUBGM-RCF", "pubg-mobile", "mia")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pubg-mobile-global.uc-325 -> pubg-mobile.uc-325-300-25 (1) merged",
		"pubg-mobile-global.uc-60 -> pubg-mobile.uc-60 (1) merged",
		"pubg-mobile-global.uc-660 -> pubg-mobile.uc-660-600-60 (1) merged",
	}
	if d.Action != GameLinked || d.From != "pubg-mobile-global" || d.To != "pubg-mobile" || d.By != "mia" || !slices.Equal(itemMoves(d), want) {
		t.Fatalf("decision: got %+v, moves %q; want a link from pubg-mobile-global to pubg-mobile moving %q", d, itemMoves(d), want)
	}
	snap = c.Snapshot()
	if g := snap.GameReview(); len(g) != 0 {
		t.Errorf("game review after the link: got %+v, want none", g)
	}
	// The changes feed says where the old ids went; they are no items of
	// their own any more.
	ch, err := snap.ChangesSince(before, PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	wantMerged := []Merge{
		{"pubg-mobile-global.uc-325", "pubg-mobile.uc-325-300-25"},
		{"pubg-mobile-global.uc-60", "pubg-mobile.uc-60"},
		{"pubg-mobile-global.uc-660", "pubg-mobile.uc-660-600-60"},
	}
	var views []string
	for _, v := range ch.Items {
		views = append(views, v.ID)
	}
	if !slices.Equal(ch.Merged, wantMerged) || !slices.Equal(ch.RemovedItems, []string{wantMerged[0].Item, wantMerged[1].Item, wantMerged[2].Item}) ||
		slices.ContainsFunc(views, func(id string) bool { return gameOf(id) != "pubg-mobile" }) || !slices.Equal(ch.RemovedGames, []string{"pubg-mobile-global"}) {
		t.Errorf("changes after the link: got merged %v, removed %v, items %v, removed games %v; want the three merges, their ids removed and pubg-mobile's items",
			ch.Merged, ch.RemovedItems, views, ch.RemovedGames)
	}
	if _, ok := snap.Game("pubg-mobile-global"); ok {
		t.Error("pubg-mobile-global is still in the catalog without supplier games")
	}
	it, ok := snap.Item("pubg-mobile-global.uc-60")
	if !ok || it.ID != "pubg-mobile.uc-60" || !slices.Equal(offerCodes(it), []string{"isipay/PUBGM_ID_60", "senpay/PUBGM-RCFPUBGM_60UC"}) {
		t.Fatalf("the old id after the link: got %v (%v), want pubg-mobile.uc-60 with both suppliers' offers", it, ok)
	}
	for _, e := range snap.Review() {
		if gameOf(e.Item) == "pubg-mobile" {
			t.Errorf("review after the link: %s %s is still %s: %s", e.Offer.Supplier, e.Offer.Code, e.Reason, e.Detail)
		}
	}
	if r, err := store.Get(ctx, follows.ID); err != nil || r.Match.Item != "pubg-mobile.uc-60" || r.Match.Game != "pubg-mobile" {
		t.Errorf("rule on the old item: got %+v (%v), want it on pubg-mobile.uc-60 of pubg-mobile", r.Match, err)
	}
	if p := it.PriceIn(PublicTier); p.Amount == nil || *p.Amount != it.Chosen.Cost+500 {
		t.Errorf("price of %s: got %v, want cost + 500 from the rule that followed it", it.ID, p.Amount)
	}
	rr := snap.RuleReview()
	if len(rr) != 1 || rr[0].Rule != left.ID || rr[0].Reason != ReviewRuleOnAlias || rr[0].Item != "pubg-mobile-global.uc-325" ||
		rr[0].Into != "pubg-mobile.uc-325-300-25" || !slices.Equal(rr[0].Clashes, []string{kept.ID}) {
		t.Errorf("rule review after the link: got %+v, want %s left on pubg-mobile-global.uc-325, clashing with %s", rr, left.ID, kept.ID)
	}

	// Permanent: a sync that brings a new offer, a rebuild, and the
	// matching policy forced to run again keep the link where it is.
	sp := clone(cats["senpay"])
	sp.Offers = append(sp.Offers, offers.Offer{Code: "PUBGM-RCFPUBGM_1800UC", GameCode: "PUBGM-RCF", Name: "1800 UC",
		Cost: decimal.NewFromInt(350000), CostRaw: "350000", Active: true})
	if _, err := s.Sync(ctx, "senpay", fixed(sp)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Write.ExecContext(ctx, `DELETE FROM meta WHERE key = 'matching_policy'`); err != nil {
		t.Fatal(err)
	}
	if rep, err := c.ApplyMatchingPolicy(ctx); err != nil || len(rep.Merged) != 0 {
		t.Fatalf("matching policy after the link: got %+v, %v; want nothing merged", rep, err)
	}
	if snap, err = c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if it, ok := snap.Item("pubg-mobile.uc-1800"); !ok || !slices.Equal(offerCodes(it), []string{"senpay/PUBGM-RCFPUBGM_1800UC"}) {
		t.Errorf("a new offer of the linked supplier game: got %v (%v), want it in pubg-mobile.uc-1800", it, ok)
	}
	g, _ := snap.Game("pubg-mobile")
	if _, ok := snap.Game("pubg-mobile-global"); ok || g.Name != "PUBG Mobile" || len(snap.GameReview()) != 0 {
		t.Errorf("after a sync and the policy: pubg-mobile-global listed %v, pubg-mobile named %q, game review %+v; want the link kept", ok, g.Name, snap.GameReview())
	}

	// Confirming it where it is moves nothing; the audit has both.
	if d, err := c.LinkGame(ctx, "senpay", "PUBGM-RCF", "pubg-mobile", "ana"); err != nil || d.From != d.To || len(d.Items) != 0 {
		t.Errorf("link into its own game: got %+v, %v; want a confirmation moving nothing", d, err)
	}
	audit, err := c.GameDecisions(ctx, "senpay", "PUBGM-RCF", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 2 || audit[0].By != "ana" || audit[1].By != "mia" || !slices.Equal(itemMoves(audit[1]), want) || audit[1].At.IsZero() {
		t.Errorf("audit: got %+v, want the confirmation by ana, then the link by mia with its moves", audit)
	}
}

// TestSplitGame splits supplier games back out: a linked one to its own
// game again, one alone in its game stays (recorded), and one whose name
// is its game's gets a new game with a name no other game shows.
func TestSplitGame(t *testing.T) {
	c, _, _ := groupHarness(t)
	ctx := context.Background()
	if _, err := c.LinkGame(ctx, "senpay", "PUBGM-RCF", "pubg-mobile", "mia"); err != nil {
		t.Fatal(err)
	}
	d, err := c.SplitGame(ctx, "senpay", "PUBGM-RCF", "mia")
	if err != nil {
		t.Fatal(err)
	}
	// The old ids are aliases of pubg-mobile's items: new ids, never reused.
	want := []string{
		"pubg-mobile.uc-325-300-25 -> pubg-mobile-global.uc-325-300-25 (1)",
		"pubg-mobile.uc-60 -> pubg-mobile-global.uc-60-2 (1)",
		"pubg-mobile.uc-660-600-60 -> pubg-mobile-global.uc-660-600-60 (1)",
	}
	if d.Action != GameSplit || d.From != "pubg-mobile" || d.To != "pubg-mobile-global" || !slices.Equal(itemMoves(d), want) {
		t.Fatalf("split: got %+v, moves %q; want back to pubg-mobile-global moving %q", d, itemMoves(d), want)
	}
	snap := c.Snapshot()
	g, ok := snap.Game("pubg-mobile-global")
	if !ok || g.Name != "PUBG Mobile (Global)" || len(g.Items) != 3 {
		t.Fatalf("pubg-mobile-global after the split: got %+v (%v), want it back with 3 items", g, ok)
	}
	if it, ok := snap.Item("pubg-mobile-global.uc-60"); !ok || it.ID != "pubg-mobile.uc-60" || len(it.Offers) != 1 {
		t.Errorf("the first alias: got %v (%v), want pubg-mobile.uc-60 with Isipay's offer", it, ok)
	}
	if e := snap.GameReview(); len(e) != 0 {
		t.Errorf("game review after the split: got %+v, want none: a person decided", e)
	}

	// Alone in its game: it stays, and the decision is recorded.
	if d, err := c.SplitGame(ctx, "senpay", "PUBGM-RCF", "mia"); err != nil || d.To != "pubg-mobile-global" || len(d.Items) != 0 {
		t.Errorf("split of a game alone: got %+v, %v; want it kept in pubg-mobile-global", d, err)
	}

	// Its name's game is its game: a new one, named uniquely.
	d, err = c.SplitGame(ctx, "senpay", "MLBB-BJ-V3", "mia")
	if err != nil {
		t.Fatal(err)
	}
	snap = c.Snapshot()
	ml, ok := snap.Game(d.To)
	if d.To != "mobile-legends-2" || !ok || ml.Name != "Mobile Legends [PROMO TERMURAH] V3" {
		t.Fatalf("split from its name's game: got %s (%+v), want mobile-legends-2 with the supplier's own name", d.To, ml)
	}
	for _, it := range ml.Items {
		for _, o := range it.Offers {
			if o.Supplier != "senpay" {
				t.Errorf("%s in the split game holds %s/%s", it.ID, o.Supplier, o.Code)
			}
		}
	}
	if it, ok := snap.Item("mobile-legends.diamonds-12"); !ok || slices.ContainsFunc(it.Offers, func(o *OfferState) bool { return o.Supplier == "senpay" }) {
		t.Errorf("mobile-legends' 12 after the split: got %v (%v), want it without Senpay's offer", it, ok)
	}
	names := map[string]bool{}
	for _, g := range snap.GameList() {
		if names[g.Name] {
			t.Errorf("two games are named %q", g.Name)
		}
		names[g.Name] = true
	}
}

func TestUniqueGameName(t *testing.T) {
	taken := map[string]bool{"PUBG Mobile": true, "PUBG Mobile (Global)": true, "PUBG  Mobile (Global) [PROMO]": false, "Free Fire": true, "FREE FIRE": true}
	for _, tt := range []struct{ supplier, want, got string }{
		{"PUBG Mobile (Global) [PROMO]", "PUBG Mobile (Global)", "PUBG Mobile (Global) [PROMO]"},
		{"PUBG   Mobile", "PUBG Mobile", "PUBG Mobile 2"},
		{"FREE FIRE", "Free Fire", "Free Fire 2"},
		{"Valorant", "Valorant", "Valorant"},
	} {
		if got := uniqueGameName(taken, tt.supplier, tt.want); got != tt.got {
			t.Errorf("uniqueGameName(%q, %q): got %q, want %q", tt.supplier, tt.want, got, tt.got)
		}
	}
}
