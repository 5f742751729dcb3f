package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/rules"
)

// TestPriceInvariants holds every published price to the money contract
// over random markets and random rule sets, after each way a price can
// change: a full build, a rule save, a webhook's costs, a sync, and in a
// preview. Seeded, so a failure names the seed that reproduces it.
func TestPriceInvariants(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			propertyRun(t, rand.New(rand.NewPCG(seed, 12)))
		})
	}
}

func propertyRun(t *testing.T, rng *rand.Rand) {
	ctx := context.Background()
	floor := []pricing.Guard{{Source: "global",
		MinMarginAmount:  ptrDec(decimal.NewFromInt(int64(rng.IntN(3) * 50))),
		MinMarginPercent: ptrDec(decimal.New(int64(rng.IntN(300)), -2))}}
	h := newHarness(t, Config{Floor: floor})
	h.m = randomMarket(rng, 24)
	if _, err := h.cat.Rules().CreateTier(ctx, rules.Tier{ID: "member", Name: "Member"}); err != nil {
		t.Fatal(err)
	}
	h.round()
	// Rules saved one by one reprice incrementally; Refresh then builds
	// everything from scratch, and both must hold.
	for range 8 {
		saveRandomRule(t, h, rng)
	}
	checkPrices(t, h, "rule saves")
	if _, err := h.cat.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if checkPrices(t, h, "full build") == 0 {
		t.Fatal("no price published: the rules block everything, and the invariants hold vacuously")
	}

	for step := range 6 {
		switch step % 3 {
		case 0: // a preview, then the save it previewed
			r := randomRule(rng)
			imp, err := h.cat.Preview(ctx, []RuleChange{{Op: "create", Rule: r}})
			if err != nil {
				if errors.Is(err, ErrInvalid) {
					continue
				}
				t.Fatal(err)
			}
			checkImpact(t, imp)
			if _, f, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: r}, "prop"); err != nil {
				if !errors.Is(err, rules.ErrConflict) || len(f.Errors) == 0 {
					t.Fatalf("save: %v", err)
				}
				continue
			}
			snap := h.cat.Snapshot()
			for _, list := range [][]ImpactItem{imp.NewlyBlocked, imp.Unblocked, imp.LargestIncreases, imp.LargestDecreases} {
				for _, m := range list {
					it, _ := snap.Item(m.Item)
					if p := it.PriceIn(m.Tier); !samePrice(p.Amount, m.After) || p.Blocked != m.Blocked {
						t.Fatalf("preview said %s/%s → %v %q, saving gave %v %q", m.Item, m.Tier, show(m.After), m.Blocked, show(p.Amount), p.Blocked)
					}
				}
			}
			checkPrices(t, h, "preview and save")
		case 1: // a price_update webhook's costs
			var changes []offers.CostChange
			for _, o := range h.m.senpay.Offers {
				if rng.IntN(3) == 0 {
					changes = append(changes, offers.CostChange{Code: o.Code, New: moveCost(rng, o.Cost)})
				}
			}
			if _, err := h.cat.ApplyCosts(ctx, "senpay", changes, h.clk.now()); err != nil {
				t.Fatal(err)
			}
			checkPrices(t, h, "webhook")
		case 2: // a sync with moved costs
			for i := range h.m.isipay.Offers {
				if o := &h.m.isipay.Offers[i]; rng.IntN(2) == 0 {
					o.Cost = moveCost(rng, o.Cost)
					o.CostRaw = o.Cost.String()
				}
			}
			h.clk.advance(1)
			res, err := h.syncer.Sync(ctx, "isipay", fixed(clone(h.m.isipay)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.cat.AfterSync(ctx, res); err != nil {
				t.Fatal(err)
			}
			checkPrices(t, h, "sync")
		}
	}
}

// randomMarket is n items of one game at both suppliers, with costs from
// a rupiah to near the suppliers' sanity limit, some with fractions.
func randomMarket(rng *rand.Rand, n int) *market {
	form := []offers.Field{{Key: "id", Label: "User ID", Type: "text"}}
	sp := &offers.SupplierCatalog{Games: []offers.SupplierGame{{Code: "MLBB-BJ", Name: "Mobile Legends", Active: true, Form: form}}}
	ip := &offers.SupplierCatalog{Games: []offers.SupplierGame{{Code: "mobile-legends", Name: "Mobile Legends", Active: true}}}
	for i := range n {
		sku, name := fmt.Sprintf("MLBB_%d", 10*(i+1)), fmt.Sprintf("%d Diamonds", 10*(i+1))
		for _, c := range []*offers.SupplierCatalog{sp, ip} {
			code, game := sku, "mobile-legends"
			if c == sp {
				code, game = "MLBB-BJ"+sku, "MLBB-BJ"
			}
			cost := randomCost(rng)
			c.Offers = append(c.Offers, offers.Offer{Code: code, GameCode: game, Name: name, Cost: cost, CostRaw: cost.String(), Active: true})
		}
	}
	return &market{senpay: sp, isipay: ip}
}

func randomCost(rng *rand.Rand) decimal.Decimal {
	switch rng.IntN(10) {
	case 0:
		return decimal.NewFromInt(int64(1 + rng.IntN(10)))
	case 1:
		return decimal.NewFromInt(int64(90_000_000 + rng.IntN(10_000_000)))
	case 2:
		return decimal.New(int64(100_000+rng.IntN(10_000_000)), -2)
	}
	return decimal.NewFromInt(int64(1000 + rng.IntN(2_000_000)))
}

// moveCost moves a cost by up to 40% either way, never below 1.
func moveCost(rng *rand.Rand, c decimal.Decimal) decimal.Decimal {
	pct := decimal.NewFromInt(int64(60 + rng.IntN(81)))
	return decimal.Max(c.Mul(pct).Div(decimal.NewFromInt(100)).Ceil(), decimal.NewFromInt(1))
}

// randomRule is a rule that passes validation, with values anywhere in
// the limits, the extremes included.
func randomRule(rng *rand.Rand) rules.Rule {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	var action string
	switch rng.IntN(4) {
	case 0:
		action = fmt.Sprintf(`{"kind": "markup_percent", "value": "%s", "plus": %d}`,
			pick("-99.9999", "0", "7.5", "33.3333", "250", "999.9999", "1000"), rng.IntN(2)*rng.IntN(100_000))
	case 1:
		action = fmt.Sprintf(`{"kind": "margin_percent", "value": "%s", "plus": %d}`,
			pick("0", "12.5", "50", "99", "99.99", "99.9999"), rng.IntN(2)*rng.IntN(100_000))
	case 2:
		action = fmt.Sprintf(`{"kind": "cost_plus", "value": "%s"}`, pick("-1000000000", "-5000", "0", "1500", "1000000000"))
	case 3:
		action = fmt.Sprintf(`{"kind": "fixed_price", "value": "%s", "plus": %d}`,
			pick("1", "15000", "999999999", "1000000000"), rng.IntN(2)*rng.IntN(1000))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"name": "r%d", "priority": %d, "action": %s`, rng.Uint32(), rng.IntN(1000), action)
	switch rng.IntN(4) {
	case 0:
		fmt.Fprintf(&b, `, "match": {"game": "mobile-legends"}`)
	case 1:
		fmt.Fprintf(&b, `, "match": {"item": "mobile-legends.diamonds-%d"}`, 10*(1+rng.IntN(24)))
	case 2:
		fmt.Fprintf(&b, `, "match": {"tier": "member", "supplier": "%s"}`, pick("senpay", "isipay"))
	}
	if rng.IntN(2) == 0 {
		step := pick("1", "100", "500", "1000", "1000000")
		fmt.Fprintf(&b, `, "round": {"step": %s, "mode": "%s", "ending": %s}`, step, pick("up", "down", "nearest"),
			map[string]string{"1": "0", "100": "0", "500": "499", "1000": "900", "1000000": "0"}[step])
	}
	if rng.IntN(2) == 0 {
		fmt.Fprintf(&b, `, "guard": {"min_margin_percent": "%s", "min_margin_amount": %d, "max_price": %s}`,
			pick("0", "2.5", "1000"), rng.IntN(5000), pick("null", "null", "20000", "1000000", "1000000000"))
	}
	b.WriteString("}")
	r, err := rules.Decode([]byte(b.String()))
	if err != nil {
		panic(fmt.Sprintf("random rule %s: %v", b.String(), err))
	}
	if err := r.Validate(); err != nil {
		panic(fmt.Sprintf("random rule %s: %v", b.String(), err))
	}
	return r
}

func saveRandomRule(t *testing.T, h *harness, rng *rand.Rand) {
	t.Helper()
	if _, f, err := h.cat.SaveRule(context.Background(), RuleChange{Op: "create", Rule: randomRule(rng)}, "prop"); err != nil {
		if !errors.Is(err, rules.ErrConflict) || len(f.Errors) == 0 {
			t.Fatalf("save: %v", err)
		}
	}
}

// checkPrices holds every (item, tier) of the current snapshot to the
// contract: a published price is a whole amount within [cost, MaxPrice],
// at or above the floor and under every ceiling, on its rule's grid; it
// is what the storefront body, the explanation and the prices table say;
// an unpublished one says why.
func checkPrices(t *testing.T, h *harness, after string) (published int) {
	t.Helper()
	snap := h.cat.Snapshot()
	stored := map[string]*int64{}
	rows, err := h.cat.db.Read.Query(`SELECT item_id, tier, price FROM prices`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var item, tier string
		var p *int64
		if err := rows.Scan(&item, &tier, &p); err != nil {
			t.Fatal(err)
		}
		stored[item+"/"+tier] = p
	}
	rows.Close()
	for _, g := range snap.GameList() {
		for _, tier := range snap.Tiers() {
			served := servedPrices(t, snap, g.ID, tier)
			for _, it := range g.Items {
				at := fmt.Sprintf("after %s: %s/%s", after, it.ID, tier)
				p := it.PriceIn(tier)
				if p.Amount == nil && p.Blocked == "" && it.Reason == "" {
					t.Fatalf("%s: no price and no reason", at)
				}
				if got := served[it.ID]; !samePrice(got, p.Amount) {
					t.Fatalf("%s: storefront body says %v, snapshot %v", at, show(got), show(p.Amount))
				}
				if got := stored[it.ID+"/"+tier]; !samePrice(got, p.Amount) {
					t.Fatalf("%s: prices table says %v, snapshot %v", at, show(got), show(p.Amount))
				}
				ex, err := snap.Explain(it.ID, tier)
				if err != nil {
					t.Fatal(err)
				}
				if !samePrice(ex.Price, p.Amount) {
					t.Fatalf("%s: explanation says %v, snapshot %v", at, show(ex.Price), show(p.Amount))
				}
				if p.Amount == nil {
					if ex.Blocked == "" {
						t.Fatalf("%s: blocked without a reason in the explanation", at)
					}
					continue
				}
				checkPublished(t, at, snap, it, tier, *p.Amount, ex)
				published++
			}
		}
	}
	return published
}

func checkPublished(t *testing.T, at string, snap *Snapshot, it *Item, tier string, amount int64, ex *Explanation) {
	t.Helper()
	price, cost := decimal.NewFromInt(amount), decimal.NewFromInt(it.Chosen.Cost)
	d := snap.rules.Evaluate(subject(it, tier), snap.pricedAt)
	in, err := d.Input(cost, snap.floor...)
	if err != nil {
		t.Fatalf("%s: priced at %d despite %v", at, amount, err)
	}
	grid := in.Grid
	if grid.Step.IsZero() {
		grid = pricing.DefaultGrid()
	}
	// The floor, recomputed here from the guards rather than by pricing.
	floor := cost
	var ceiling *decimal.Decimal
	for _, g := range in.Guards {
		if g.MinMarginAmount != nil {
			floor = decimal.Max(floor, cost.Add(*g.MinMarginAmount))
		}
		if g.MinMarginPercent != nil {
			floor = decimal.Max(floor, cost.Mul(decimal.NewFromInt(100).Add(*g.MinMarginPercent)).Div(decimal.NewFromInt(100)))
		}
		if g.MaxPrice != nil && (ceiling == nil || g.MaxPrice.LessThan(*ceiling)) {
			ceiling = g.MaxPrice
		}
	}
	switch {
	case amount < it.Chosen.Cost || amount <= 0 && it.Chosen.Cost > 0:
		t.Fatalf("%s: price %d below cost %d", at, amount, it.Chosen.Cost)
	case price.LessThan(floor):
		t.Fatalf("%s: price %d below floor %s", at, amount, floor)
	case ceiling != nil && price.GreaterThan(*ceiling):
		t.Fatalf("%s: price %d above ceiling %s", at, amount, ceiling)
	case amount > pricing.MaxPrice:
		t.Fatalf("%s: price %d above the cap", at, amount)
	case !grid.Contains(price):
		t.Fatalf("%s: price %d off the grid %s", at, amount, grid)
	case ex.Quote == nil || ex.Quote.Steps[len(ex.Quote.Steps)-1].Out != price.String():
		t.Fatalf("%s: explanation's trace does not end at %d: %+v", at, amount, ex.Quote)
	}
}

// servedPrices reads a game's storefront body: what a storefront is sold.
func servedPrices(t *testing.T, snap *Snapshot, game, tier string) map[string]*int64 {
	t.Helper()
	b, ok := snap.GameBody(game, tier)
	if !ok {
		t.Fatalf("no body for %s/%s", game, tier)
	}
	var v struct {
		Game struct {
			Items []struct {
				ID    string `json:"id"`
				Price *int64 `json:"price"`
			} `json:"items"`
		} `json:"game"`
	}
	if err := json.Unmarshal(b.JSON, &v); err != nil {
		t.Fatal(err)
	}
	out := map[string]*int64{}
	for _, it := range v.Game.Items {
		out[it.ID] = it.Price
	}
	return out
}

// checkImpact: whatever a preview lists as an after price obeys the cap.
func checkImpact(t *testing.T, imp *Impact) {
	t.Helper()
	for _, list := range [][]ImpactItem{imp.NewlyBlocked, imp.Unblocked, imp.LargestIncreases, imp.LargestDecreases} {
		for _, m := range list {
			if m.After != nil && (*m.After > pricing.MaxPrice || *m.After < 0) {
				t.Fatalf("preview lists %s/%s at %d", m.Item, m.Tier, *m.After)
			}
			if m.After == nil && m.Blocked == "" {
				t.Fatalf("preview blocks %s/%s without a reason", m.Item, m.Tier)
			}
		}
	}
}

func ptrDec(d decimal.Decimal) *decimal.Decimal { return &d }

func show(p *int64) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}
