package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/rules"
)

func mustRule(t *testing.T, js string) rules.Rule {
	t.Helper()
	r, err := rules.Decode([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// twoGames is the market plus a Free Fire item at Isipay, so a rule on
// one game can be seen to leave the other alone.
func twoGames(t *testing.T) *harness {
	h := newHarness(t, Config{})
	h.m.isipay.Games = append(h.m.isipay.Games, offers.SupplierGame{Code: "free-fire", Name: "Free Fire", Active: true})
	h.m.isipay.Offers = append(h.m.isipay.Offers, offers.Offer{Code: "FF_ID_100", GameCode: "free-fire", Name: "100 Diamonds",
		Cost: decimal.NewFromInt(14000), CostRaw: "14000", Active: true})
	return h
}

func price(t *testing.T, s *Snapshot, item, tier string) int64 {
	t.Helper()
	it, ok := s.Item(item)
	if !ok {
		t.Fatalf("no item %s", item)
	}
	p := it.PriceIn(tier)
	if p.Amount == nil {
		t.Fatalf("%s/%s has no price: %s (%s)", item, tier, p.Blocked, it.Reason)
	}
	return *p.Amount
}

func TestRuleSavedRepricesOnlyItsGame(t *testing.T) {
	h := twoGames(t)
	before := h.round()
	ctx := context.Background()
	if got := price(t, before, diamonds86, PublicTier); got != 19500 {
		t.Fatalf("price at cost: got %d, want 19500", got)
	}
	r := mustRule(t, `{"name": "MLBB +10%", "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "10", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`)

	imp, err := h.cat.Preview(ctx, []RuleChange{{Op: "create", Rule: r}})
	if err != nil {
		t.Fatal(err)
	}
	saved, findings, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: r}, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if len(findings.Errors) != 0 || saved.ID == "" {
		t.Fatalf("save: got %+v, id %q", findings, saved.ID)
	}
	after := h.cat.Snapshot()
	// 19500 × 1.10 = 21450, up the 100-grid: 21500.
	if got := price(t, after, diamonds86, PublicTier); got != 21500 {
		t.Fatalf("86 diamonds after +10%%: got %d, want 21500", got)
	}
	if after.Version != before.Version+1 {
		t.Fatalf("version: got %d, want %d", after.Version, before.Version+1)
	}
	// Free Fire's entry is shared, untouched.
	if after.gameByID["free-fire"] != before.gameByID["free-fire"] {
		t.Fatal("a rule on mobile-legends re-encoded free-fire")
	}
	if got := price(t, after, "free-fire.diamonds-100", PublicTier); got != 14000 {
		t.Fatalf("free fire: got %d, want 14000 unchanged", got)
	}
	// The preview said what saving did.
	if imp.Changed != 3 || imp.Up != 3 || imp.Down != 0 {
		t.Fatalf("preview: got changed %d up %d down %d, want 3/3/0", imp.Changed, imp.Up, imp.Down)
	}
	for _, m := range imp.LargestIncreases {
		if got := price(t, after, m.Item, m.Tier); got != *m.After {
			t.Fatalf("preview said %s → %d, saving gave %d", m.Item, *m.After, got)
		}
	}

	// The explanation names the rule and reproduces the price.
	ex, err := after.Explain(diamonds86, PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Rule == nil || ex.Rule.ID != saved.ID || ex.Quote == nil || *ex.Price != 21500 {
		t.Fatalf("explain: got %+v", ex)
	}
	last := ex.Quote.Steps[len(ex.Quote.Steps)-1]
	if last.Out != "21500" {
		t.Fatalf("trace ends at %s, want 21500", last.Out)
	}

	// A stale edit is refused and changes nothing.
	saved.Name = "stale"
	if _, _, err := h.cat.SaveRule(ctx, RuleChange{Op: "update", Rule: saved, Version: 99}, "budi"); !errors.Is(err, rules.ErrStale) {
		t.Fatalf("stale update: got %v, want ErrStale", err)
	}
	// A conflicting rule is refused by lint, naming the clash.
	clash := mustRule(t, `{"name": "MLBB +12%", "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "12", "plus": 0}}`)
	if _, f, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: clash}, "budi"); !errors.Is(err, rules.ErrConflict) || len(f.Errors) == 0 {
		t.Fatalf("conflicting rule: got %v, %+v; want ErrConflict with findings", err, f)
	}
	if got := price(t, h.cat.Snapshot(), diamonds86, PublicTier); got != 21500 {
		t.Fatalf("after refusals: got %d, want 21500", got)
	}

	// Deleting it brings the cost price back.
	if _, _, err := h.cat.SaveRule(ctx, RuleChange{Op: "delete", ID: saved.ID, Version: saved.Version}, "ana"); err != nil {
		t.Fatal(err)
	}
	if got := price(t, h.cat.Snapshot(), diamonds86, PublicTier); got != 19500 {
		t.Fatalf("after delete: got %d, want 19500", got)
	}
	var n int
	if err := h.cat.db.Read.Get(&n, `SELECT count(*) FROM price_history WHERE item_id = ? AND cause LIKE 'rule:%'`, diamonds86); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("price history rows for the rule: got %d, want 2 (up, then back)", n)
	}
}

func TestGuardBlocksAndWindowsApplyOnTime(t *testing.T) {
	h := twoGames(t)
	h.round()
	ctx := context.Background()
	if _, err := h.cat.Rules().CreateTier(ctx, rules.Tier{ID: "member", Name: "Members"}); err != nil {
		t.Fatal(err)
	}
	// A member price capped below cost: blocked in that tier only.
	capped := mustRule(t, `{"name": "cap", "match": {"item": "mobile-legends.diamonds-86-78-8", "tier": "member"},
		"action": {"kind": "fixed_price", "value": "15000", "plus": 0}, "guard": {"max_price": 18000}}`)
	if _, _, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: capped}, "ana"); err != nil {
		t.Fatal(err)
	}
	snap, err := h.cat.Refresh(ctx) // picks up the new tier
	if err != nil {
		t.Fatal(err)
	}
	it, _ := snap.Item(diamonds86)
	if p := it.PriceIn("member"); p.Amount != nil || p.Blocked == "" {
		t.Fatalf("member price under a ceiling below cost: got %+v, want blocked with a reason", p)
	}
	if got := price(t, snap, diamonds86, PublicTier); got != 19500 {
		t.Fatalf("public price: got %d, want 19500", got)
	}
	body, _ := snap.ItemBody(diamonds86, "member")
	if !strings.Contains(string(body.JSON), `"available":false`) {
		t.Fatalf("blocked item body: %s", body.JSON)
	}

	// A promotion that starts in an hour: not yet, then on time.
	start := h.clk.now().Add(time.Hour).UTC().Format(time.RFC3339)
	promo := mustRule(t, `{"name": "promo", "match": {"item": "free-fire.diamonds-100"},
		"action": {"kind": "cost_plus", "value": "500", "plus": 0}, "valid_from": "`+start+`"}`)
	if _, _, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: promo}, "ana"); err != nil {
		t.Fatal(err)
	}
	if got := price(t, h.cat.Snapshot(), "free-fire.diamonds-100", PublicTier); got != 14000 {
		t.Fatalf("before the window: got %d, want 14000", got)
	}
	h.clk.advance(time.Hour)
	snap = h.round() // a sync an hour later: the suppliers stay fresh
	if got := price(t, snap, "free-fire.diamonds-100", PublicTier); got != 14500 {
		t.Fatalf("in the window: got %d, want 14500", got)
	}
	h.cat.Close()
}

// TestAfterSyncRepricesOnlyTouchedGames checks the incremental path
// against the full rebuild: same bodies, fewer games re-encoded.
func TestAfterSyncRepricesOnlyTouchedGames(t *testing.T) {
	h := twoGames(t)
	before := h.round()
	ctx := context.Background()

	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(18800)
	h.clk.advance(time.Minute)
	res, err := h.syncer.Sync(ctx, "isipay", fixed(clone(h.m.isipay)))
	if err != nil {
		t.Fatal(err)
	}
	inc, err := h.cat.AfterSync(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if inc.Version != before.Version+1 {
		t.Fatalf("version: got %d, want %d", inc.Version, before.Version+1)
	}
	if inc.gameByID["free-fire"] != before.gameByID["free-fire"] {
		t.Fatal("a cost change in mobile-legends re-encoded free-fire")
	}
	if got := price(t, inc, diamonds86, PublicTier); got != 18800 {
		t.Fatalf("86 diamonds: got %d, want 18800", got)
	}
	ch, err := inc.ChangesSince(before.Version, PublicTier)
	if err != nil || len(ch.Items) != 1 || ch.Items[0].ID != diamonds86 {
		t.Fatalf("changes: got %+v, %v; want only 86 diamonds", ch, err)
	}
	// The same inputs through the full rebuild give the same bodies.
	full, err := h.cat.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if full.Version != inc.Version {
		t.Fatalf("full rebuild after the incremental one: version %d, want %d (nothing left to change)", full.Version, inc.Version)
	}
	for _, g := range []string{"mobile-legends", "free-fire"} {
		a, _ := inc.GameBody(g, PublicTier)
		b, _ := full.GameBody(g, PublicTier)
		if string(a.JSON) != string(b.JSON) {
			t.Fatalf("%s: incremental and full bodies differ:\n%s\n%s", g, a.JSON, b.JSON)
		}
	}

	// A failed sync changed nothing stored: the supplier is degraded, its
	// offers still sell, no game is re-encoded and storefronts see the
	// same version.
	h.clk.advance(time.Minute)
	res, _ = h.syncer.Sync(ctx, "isipay", sourceFunc(func(context.Context) (*offers.SupplierCatalog, error) {
		return nil, context.DeadlineExceeded
	}))
	snap, err := h.cat.AfterSync(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if got := price(t, snap, diamonds86, PublicTier); got != 18800 {
		t.Fatalf("after isipay failed: got %d, want isipay's 18800 still", got)
	}
	if snap.Version != full.Version || snap.gameByID["mobile-legends"] != full.gameByID["mobile-legends"] {
		t.Fatalf("after isipay failed: version %d (want %d), games re-encoded: want neither", snap.Version, full.Version)
	}

	// A sync refused for syncd's credentials is a full rebuild: its
	// supplier's offers stop selling at once.
	h.clk.advance(time.Minute)
	res, _ = h.syncer.Sync(ctx, "isipay", sourceFunc(func(context.Context) (*offers.SupplierCatalog, error) {
		return nil, fmt.Errorf("isipay: %w", offers.ErrUnauthorized)
	}))
	snap, err = h.cat.AfterSync(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if got := price(t, snap, diamonds86, PublicTier); got != 20000 {
		t.Fatalf("after isipay refused syncd's credentials: got %d, want senpay's 20000", got)
	}
}

func TestApplyCostsRepricesOnlyTheirGames(t *testing.T) {
	h := twoGames(t)
	before := h.round()
	ctx := context.Background()
	old := decimal.NewFromInt(20000)
	up, err := h.cat.ApplyCosts(ctx, "senpay", []offers.CostChange{
		{Code: "MLBB-BJ-V3MLBB_ID_86", Old: &old, New: decimal.NewFromInt(18000), Raw: "18000"},
		{Code: "MLBB-BJ-V3MLBB_ID_172", Old: &old, New: decimal.NewFromInt(40000), Raw: "40000"}, // old was 40000: a discrepancy
		{Code: "NOPE", New: decimal.NewFromInt(1)},
	}, h.clk.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Applied) != 1 || len(up.Unchanged) != 1 || len(up.Unknown) != 1 || len(up.Discrepancies) != 1 {
		t.Fatalf("update: got %+v", up)
	}
	snap := h.cat.Snapshot()
	if up.Version != snap.Version || snap.Version != before.Version+1 {
		t.Fatalf("versions: update says %d, served %d, before %d", up.Version, snap.Version, before.Version)
	}
	// Senpay now undercuts Isipay's 19500.
	if got := price(t, snap, diamonds86, PublicTier); got != 18000 {
		t.Fatalf("86 diamonds: got %d, want 18000", got)
	}
	if snap.gameByID["free-fire"] != before.gameByID["free-fire"] {
		t.Fatal("a cost change in mobile-legends re-encoded free-fire")
	}
	// An older word does not overwrite the newer cost.
	up, err = h.cat.ApplyCosts(ctx, "senpay", []offers.CostChange{{Code: "MLBB-BJ-V3MLBB_ID_86", New: decimal.NewFromInt(25000)}},
		h.clk.now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Stale) != 1 || price(t, h.cat.Snapshot(), diamonds86, PublicTier) != 18000 {
		t.Fatalf("out-of-order update: got %+v, price %d", up, price(t, h.cat.Snapshot(), diamonds86, PublicTier))
	}
	// Nor does a sync that started before the webhook: its fetch is older.
	h.clk.advance(-time.Minute)
	if _, err := h.syncer.Sync(ctx, "senpay", fixed(clone(h.m.senpay))); err != nil {
		t.Fatal(err)
	}
	var cost int64
	if err := h.cat.db.Read.Get(&cost, `SELECT cost FROM offers WHERE code = 'MLBB-BJ-V3MLBB_ID_86'`); err != nil {
		t.Fatal(err)
	}
	if cost != 18000 {
		t.Fatalf("after a sync that began before the webhook: cost %d, want the webhook's 18000", cost)
	}
	var n int
	if err := h.cat.db.Read.Get(&n, `SELECT count(*) FROM cost_history WHERE source = 'webhook'`); err != nil || n != 1 {
		t.Fatalf("webhook cost history rows: got %d, %v; want 1", n, err)
	}
}

// TestConcurrentCostUpdatesAreBatched sends many price webhooks at once:
// every cost ends up served, and the catalog reprices fewer times than it
// was called.
func TestConcurrentCostUpdatesAreBatched(t *testing.T) {
	h := twoGames(t)
	before := h.round()
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			// Moves the cost guard believes: 20000 → 15000s, 40000 → 25000s.
			cost := decimal.NewFromInt(int64(15000 + i))
			code := "MLBB-BJ-V3MLBB_ID_86"
			if i%2 == 1 {
				cost, code = decimal.NewFromInt(int64(25000+i)), "MLBB-BJ-V3MLBB_ID_172"
			}
			// Each its own instant, so none is older than another's.
			_, err := h.cat.ApplyCosts(ctx, "senpay", []offers.CostChange{{Code: code, New: cost}}, h.clk.now().Add(time.Duration(i)*time.Millisecond))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	snap := h.cat.Snapshot()
	if snap.Version-before.Version >= n {
		t.Fatalf("versions: %d reprices for %d updates, want them batched", snap.Version-before.Version, n)
	}
	// The last word for each offer (the latest instant) is what is served.
	if got := price(t, snap, diamonds86, PublicTier); got != 15018 {
		t.Fatalf("86 diamonds: got %d, want 15018", got)
	}
	if got := price(t, snap, "mobile-legends.diamonds-172-156-16", PublicTier); got != 25019 {
		t.Fatalf("172 diamonds: got %d, want 25019", got)
	}
}

// TestRuleSavedDespiteRepriceFailure: once a rule change is stored, it is
// saved, whatever happens after. A reprice that fails is not reported as
// a failed save (a client told so would retry it and create the rule
// twice), and the next sync prices with the rule, even one that changed
// only another game's costs and would otherwise reprice that game alone.
func TestRuleSavedDespiteRepriceFailure(t *testing.T) {
	h := twoGames(t)
	h.round()
	ctx := context.Background()
	db := h.cat.db.Write
	// Publishing the repriced snapshot needs a new version: make that
	// write fail, after the rule is stored.
	trigger := []string{`CREATE TRIGGER no_version BEFORE UPDATE ON meta WHEN NEW.key = 'snapshot_version'
		BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`}
	if h.cat.db.Dialect() == syncd.Postgres {
		trigger = []string{`CREATE FUNCTION no_version() RETURNS trigger LANGUAGE plpgsql AS
			$$BEGIN RAISE EXCEPTION 'disk I/O error'; END$$`,
			`CREATE TRIGGER no_version BEFORE UPDATE ON meta FOR EACH ROW WHEN (NEW.key = 'snapshot_version')
			EXECUTE FUNCTION no_version()`}
	}
	for _, q := range trigger {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	r := mustRule(t, `{"name": "MLBB +10%", "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "10", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`)
	saved, _, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: r}, "ana")
	if err != nil || saved.ID == "" || saved.Version != 1 {
		t.Fatalf("save with a failing reprice: got %+v, %v; want the rule saved and no error", saved, err)
	}
	if got, err := h.cat.Rules().Get(ctx, saved.ID); err != nil || got.Name != "MLBB +10%" {
		t.Fatalf("stored rule: got %+v, %v", got, err)
	}
	if got := price(t, h.cat.Snapshot(), diamonds86, PublicTier); got != 19500 {
		t.Fatalf("86 diamonds while the reprice failed: got %d, want the old 19500", got)
	}

	drop := `DROP TRIGGER no_version`
	if h.cat.db.Dialect() == syncd.Postgres {
		drop += ` ON meta`
	}
	if _, err := db.ExecContext(ctx, drop); err != nil {
		t.Fatal(err)
	}
	h.m.offer("isipay", "FF_ID_100").Cost = decimal.NewFromInt(14100)
	h.clk.advance(time.Minute)
	res, err := h.syncer.Sync(ctx, "isipay", fixed(clone(h.m.isipay)))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := h.cat.AfterSync(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if got := price(t, snap, diamonds86, PublicTier); got != 21500 {
		t.Fatalf("86 diamonds after the next sync: got %d, want 21500 (cost 19500 +10%%, up to 100)", got)
	}
	if got := price(t, snap, "free-fire.diamonds-100", PublicTier); got != 14100 {
		t.Fatalf("free fire after the next sync: got %d, want its new cost 14100", got)
	}

	// Owed no more: the next cost-only sync reprices its own game alone.
	h.m.offer("isipay", "FF_ID_100").Cost = decimal.NewFromInt(14200)
	h.clk.advance(time.Minute)
	if res, err = h.syncer.Sync(ctx, "isipay", fixed(clone(h.m.isipay))); err != nil {
		t.Fatal(err)
	}
	next, err := h.cat.AfterSync(ctx, res)
	if err != nil {
		t.Fatal(err)
	}
	if next.gameByID["mobile-legends"] != snap.gameByID["mobile-legends"] {
		t.Fatal("a cost change in free-fire re-encoded mobile-legends once the rule was priced")
	}
}
