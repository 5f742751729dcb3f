package catalog

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

const senpay86 = "MLBB-BJ-V3MLBB_ID_86" // 20000 in the market; Isipay's 19500 sells the item

// holdHarness is the market with the default guard in both the syncer and
// the catalog, and the guard's events counted.
type holdHarness struct {
	*harness
	mu     sync.Mutex
	events []string // "senpay held", in order
}

func newHoldHarness(t *testing.T) *holdHarness {
	hh := &holdHarness{}
	g := offers.DefaultCostGuard()
	g.OnEvent = func(supplier string, ev offers.HoldEvent) {
		hh.mu.Lock()
		defer hh.mu.Unlock()
		hh.events = append(hh.events, supplier+" "+string(ev))
	}
	hh.harness = newHarness(t, Config{CostGuard: &g})
	return hh
}

func (h *holdHarness) told() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.events, ", ")
}

func (h *holdHarness) webhook(code string, cost int64) *offers.CostUpdate {
	h.t.Helper()
	h.clk.advance(time.Second)
	up, err := h.cat.ApplyCosts(context.Background(), "senpay", []offers.CostChange{{Code: code, New: decimal.NewFromInt(cost)}}, h.clk.now())
	if err != nil {
		h.t.Fatal(err)
	}
	return up
}

func (h *holdHarness) offerState(s *Snapshot, supplier string) *OfferState {
	h.t.Helper()
	for _, o := range h.item(s, diamonds86).Offers {
		if o.Supplier == supplier {
			return o
		}
	}
	h.t.Fatalf("no %s offer of %s", supplier, diamonds86)
	return nil
}

func (h *holdHarness) storedCost(code string) (cost int64, confirmed *int64) {
	h.t.Helper()
	if err := h.cat.db.Read.QueryRow(`SELECT cost, confirmed_cost FROM offers WHERE code = ?`, code).Scan(&cost, &confirmed); err != nil {
		h.t.Fatal(err)
	}
	return cost, confirmed
}

// events are the guard's audit, oldest first, as "event old→new source actor".
func (h *holdHarness) audit() string {
	h.t.Helper()
	evs, err := h.cat.CostHoldEvents(context.Background(), 0, 100)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		out = append(out, strings.Join([]string{string(e.Event), itoa(e.OldCost) + "→" + itoa(e.NewCost), e.Source, e.Actor}, " "))
	}
	return strings.Join(out, "; ")
}

func itoa(n int64) string { return decimal.NewFromInt(n).String() }

// TestWebhookFallIsHeldUntilASyncConfirmsIt: Senpay's offer undercuts
// Isipay by 95% on one webhook; it is stored, held, and Isipay keeps
// selling. The next sync that says the same confirms it.
func TestWebhookFallIsHeldUntilASyncConfirmsIt(t *testing.T) {
	h := newHoldHarness(t)
	h.m.offer("senpay", "MLBB_ID_86").Cost = decimal.NewFromInt(19000) // Senpay sells at first
	h.round()
	if got := chosen(h.item(h.cat.Snapshot(), diamonds86)); got != "senpay" {
		t.Fatalf("before: chosen %s, want senpay", got)
	}

	up := h.webhook(senpay86, 950)
	if len(up.Applied) != 1 || len(up.Held) != 1 || up.Held[0] != senpay86 {
		t.Fatalf("update: got %+v, want applied and held", up)
	}
	snap := h.cat.Snapshot()
	it := h.item(snap, diamonds86)
	if chosen(it) != "isipay" || *it.PriceIn(PublicTier).Amount != 19500 {
		t.Fatalf("held: chosen %s at %v (%s), want isipay at 19500", chosen(it), it.PriceIn(PublicTier).Amount, it.Reason)
	}
	sp := h.offerState(snap, "senpay")
	if sp.Eligible || !strings.HasPrefix(sp.Ineligible, offers.ReasonCostUnconfirmed) || !strings.Contains(sp.Ineligible, "19000 to 950 (-95.00%)") {
		t.Fatalf("senpay offer: eligible %v, %q", sp.Eligible, sp.Ineligible)
	}
	if sp.Hold == nil || sp.Hold.ConfirmedCost != 19000 || sp.Hold.Cost != 950 || sp.Hold.Source != "webhook" || *sp.Hold.ChangePercent != "-95.00" {
		t.Fatalf("hold: got %+v", sp.Hold)
	}
	// The supplier's word is stored and in the history, as said.
	if cost, confirmed := h.storedCost(senpay86); cost != 950 || confirmed == nil || *confirmed != 19000 {
		t.Fatalf("stored: cost %d, confirmed %v; want 950 held against 19000", cost, confirmed)
	}
	var hist int
	if err := h.cat.db.Read.Get(&hist, `SELECT count(*) FROM cost_history WHERE source = 'webhook' AND old_cost = 19000 AND new_cost = 950`); err != nil || hist != 1 {
		t.Fatalf("cost history: %d rows (%v), want 1", hist, err)
	}
	holds, err := h.cat.CostHolds(context.Background())
	if err != nil || len(holds) != 1 || holds[0].Code != senpay86 || holds[0].Item == nil || *holds[0].Item != diamonds86 {
		t.Fatalf("holds: got %+v, %v", holds, err)
	}
	// Routing reads the same.
	cands, err := h.cat.Candidates(context.Background(), diamonds86)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Supplier == "senpay" && (c.Eligible || !strings.HasPrefix(c.Ineligible, offers.ReasonCostUnconfirmed)) {
			t.Fatalf("candidate: got %+v, want held", c)
		}
	}

	// The next sync fetches 950 too: confirmed, and Senpay sells at it.
	// Nothing but the hold changed: the incremental reprice sees it.
	h.m.offer("senpay", "MLBB_ID_86").Cost = decimal.NewFromInt(950)
	h.clk.advance(time.Minute)
	res, err := h.syncer.Sync(context.Background(), "senpay", fixed(clone(h.m.senpay)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 1 || len(res.CostChanged) != 1 {
		t.Fatalf("confirming sync: changed %d, to reprice %v; want the one offer", res.Changed, res.CostChanged)
	}
	if snap, err = h.cat.AfterSync(context.Background(), res); err != nil {
		t.Fatal(err)
	}
	if it := h.item(snap, diamonds86); chosen(it) != "senpay" || *it.PriceIn(PublicTier).Amount != 950 {
		t.Fatalf("confirmed: chosen %s (%s), want senpay at 950", chosen(it), it.Reason)
	}
	if _, confirmed := h.storedCost(senpay86); confirmed != nil {
		t.Fatalf("still held against %d after the sync confirmed it", *confirmed)
	}
	if got, want := h.audit(), "held 19000→950 webhook syncd; confirmed 19000→950 sync syncd"; got != want {
		t.Fatalf("audit:\n got %s\nwant %s", got, want)
	}
	if got, want := h.told(), "senpay held, senpay confirmed"; got != want {
		t.Fatalf("events told: got %s, want %s", got, want)
	}
}

// TestSyncBackToTheOldCostReleasesTheHold: the webhook was wrong; the
// next sync says the old cost, which is what is sold.
func TestSyncBackToTheOldCostReleasesTheHold(t *testing.T) {
	h := newHoldHarness(t)
	h.round()
	h.webhook(senpay86, 45000) // +125%
	if sp := h.offerState(h.cat.Snapshot(), "senpay"); sp.Hold == nil {
		t.Fatal("a rise past double is not held")
	}
	h.clk.advance(time.Minute)
	snap := h.round() // the market still says 20000
	sp := h.offerState(snap, "senpay")
	if sp.Hold != nil || !sp.Eligible || sp.Cost != 20000 {
		t.Fatalf("after the sync: got %+v, want eligible at 20000", sp)
	}
	if got, want := h.audit(), "held 20000→45000 webhook syncd; confirmed 20000→20000 sync syncd"; got != want {
		t.Fatalf("audit:\n got %s\nwant %s", got, want)
	}
}

// TestSyncHoldsItsOwnBigMove: a sync's word alone does not move a price
// by more than the limits either; the next sync that agrees does.
func TestSyncHoldsItsOwnBigMove(t *testing.T) {
	h := newHoldHarness(t)
	h.round()
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(100)
	h.clk.advance(time.Minute)
	snap := h.round()
	if it := h.item(snap, diamonds86); chosen(it) != "senpay" {
		t.Fatalf("after one sync at 100: chosen %s (%s), want senpay while Isipay's move is held", chosen(it), it.Reason)
	}
	h.clk.advance(time.Minute)
	snap = h.round()
	if it := h.item(snap, diamonds86); chosen(it) != "isipay" || it.Chosen.Cost != 100 {
		t.Fatalf("after the second sync: chosen %s (%s), want isipay at 100", chosen(it), it.Reason)
	}
	if got, want := h.told(), "isipay held, isipay confirmed"; got != want {
		t.Fatalf("events told: got %s, want %s", got, want)
	}
}

// TestAcceptCost: a merchandiser accepts the held cost they saw; the
// accept is audited and the item repriced at once.
func TestAcceptCost(t *testing.T) {
	h := newHoldHarness(t)
	h.round()
	ctx := context.Background()
	var id int64
	if err := h.cat.db.Read.Get(&id, `SELECT id FROM offers WHERE code = ?`, senpay86); err != nil {
		t.Fatal(err)
	}
	if _, err := h.cat.AcceptCost(ctx, id, 20000, "ana", ""); !errors.Is(err, offers.ErrNotHeld) {
		t.Fatalf("accept with nothing held: got %v, want offers.ErrNotHeld", err)
	}
	if _, err := h.cat.AcceptCost(ctx, 99999, 1, "ana", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("accept of no offer: got %v, want ErrNotFound", err)
	}
	h.webhook(senpay86, 1000)
	h.webhook(senpay86, 900) // moved while held
	var moved *offers.CostMovedError
	if _, err := h.cat.AcceptCost(ctx, id, 1000, "ana", ""); !errors.As(err, &moved) || moved.Current != 900 || !errors.Is(err, offers.ErrCostMoved) {
		t.Fatalf("accept of the cost before: got %v, want offers.CostMovedError with 900", err)
	}
	if _, err := h.cat.AcceptCost(ctx, id, 900, "ana", "bad\u202enote"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("note with a bidi override: got %v, want ErrInvalid", err)
	}
	before := h.cat.Snapshot().Version
	ev, err := h.cat.AcceptCost(ctx, id, 900, "ana", "  Senpay's promo, confirmed by phone  ")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Event != offers.HoldAccepted || ev.OldCost != 20000 || ev.NewCost != 900 || ev.Actor != "ana" || ev.Note != "Senpay's promo, confirmed by phone" || ev.ID == 0 {
		t.Fatalf("accept: got %+v", ev)
	}
	snap := h.cat.Snapshot()
	if it := h.item(snap, diamonds86); snap.Version == before || chosen(it) != "senpay" || *it.PriceIn(PublicTier).Amount != 900 {
		t.Fatalf("after the accept: version %d (was %d), chosen %s (%s), want senpay at 900", snap.Version, before, chosen(it), it.Reason)
	}
	if got, want := h.audit(), "held 20000→1000 webhook syncd; moved 20000→900 webhook syncd; accepted 20000→900 merchandiser ana"; got != want {
		t.Fatalf("audit:\n got %s\nwant %s", got, want)
	}
	evs, err := h.cat.CostHoldEvents(ctx, id, 1)
	if err != nil || len(evs) != 1 || evs[0].Note != ev.Note || evs[0].Supplier != "senpay" || evs[0].Code != senpay86 {
		t.Fatalf("the offer's latest event: got %+v, %v", evs, err)
	}
	if _, err := h.cat.AcceptCost(ctx, id, 900, "ana", ""); !errors.Is(err, offers.ErrNotHeld) {
		t.Fatalf("second accept: got %v, want offers.ErrNotHeld", err)
	}
	if got, want := h.told(), "senpay held, senpay moved, senpay accepted"; got != want {
		t.Fatalf("events told: got %s, want %s", got, want)
	}
}

// TestZeroCostIsNeverAPrice: price_new 0 is held; accepted, the offer is
// still not sold, for its zero cost.
func TestZeroCostIsNeverAPrice(t *testing.T) {
	h := newHoldHarness(t)
	h.m.offer("senpay", "MLBB_ID_86").Cost = decimal.NewFromInt(19000)
	h.round()
	up := h.webhook(senpay86, 0)
	if len(up.Held) != 1 {
		t.Fatalf("price_new 0: got %+v, want held", up)
	}
	var id int64
	if err := h.cat.db.Read.Get(&id, `SELECT id FROM offers WHERE code = ?`, senpay86); err != nil {
		t.Fatal(err)
	}
	if _, err := h.cat.AcceptCost(context.Background(), id, 0, "ana", ""); err != nil {
		t.Fatal(err)
	}
	sp := h.offerState(h.cat.Snapshot(), "senpay")
	if sp.Eligible || sp.Ineligible != "zero cost" {
		t.Fatalf("accepted 0: got eligible %v (%q), want ineligible for zero cost", sp.Eligible, sp.Ineligible)
	}
	cands, err := h.cat.Candidates(context.Background(), diamonds86)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Supplier == "senpay" && c.Eligible {
			t.Fatalf("candidate at 0: got %+v, want ineligible", c)
		}
	}
}

// TestCandidatesSkipAHoldTheSnapshotHasNotSeen: routing rereads offers;
// a hold a sync began before the catalog was repriced is skipped there.
func TestCandidatesSkipAHoldTheSnapshotHasNotSeen(t *testing.T) {
	h := newHoldHarness(t)
	h.round()
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(5000)
	h.clk.advance(time.Minute)
	if _, err := h.syncer.Sync(context.Background(), "isipay", fixed(clone(h.m.isipay))); err != nil {
		t.Fatal(err)
	}
	if sp := h.offerState(h.cat.Snapshot(), "isipay"); !sp.Eligible {
		t.Fatal("the snapshot was repriced; this test needs it stale")
	}
	cands, err := h.cat.Candidates(context.Background(), diamonds86)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cands {
		if c.Supplier == "isipay" && (c.Eligible || !strings.Contains(c.Ineligible, "19500 to 5000 (-74.35%)")) {
			t.Fatalf("isipay candidate: got %+v, want held", c)
		}
	}
}

// TestFirstSightingIsNeverHeld: an offer syncd has never seen has no
// confirmed cost to hold it against, however cheap.
func TestFirstSightingIsNeverHeld(t *testing.T) {
	h := newHoldHarness(t)
	h.round()
	h.m.senpay.Offers = append(h.m.senpay.Offers, offers.Offer{Code: "MLBB-BJ-V3MLBB_ID_344", GameCode: "MLBB-BJ-V3",
		Name: "344 (312+32) Diamonds", Cost: decimal.NewFromInt(1), CostRaw: "1", Active: true})
	h.clk.advance(time.Minute)
	snap := h.round()
	it := h.item(snap, "mobile-legends.diamonds-344-312-32")
	if chosen(it) != "senpay" || it.Chosen.Cost != 1 || it.Chosen.Hold != nil {
		t.Fatalf("new offer at 1: chosen %s (%s), want senpay at 1, not held", chosen(it), it.Reason)
	}
	if holds, err := h.cat.CostHolds(context.Background()); err != nil || len(holds) != 0 {
		t.Fatalf("holds: got %+v, %v; want none", holds, err)
	}
}
