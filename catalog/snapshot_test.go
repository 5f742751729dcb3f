package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"testing"
	"time"
	"weak"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/rules"
)

func FuzzAppendItemMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{"86 (78+8) Diamonds", `quote " and \ back`, "tab\there", "<b>&</b>", "é ü 中", "\u2028", "\xff bad utf8", ""} {
		f.Add(s, int64(19500), true)
	}
	f.Fuzz(func(t *testing.T, name string, price int64, available bool) {
		v := ItemView{ID: "mobile-legends/" + name, Game: "mobile-legends", Name: name, Currency: Currency, Available: available}
		if available {
			v.Price = &price
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendItem(nil, v); string(got) != string(want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}

// A swap must let the old snapshot go once no reader holds it: a refresh
// shares the bytes of unchanged games with the snapshot being served, and
// a leak of the snapshot itself through that sharing (or through the
// history, the whole-catalog body or the review queue) would keep two
// catalogs in memory for good.
func TestSwapReleasesTheOldSnapshot(t *testing.T) {
	h := newHarness(t, Config{})
	first := h.round()
	if _, _, err := first.Catalog(PublicTier); err != nil { // assembled, then shared by an unchanged refresh
		t.Fatal(err)
	}
	released := weak.Make(first)
	h.clk.advance(time.Minute)
	same := h.round() // nothing changed: the version and the catalog body carry over
	if same == first || same.Version != first.Version {
		t.Fatalf("unchanged refresh: got the same snapshot or version %d, want a new snapshot of version %d", same.Version, first.Version)
	}
	if same.gameByID["mobile-legends"].views[PublicTier] != first.gameByID["mobile-legends"].views[PublicTier] {
		t.Fatal("an unchanged game's view was encoded again, not shared with the snapshot being served")
	}
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(19000)
	h.clk.advance(time.Minute)
	next := weak.Make(h.round())
	first, same = nil, nil
	runtime.GC()
	runtime.GC()
	if released.Value() != nil {
		t.Fatal("the first snapshot is still reachable after two newer ones were published")
	}
	if next.Value() == nil || next.Value() != h.cat.Snapshot() {
		t.Fatal("the snapshot being served was collected")
	}
}

// Tiers whose storefronts see the same prices share one view of a game:
// one copy of its bytes, not one per tier.
func TestTiersThatAgreeShareTheirBytes(t *testing.T) {
	h := newHarness(t, Config{})
	if _, err := h.cat.Rules().CreateTier(context.Background(), rules.Tier{ID: "member", Name: "Members"}); err != nil {
		t.Fatal(err)
	}
	snap := h.round()
	e := snap.gameByID["mobile-legends"]
	if e.views["member"] != e.views[PublicTier] {
		t.Fatal("two tiers with the same prices hold two copies of the game")
	}
	pub, _ := snap.GameBody("mobile-legends", PublicTier)
	mem, _ := snap.GameBody("mobile-legends", "member")
	if !bytes.Equal(pub.JSON, mem.JSON) || pub.ETag != mem.ETag {
		t.Fatal("shared view: the tiers' bodies differ")
	}
	// Every item's body is its slice of the game's body, as encoding/json
	// writes the item.
	g, _ := snap.Game("mobile-legends")
	for _, it := range g.Items {
		for _, tier := range []string{PublicTier, "member"} {
			item, ok := snap.ItemBody(it.ID, tier)
			want, err := json.Marshal(map[string]ItemView{"item": ViewOf(it, tier)})
			if err != nil {
				t.Fatal(err)
			}
			if !ok || !bytes.Equal(item.JSON, want) || !bytes.Contains(pub.JSON, item.JSON[len(`{"item":`):len(item.JSON)-1]) {
				t.Fatalf("item %s in %s: got %s, want %s, a slice of the game's body", it.ID, tier, item.JSON, want)
			}
		}
	}
}
