package catalog

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

// TestDepositCeilingHasHysteresis: the ceiling follows the estimate down
// at once and up only a margin behind, so an offer at 7,770 leaves when
// the estimate falls below it and returns only at 8,770, however the
// estimate wobbles in between.
func TestDepositCeilingHasHysteresis(t *testing.T) {
	const cost, margin = 7770, 1000
	d := deposit{estimate: 50_000, ceiling: 50_000}
	var got []bool
	for _, est := range []int64{20_000, 8_000, 7_800, 7_700, 7_800, 8_100, 7_700, 8_769, 7_900, 8_770, 8_000, 7_770, 7_769} {
		d = d.next(est, margin)
		got = append(got, cost <= d.ceiling)
	}
	want := []bool{true, true, true, false, false, false, false, false, false, true, true, true, false}
	if !slices.Equal(got, want) {
		t.Fatalf("offer at %d sellable as the estimate moves: got %v, want %v", cost, got, want)
	}
}

func (h *harness) setBalance(supplier string, b SupplierBalance) *Snapshot {
	h.t.Helper()
	if err := h.cat.SetBalance(context.Background(), supplier, b); err != nil {
		h.t.Fatal(err)
	}
	return h.cat.Snapshot()
}

func offerOf(it *Item, supplier string) *OfferState {
	for _, o := range it.Offers {
		if o.Supplier == supplier {
			return o
		}
	}
	return nil
}

// TestBalanceMovesOnlyWhatItMust: Isipay's deposit falling below the cost
// of 86 Diamonds (Isipay 19,500, Senpay 20,000) prices it from Senpay at
// once, says why, and changes nothing else a storefront sees; the
// deposit coming back prices it from Isipay again only past the margin.
func TestBalanceMovesOnlyWhatItMust(t *testing.T) {
	h := newHarness(t, Config{BalanceMargin: 1000})
	ctx := context.Background()
	start := h.round()
	if got := chosen(h.item(start, diamonds86)); got != "isipay" {
		t.Fatalf("86 before: got %s, want isipay", got)
	}
	// A known balance that pays everything moves nothing.
	if snap := h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 1_000_000}); snap != start {
		t.Fatalf("a deposit that pays every offer published version %d", snap.Version)
	}

	low := h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 92})
	if low.Version == start.Version {
		t.Fatal("the deposit ran out and the catalog did not move")
	}
	it := h.item(low, diamonds86)
	if chosen(it) != "senpay" || *it.PriceIn(PublicTier).Amount != 20000 {
		t.Fatalf("86 after: got %s at %v, want senpay at 20000", chosen(it), it.PriceIn(PublicTier).Amount)
	}
	if want := "isipay skipped: estimated balance 92 below cost 19,500; the only eligible offer"; it.Reason != want {
		t.Errorf("reason: got %q, want %q", it.Reason, want)
	}
	if o := offerOf(it, "isipay"); o.Eligible || o.Ineligible != "estimated balance 92 below cost 19,500" {
		t.Errorf("isipay offer: got eligible %v %q", o.Eligible, o.Ineligible)
	}
	ex, err := low.Explain(diamonds86, PublicTier)
	if err != nil || !strings.Contains(ex.Choice, "isipay skipped: estimated balance 92 below cost 19,500") {
		t.Errorf("explanation: got %q, %v", ex.Choice, err)
	}
	ch, err := low.ChangesSince(start.Version, PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range ch.Items {
		ids = append(ids, v.ID)
	}
	if !slices.Equal(ids, []string{diamonds86}) {
		t.Errorf("changes feed: got %v, want only %s (172 ties and prefers senpay; the pass is senpay's)", ids, diamonds86)
	}
	// Routing weighs the deposit itself, so the candidate stays eligible.
	cands, err := h.cat.Candidates(ctx, diamonds86)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Supplier == "isipay" && !c.Eligible {
			t.Errorf("isipay candidate: got ineligible (%s), want routing to judge the balance", c.Ineligible)
		}
	}
	var remembered *int64
	if err := h.cat.db.Read.GetContext(ctx, &remembered, `SELECT chosen_offer_id FROM items WHERE id = ?`, diamonds86); err != nil {
		t.Fatal(err)
	}
	if remembered == nil || *remembered != it.Chosen.ID {
		t.Errorf("remembered choice: got %v, want %d", remembered, it.Chosen.ID)
	}

	// A full rebuild (a sync, a rule edit) chooses with the same deposit.
	if snap, err := h.cat.Refresh(ctx); err != nil || chosen(h.item(snap, diamonds86)) != "senpay" {
		t.Fatalf("after a rebuild: got %s, %v; want senpay", chosen(h.item(snap, diamonds86)), err)
	}
	// Covering the cost is not enough to return: the margin too.
	mid := h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 20_400})
	it = h.item(mid, diamonds86)
	if chosen(it) != "senpay" || !strings.Contains(offerOf(it, "isipay").Ineligible, "covers cost 19,500 but not the 1,000 above it needed to return") {
		t.Fatalf("within the margin: got %s (%q), want senpay", chosen(it), offerOf(it, "isipay").Ineligible)
	}
	back := h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 20_500})
	if got := chosen(h.item(back, diamonds86)); got != "isipay" {
		t.Fatalf("past the margin: got %s, want isipay", got)
	}
	if back.Version == mid.Version {
		t.Error("the item came back without a new version")
	}
	var causes []string
	if err := h.cat.db.Read.SelectContext(ctx, &causes, `SELECT cause FROM price_history WHERE item_id = ? ORDER BY id`, diamonds86); err != nil {
		t.Fatal(err)
	}
	if want := []string{"sync", "balance", "balance"}; !slices.Equal(causes, want) {
		t.Errorf("price history causes: got %v, want %v", causes, want)
	}
}

// TestUnknownBalanceIsNeverEmpty: a supplier whose balance syncd cannot
// know (no balance endpoint, never read) sells; one that becomes unknown
// again sells again.
func TestUnknownBalanceIsNeverEmpty(t *testing.T) {
	h := newHarness(t, Config{})
	start := h.round()
	if snap := h.setBalance("senpay", SupplierBalance{}); snap != start {
		t.Fatal("an unknown balance moved the catalog")
	}
	h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 0})
	if got := chosen(h.item(h.cat.Snapshot(), diamonds86)); got != "senpay" {
		t.Fatalf("empty isipay: got %s, want senpay", got)
	}
	snap := h.setBalance("isipay", SupplierBalance{})
	if got := chosen(h.item(snap, diamonds86)); got != "isipay" {
		t.Fatalf("isipay unknown again: got %s, want isipay", got)
	}
}

// TestBalanceSkipOutlivesWebhookReprice: a game repriced by a price
// webhook is chosen with the deposit as it stands, and a deposit that
// moved while nothing else did is applied to every game built before.
func TestBalanceSkipOutlivesWebhookReprice(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := context.Background()
	h.round()
	h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 100})
	h.clk.advance(1)
	up, err := h.cat.ApplyCosts(ctx, "senpay", []offers.CostChange{{Code: "MLBB-BJ-V3MLBB_ID_86", New: decimal.NewFromInt(19900)}}, h.clk.now())
	if err != nil || len(up.Applied) != 1 {
		t.Fatalf("webhook: %+v, %v", up, err)
	}
	it := h.item(h.cat.Snapshot(), diamonds86)
	if chosen(it) != "senpay" || *it.PriceIn(PublicTier).Amount != 19900 {
		t.Fatalf("after the webhook: got %s at %v, want senpay at 19900", chosen(it), it.PriceIn(PublicTier).Amount)
	}
	snap := h.setBalance("isipay", SupplierBalance{Known: true, Estimate: 5_000_000})
	if got := chosen(h.item(snap, diamonds86)); got != "isipay" {
		t.Fatalf("deposit topped up: got %s, want isipay", got)
	}
}
