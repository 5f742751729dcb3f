package catalog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/offers"
)

func TestManualMatching(t *testing.T) {
	h := newHarness(t, Config{})
	// An offer no parser can read: its own item, in the review queue.
	h.m.isipay.Offers = append(h.m.isipay.Offers, offers.Offer{Code: "MLBB_SPECIAL_X", GameCode: "mobile-legends",
		Name: "Paket Spesial Lebaran", Cost: decimal.NewFromInt(50000), CostRaw: "50000", Active: true})
	snap := h.round()
	queue := snap.Review()
	if len(queue) == 0 || queue[0].Offer.Code != "MLBB_SPECIAL_X" || queue[0].Offer.Method != "unmatched" {
		t.Fatalf("review queue: got %+v, want the unmatched offer first", queue)
	}
	odd := queue[0]
	ctx := context.Background()

	// Link it to the weekly pass item by hand.
	pass := "mobile-legends.pass-weekly-diamond-pass-x1"
	if _, ok := snap.Item(pass); !ok {
		for _, g := range snap.GameList() {
			for _, it := range g.Items {
				t.Log(it.ID)
			}
		}
		t.Fatalf("no item %s", pass)
	}
	if err := h.cat.LinkOffer(ctx, odd.Offer.ID, pass, "merch@shop"); err != nil {
		t.Fatal(err)
	}
	snap = h.cat.Snapshot()
	it := h.item(snap, pass)
	if len(it.Offers) != 3 {
		t.Fatalf("after linking: %d offers on %s, want 3", len(it.Offers), pass)
	}
	for _, e := range snap.Review() {
		if e.Offer.ID == odd.Offer.ID {
			t.Fatal("a decided offer is still in the review queue")
		}
	}

	// A later sync does not undo it.
	h.clk.advance(time.Minute)
	snap = h.round()
	if it := h.item(snap, pass); len(it.Offers) != 3 {
		t.Fatalf("after a re-sync: %d offers on %s, want the manual link kept", len(it.Offers), pass)
	}

	// Split the Senpay 86-diamond offer off into its own item, rename it.
	var senpay86 int64
	for _, o := range h.item(snap, diamonds86).Offers {
		if o.Supplier == "senpay" {
			senpay86 = o.ID
		}
	}
	newID, err := h.cat.SplitOffer(ctx, senpay86, "merch@shop")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cat.RenameItem(ctx, newID, "86 Diamonds (Senpay channel)", "merch@shop"); err != nil {
		t.Fatal(err)
	}
	snap = h.cat.Snapshot()
	if it := h.item(snap, newID); it.Name != "86 Diamonds (Senpay channel)" || len(it.Offers) != 1 {
		t.Fatalf("split item: got %q with %d offers", it.Name, len(it.Offers))
	}
	if it := h.item(snap, diamonds86); len(it.Offers) != 1 || it.Offers[0].Supplier != "isipay" {
		t.Fatalf("item split from: got %+v", it.Offers)
	}
	// Re-sync: the split stands, and the old item keeps its id.
	h.clk.advance(time.Minute)
	snap = h.round()
	if it := h.item(snap, newID); len(it.Offers) != 1 {
		t.Fatalf("after a re-sync the split item has %d offers", len(it.Offers))
	}

	// Refusals change nothing.
	if err := h.cat.LinkOffer(ctx, 99999, pass, "m"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown offer: got %v, want ErrNotFound", err)
	}
	if err := h.cat.LinkOffer(ctx, senpay86, "nope/item", "m"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown item: got %v, want ErrNotFound", err)
	}
	if err := h.cat.RenameItem(ctx, newID, "  ", "m"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("blank name: got %v, want ErrInvalid", err)
	}
	var se *SettingError
	if err := h.cat.SetGameSettings(ctx, "mobile-legends", map[string]map[string]string{"isipay": {"data_format": "{user_id}|{zone}"}}); !errors.Is(err, ErrInvalid) || !errors.As(err, &se) || se.Field() != "settings.isipay.data_format" {
		t.Fatalf("template with an unknown field: got %v, want ErrInvalid naming settings.isipay.data_format", err)
	}
	for _, bad := range []map[string]map[string]string{{"senpay": {"data_format": "{user_id}"}}, {"isipay": {"other": "x"}}} {
		if err := h.cat.SetGameSettings(ctx, "mobile-legends", bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%v, a setting no supplier declares: got %v, want ErrInvalid", bad, err)
		}
	}
	if err := h.cat.SetGameSettings(ctx, "no-such-game", map[string]map[string]string{"isipay": {"data_format": "{user_id}"}}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown game: got %v, want ErrNotFound", err)
	}
	if err := h.cat.SetGameSettings(ctx, "mobile-legends", map[string]map[string]string{"isipay": {"data_format": "{user_id}|{server}"}}); err != nil {
		t.Fatal(err)
	}
	if g, _ := h.cat.Snapshot().Game("mobile-legends"); g.Settings["isipay"]["data_format"] != "{user_id}|{server}" {
		t.Fatalf("template: got %q", g.Settings["isipay"]["data_format"])
	}
	// Stored: a rebuild from the database has it too.
	rebuilt, err := h.cat.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g, _ := rebuilt.Game("mobile-legends"); g.Settings["isipay"]["data_format"] != "{user_id}|{server}" || g.CheckAnswer("1|2") == nil || g.CheckAnswer("12345") != nil {
		t.Fatalf("after a rebuild: got %v, want the template set and its answers checked", g.Settings)
	}
}

func TestLinkAcrossGamesIsRefused(t *testing.T) {
	h := newHarness(t, Config{})
	h.m.isipay.Games = append(h.m.isipay.Games, offers.SupplierGame{Code: "free-fire", Name: "Free Fire", Active: true})
	h.m.isipay.Offers = append(h.m.isipay.Offers, offers.Offer{Code: "FF_ID_100", GameCode: "free-fire", Name: "100 Diamonds",
		Cost: decimal.NewFromInt(14000), CostRaw: "14000", Active: true})
	snap := h.round()
	var ff int64
	for _, g := range snap.GameList() {
		if g.ID == "free-fire" {
			ff = g.Items[0].Offers[0].ID
		}
	}
	if ff == 0 {
		t.Fatal("no free-fire offer")
	}
	if err := h.cat.LinkOffer(context.Background(), ff, diamonds86, "m"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("linking a Free Fire offer to a Mobile Legends item: got %v, want ErrInvalid", err)
	}
}
