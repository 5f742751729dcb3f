package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/matching"
	"github.com/syncd/syncd/rules"
)

// linkLegacy links every unlinked offer the way syncd did before issue 13
// (policy 1): the key carried the bonus split ("diamonds:86:78+8"), and a
// name with a promotion or the game's own name in it could not be read.
// Items are created one per key, in the linker's order, a second apart.
func linkLegacy(t *testing.T, db *syncd.DB, start time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := (&Catalog{db: db, now: func() time.Time { return start }}).link(ctx); err != nil {
		t.Fatal(err) // games only: offers are relinked below
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE offers SET item_id = NULL, link_method = '', link_confidence = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `DELETE FROM items`); err != nil {
		t.Fatal(err)
	}
	var offers []linkRow
	if err := db.Read.SelectContext(ctx, &offers, `SELECT o.id, o.supplier, o.code, o.game_code, o.name, gl.game_id, sg.name AS game_name
		FROM offers o JOIN game_links gl ON gl.supplier = o.supplier AND gl.game_code = o.game_code
		JOIN supplier_games sg ON sg.supplier = o.supplier AND sg.code = o.game_code ORDER BY o.supplier, o.code`); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for i, o := range offers {
		l := matching.Match(o.input(testPrefixed))
		plain, plainOK := matching.ParseDenomination(o.Name)
		key, method := l.Denomination.Label(), string(l.Method)
		if !l.OK || !plainOK || plain.Kind != "" || l.Denomination.Kind != "" {
			key, method = "unmatched:"+o.Supplier+":"+o.Code, "unmatched"
		}
		item, ok := byKey[o.GameID+"/"+key]
		if !ok {
			item = ItemID(o.GameID, strings.TrimPrefix(key, "unmatched:"))
			at := syncd.FormatTime(start.Add(time.Duration(i) * time.Second))
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO items (id, game_id, match_key, name, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, item, o.GameID, key, o.Name, at, at); err != nil {
				t.Fatal(err)
			}
			byKey[o.GameID+"/"+key] = item
		}
		if _, err := db.Write.ExecContext(ctx, `UPDATE offers SET item_id = ?, link_method = ?, link_confidence = '1.00' WHERE id = ?`,
			item, method, o.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestApplyMatchingPolicy takes a database linked by the old policy (keys
// with the bonus split), with rules and an order's item id, to the current
// policy: items that are now one merge into the oldest, the others answer
// as aliases, rules follow, and doing it again changes nothing.
func TestApplyMatchingPolicy(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	for _, f := range []string{"senpay.json", "isipay.json"} {
		name, cat := readGroupCatalog(t, "../testdata/matching/group/"+f)
		if _, err := s.Sync(ctx, name, fixed(cat)); err != nil {
			t.Fatal(err)
		}
	}
	linkLegacy(t, db, clk.now().Add(-24*time.Hour))
	// Under the old policy "86 Diamonds" (Isipay, older) and "86 (78+8)
	// Diamonds" (Senpay) were two items.
	const kept, alias = "mobile-legends.diamonds-86", "mobile-legends.diamonds-86-78-8"
	c := NewCatalog(db, discardLog, Config{Suppliers: []string{"senpay", "isipay"}, PrefixedCodes: testPrefixed})
	c.now = clk.now
	store := c.Rules()
	mustRule := func(js string) rules.Rule {
		r, err := rules.Decode([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		r, err = store.Create(ctx, r, "merch@shop")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	follows := mustRule(fmt.Sprintf(`{"name": "86 promo", "match": {"item": %q}, "action": {"kind": "cost_plus", "value": "500", "plus": 0}}`, alias))
	// A 257 rule on each of two items that merge: the alias's is left.
	mustRule(`{"name": "257 isipay", "match": {"item": "mobile-legends.diamonds-257"}, "action": {"kind": "cost_plus", "value": "700", "plus": 0}}`)
	clashes := mustRule(`{"name": "257 senpay", "match": {"item": "mobile-legends.diamonds-257-234-23"}, "action": {"kind": "cost_plus", "value": "900", "plus": 0}}`)

	// Display names dropped a bracketed region before.
	if _, err := db.Write.ExecContext(ctx, `UPDATE games SET name = 'PUBG Mobile' WHERE id = 'pubg-mobile-global'`); err != nil {
		t.Fatal(err)
	}

	rep, err := c.ApplyMatchingPolicy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var merged []string
	for _, m := range rep.Merged {
		merged = append(merged, m.Alias+" -> "+m.Item)
	}
	// Offers that read now join too ("FF 5 Diamonds"); PUBG's 325 is in
	// two sibling games, a game-level question, and stays apart; the
	// oldest item keeps its id whichever label it has.
	want := []string{
		"free-fire.senpay-ff-bjff-5 -> free-fire.diamonds-5",
		"genshin-impact.genesis-crystals-1090 -> genshin-impact.genesis-crystals-1090-980-110",
		"genshin-impact.genesis-crystals-330 -> genshin-impact.genesis-crystals-330-300-30",
		"mobile-legends.diamonds-12-11-1 -> mobile-legends.diamonds-12",
		"mobile-legends.diamonds-172 -> mobile-legends.diamonds-172-156-16",
		"mobile-legends.diamonds-257-234-23 -> mobile-legends.diamonds-257",
		alias + " -> " + kept,
	}
	if !slices.Equal(merged, want) {
		t.Errorf("merged:\n got %q\nwant %q", merged, want)
	}
	var name string
	if err := db.Read.GetContext(ctx, &name, `SELECT name FROM games WHERE id = 'pubg-mobile-global'`); err != nil || name != "PUBG Mobile (Global)" {
		t.Errorf("name of pubg-mobile-global: got %q (%v), want PUBG Mobile (Global)", name, err)
	}
	var key string
	if err := db.Read.GetContext(ctx, &key, `SELECT match_key FROM items WHERE id = ?`, kept); err != nil || key != "diamonds:86" {
		t.Errorf("match key of %s: got %q (%v), want diamonds:86", kept, key, err)
	}
	// Senpay lists 344 bare and 344 (312+32): not merged, left to review.
	var n int
	if err := db.Read.GetContext(ctx, &n, `SELECT count(DISTINCT item_id) FROM offers WHERE code LIKE '%MLBB_ID_344%'`); err != nil || n != 2 {
		t.Errorf("items of the 344 offers: got %d (%v), want the 2 they had", n, err)
	}

	snap, err := c.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	it, ok := snap.Item(alias)
	if !ok || it.ID != kept || len(it.Offers) != 2 {
		t.Fatalf("item %s after the merge: got %v (%v), want %s with both offers", alias, it, ok, kept)
	}
	body, ok := snap.ItemBody(alias, PublicTier)
	var got struct{ Item ItemView }
	if err := json.Unmarshal(body.JSON, &got); !ok || err != nil || got.Item.ID != kept {
		t.Fatalf("GET /v1/items/%s: got %s (%v), want the body of %s", alias, body.JSON, err, kept)
	}
	if cands, err := c.Candidates(ctx, alias); err != nil || len(cands) != 2 {
		t.Fatalf("an order's candidates under the old id: got %v, %v; want both offers", cands, err)
	}
	flagged := false
	for _, e := range snap.Review() {
		flagged = flagged || strings.HasSuffix(e.Offer.Code, "MLBB_ID_344") && e.Reason == matching.ConflictingSplits
	}
	if !flagged {
		t.Error("Senpay's bare 344 beside its 344 (312+32) is not in the review queue")
	}
	if r, err := store.Get(ctx, follows.ID); err != nil || r.Match.Item != kept || r.Version != 2 {
		t.Errorf("rule on the alias: got item %q version %d (%v), want retargeted to %s at version 2", r.Match.Item, r.Version, err, kept)
	}
	if r, _ := store.Get(ctx, clashes.ID); r.Match.Item != "mobile-legends.diamonds-257-234-23" || !slices.Contains(rep.Flagged, clashes.ID) {
		t.Errorf("clashing rule: got item %q, flagged %v; want left on the alias and flagged", r.Match.Item, rep.Flagged)
	}
	if rr := snap.RuleReview(); len(rr) != 1 || rr[0].Rule != clashes.ID || rr[0].Into != "mobile-legends.diamonds-257" || len(rr[0].Clashes) != 1 {
		t.Errorf("rule review: got %+v, want %s waiting, clashing with the 257 isipay rule", rr, clashes.ID)
	}
	if p := it.PriceIn(PublicTier); p.Amount == nil || *p.Amount != it.Chosen.Cost+500 {
		t.Errorf("price of %s: got %v, want cost + 500 from the retargeted rule", kept, p.Amount)
	}

	// Again: nothing to do, even when forced.
	for _, force := range []bool{false, true} {
		if force {
			if _, err := db.Write.ExecContext(ctx, `DELETE FROM meta WHERE key = 'matching_policy'`); err != nil {
				t.Fatal(err)
			}
		}
		again, err := c.ApplyMatchingPolicy(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again.Rekeyed != 0 || len(again.Merged) != 0 || again.Relinked != 0 || len(again.Rules) != 0 {
			t.Errorf("second run (forced %v): got %+v, want no change", force, again)
		}
	}
}
