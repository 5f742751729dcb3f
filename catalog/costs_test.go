package catalog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/syncd/syncd/offers"
)

// TestWebhookRepriceEqualsAFullBuild: a cost webhook reprices only the
// items whose offers moved and keeps the rest of their game as served.
// Whatever it moved (a cheaper supplier taking over, a hold, an item
// losing its last eligible offer), a full build from the database at the
// same moment must find nothing a storefront would see differently: the
// same version, the same bodies.
func TestWebhookRepriceEqualsAFullBuild(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 17))
			ctx := context.Background()
			h := newHarness(t, Config{})
			h.m = randomMarket(rng, 24)
			h.round()
			for step := range 5 {
				var changes []offers.CostChange
				for range 1 + rng.IntN(4) {
					o := h.m.senpay.Offers[rng.IntN(len(h.m.senpay.Offers))]
					changes = append(changes, offers.CostChange{Code: o.Code, New: moveCost(rng, o.Cost)})
				}
				h.clk.advance(1)
				if _, err := h.cat.ApplyCosts(ctx, "senpay", changes, h.clk.now()); err != nil {
					t.Fatal(err)
				}
				served := h.cat.Snapshot()
				full, err := h.cat.Refresh(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if full.Version != served.Version {
					ch, _ := full.ChangesSince(served.Version, PublicTier)
					t.Fatalf("step %d: a full build moved the version from %d to %d: the webhook's reprice served %+v differently",
						step, served.Version, full.Version, ch)
				}
				for _, tier := range served.tiers {
					a, _, _ := served.Catalog(tier)
					b, _, _ := full.Catalog(tier)
					if a.ETag != b.ETag {
						t.Fatalf("step %d, tier %s: catalog ETag %s after the webhook, %s after a full build", step, tier, a.ETag, b.ETag)
					}
				}
			}
		})
	}
}

// TestWebhookMovingManyItems: a delivery (or a batch of them) moving more
// items than one statement reads by id is read in chunks, and the result
// is still what a full build gives.
func TestWebhookMovingManyItems(t *testing.T) {
	rng := rand.New(rand.NewPCG(99, 17))
	ctx := context.Background()
	h := newHarness(t, Config{})
	h.m = randomMarket(rng, loadChunk+70)
	h.round()
	var changes []offers.CostChange
	for _, o := range h.m.senpay.Offers {
		changes = append(changes, offers.CostChange{Code: o.Code, New: moveCost(rng, o.Cost)})
	}
	h.clk.advance(1)
	up, err := h.cat.ApplyCosts(ctx, "senpay", changes, h.clk.now())
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Applied) < loadChunk {
		t.Fatalf("applied %d changes, want over %d", len(up.Applied), loadChunk)
	}
	served := h.cat.Snapshot()
	full, err := h.cat.Refresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if full.Version != served.Version {
		t.Fatalf("a full build moved the version from %d to %d", served.Version, full.Version)
	}
}
