package catalog

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Two catalogs on one database stand for two instances: what one
// publishes the other adopts whole, number, ETag, bodies and changes
// feed, without a version of its own.
func TestFollowerAdoptsThePublishedVersion(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := context.Background()
	first := h.round()

	// The follower's clock is an hour on: priced by it, both suppliers
	// would be stale (15 minutes) and nothing sold. It must price as of
	// the version's own time to serve the same bodies.
	cfg := h.cat.cfg
	cfg.Leads = func() bool { return false } // its stale timer, set by its clock, is the leader's to act on
	b := NewCatalog(h.cat.db, discardLog, cfg)
	defer b.Close()
	b.now = func() time.Time { return h.clk.now().Add(time.Hour) }
	if err := b.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	sameVersion(t, h.cat.Snapshot(), b.Snapshot())
	if got := price(t, b.Snapshot(), diamonds86, PublicTier); got != 19500 {
		t.Fatalf("follower's price: got %d, want 19500 as the publisher priced it", got)
	}

	r := mustRule(t, `{"name": "MLBB +10%", "priority": 1, "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "10", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`)
	if _, _, err := h.cat.SaveRule(ctx, RuleChange{Op: "create", Rule: r}, "ana"); err != nil {
		t.Fatal(err)
	}
	ok, err := b.Serves(ctx)
	if err != nil || ok {
		t.Fatalf("follower serves the newest version before catching up: %v, %v", ok, err)
	}
	if err := b.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	sameVersion(t, h.cat.Snapshot(), b.Snapshot())
	if ok, err := b.Serves(ctx); err != nil || !ok {
		t.Fatalf("follower after catching up: serves %v, %v", ok, err)
	}
	ca, err := h.cat.Snapshot().ChangesSince(first.Version, PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Snapshot().ChangesSince(first.Version, PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	if ca.To != cb.To || len(ca.Items) != len(cb.Items) || len(ca.Items) == 0 {
		t.Fatalf("changes feed: publisher %+v, follower %+v; want the same, not empty", ca, cb)
	}

	// A write on the follower allocates the next version; the first
	// catalog follows it. The clocks agree now: a reprice keeps the
	// choices of the last full build, which an hour's skew would make
	// stale on the instance that rebuilds in full.
	b.now = h.clk.now
	if _, _, err := b.SaveRule(ctx, RuleChange{Op: "create", Rule: mustRule(t, `{"name": "WDP +5%", "priority": 5, "match": {"game": "mobile-legends"},
		"action": {"kind": "markup_percent", "value": "5", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`)}, "budi"); err != nil {
		t.Fatal(err)
	}
	if b.Snapshot().Version <= h.cat.Snapshot().Version {
		t.Fatalf("follower's write: version %d, want above %d", b.Snapshot().Version, h.cat.Snapshot().Version)
	}
	if err := h.cat.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	sameVersion(t, b.Snapshot(), h.cat.Snapshot())
	if _, err := h.cat.Snapshot().ChangesSince(first.Version, PublicTier); err != nil {
		t.Fatalf("changes feed across both instances' versions: %v", err)
	}
}

func sameVersion(t *testing.T, a, b *Snapshot) {
	t.Helper()
	if a.Version != b.Version || !a.BuiltAt.Equal(b.BuiltAt) {
		t.Fatalf("versions: %d at %v and %d at %v, want the same", a.Version, a.BuiltAt, b.Version, b.BuiltAt)
	}
	ba, _, err := a.Catalog(PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	bb, _, err := b.Catalog(PublicTier)
	if err != nil {
		t.Fatal(err)
	}
	if ba.ETag != bb.ETag || !bytes.Equal(ba.JSON, bb.JSON) {
		t.Fatalf("catalog: ETags %s and %s, bodies equal %v; want the same", ba.ETag, bb.ETag, bytes.Equal(ba.JSON, bb.JSON))
	}
}

// A version only the leader may publish (after a sync, at a rule window,
// when data goes stale) passes the fence in its own transaction: a
// deposed leader's is refused and nothing is recorded or served; a write
// any instance may make is not fenced.
func TestFencedPublicationOfADeposedLeaderIsRefused(t *testing.T) {
	deposed := errors.New("deposed")
	h := newHarness(t, Config{Fence: func(context.Context, sqlx.QueryerContext) error { return deposed }})
	ctx := context.Background()
	first := h.round() // Refresh without Fenced: not the leader's alone
	h.m.offer("isipay", "MLBB_ID_86").Cost = decimal.NewFromInt(18000)
	if _, err := h.syncer.Sync(ctx, "isipay", fixed(clone(h.m.isipay))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.cat.Refresh(Fenced(ctx)); !errors.Is(err, deposed) {
		t.Fatalf("fenced refresh of a deposed leader: got %v, want the fence's error", err)
	}
	if got := h.cat.Snapshot().Version; got != first.Version {
		t.Fatalf("served version %d after the refused publication, want %d still", got, first.Version)
	}
	if v, _, err := h.cat.LatestVersion(ctx); err != nil || v.Version != first.Version {
		t.Fatalf("latest recorded version: %d (%v), want %d", v.Version, err, first.Version)
	}
}
