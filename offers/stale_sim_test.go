package offers_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/senpay"
)

// These tests are issue 18's report end to end: both simulators over HTTP,
// synced by the real clients; then each supplier answers one catalog sync
// with a maintenance page (an HTML page at Senpay, an HTTP 500 at Isipay).
// What storefronts may buy is decided by how old the last good data is,
// not by that one failure.

// syncClock is the Syncer's clock: it dates sync runs, and so how old the
// catalog thinks each supplier's data is. The catalog runs on the real
// clock, so its staleness timer is tested too.
type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// blipEnv is both simulators, a Syncer on a movable clock and a Catalog
// with the default staleAfter.
type blipEnv struct {
	t      *testing.T
	sims   map[string]*simSupplier
	syncer *offers.Syncer
	cat    *catalog.Catalog
	clock  *syncClock
}

func newBlipEnv(t *testing.T) *blipEnv {
	t.Helper()
	db, err := syncd.Open(context.Background(), dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	e := &blipEnv{t: t, sims: map[string]*simSupplier{}, clock: &syncClock{t: time.Now()}}
	for _, sup := range simSuppliers {
		e.sims[sup.name] = sup.start(t)
	}
	e.syncer = offers.NewSyncer(db, log, offers.WithClock(e.clock.now))
	e.cat = catalog.NewCatalog(db, log, suppliers.CatalogConfig(catalog.Config{StaleAfter: staleAfter,
		Suppliers: []string{"senpay", "isipay"}}, senpay.Descriptor, isipay.Descriptor))
	t.Cleanup(e.cat.Close)
	return e
}

// sync syncs a supplier with key as if at, and brings the catalog up to
// date as the scheduler does.
func (e *blipEnv) sync(supplier, key string, at time.Time) (*catalog.Snapshot, error) {
	e.t.Helper()
	e.clock.set(at)
	res, err := e.syncer.Sync(context.Background(), supplier, e.sims[supplier].client(key, okTimeout))
	snap, aerr := e.cat.AfterSync(context.Background(), res)
	if aerr != nil {
		e.t.Fatalf("catalog after the sync of %s: %v", supplier, aerr)
	}
	return snap, err
}

// blip makes each supplier's next catalog sync fail, as in the report.
func (e *blipEnv) blip() {
	e.sims["senpay"].fail(faultGarbage)
	e.sims["isipay"].fail(faultDown)
}

// sellable lists the items a storefront may buy (a price in the public
// tier), with their price.
func sellable(snap *catalog.Snapshot) map[string]int64 {
	out := map[string]int64{}
	for _, g := range snap.GameList() {
		for _, it := range g.Items {
			if p := it.PriceIn(catalog.PublicTier); p.Amount != nil {
				out[it.ID] = *p.Amount
			}
		}
	}
	return out
}

// offersOf counts the item offers of a supplier that the snapshot holds
// eligible, and the ineligible ones' reasons.
func offersOf(snap *catalog.Snapshot, supplier string) (eligible int, reasons map[string]int) {
	reasons = map[string]int{}
	for _, g := range snap.GameList() {
		for _, it := range g.Items {
			for _, o := range it.Offers {
				switch {
				case o.Supplier != supplier:
				case o.Eligible:
					eligible++
				default:
					reasons[o.Ineligible]++
				}
			}
		}
	}
	return eligible, reasons
}

func TestSimFailedSyncWithinStaleWindowKeepsEverythingSellable(t *testing.T) {
	e := newBlipEnv(t)
	start := time.Now().Add(-2 * time.Minute)
	var snap *catalog.Snapshot
	var err error
	for _, s := range []string{"senpay", "isipay"} {
		if snap, err = e.sync(s, goodKey, start); err != nil {
			t.Fatal(err)
		}
	}
	before := sellable(snap)
	if len(before) < 40 {
		t.Fatalf("after a good sync: %d items sellable, want the demo catalogs' 40 or more", len(before))
	}
	eligible := map[string]int{}
	for _, s := range []string{"senpay", "isipay"} {
		eligible[s], _ = offersOf(snap, s)
	}

	e.blip()
	for _, s := range []string{"senpay", "isipay"} {
		if snap, err = e.sync(s, goodKey, start.Add(time.Minute)); err == nil {
			t.Fatalf("sync of %s: got no error, want the staged failure", s)
		}
	}
	after := sellable(snap)
	if len(after) != len(before) {
		t.Errorf("after one failed sync at each supplier: %d items sellable, want all %d", len(after), len(before))
	}
	for id, price := range before {
		if after[id] != price {
			t.Errorf("%s: got price %d, want %d as before the failures", id, after[id], price)
		}
	}
	for _, s := range []string{"senpay", "isipay"} {
		if n, why := offersOf(snap, s); n != eligible[s] {
			t.Errorf("%s: %d offers eligible, want %d as before (ineligible: %v)", s, n, eligible[s], why)
		}
		st, err := e.syncer.Status(context.Background(), s, staleAfter)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != offers.StateDegraded || !st.Sellable || st.LastError == "" || st.StaleAt == nil {
			t.Errorf("%s status: got state=%s sellable=%v stale_at=%v error=%q, want degraded, sellable, a stale_at and the error",
				s, st.State, st.Sellable, st.StaleAt, st.LastError)
		}
	}

	// Both recover: ok again, nothing changed for storefronts.
	for _, s := range []string{"senpay", "isipay"} {
		e.sims[s].clear()
		if snap, err = e.sync(s, goodKey, start.Add(90*time.Second)); err != nil {
			t.Fatal(err)
		}
		if st, _ := e.syncer.Status(context.Background(), s, staleAfter); st.State != offers.StateOK {
			t.Errorf("%s after recovery: got state %s, want ok", s, st.State)
		}
	}
	if got := len(sellable(snap)); got != len(before) {
		t.Errorf("after recovery: %d items sellable, want %d", got, len(before))
	}
}

func TestSimFailedSyncPastStaleWindowStopsSelling(t *testing.T) {
	e := newBlipEnv(t)
	// The last good data is older than the stale window when the failure
	// comes.
	old := time.Now().Add(-staleAfter - time.Minute)
	for _, s := range []string{"senpay", "isipay"} {
		if _, err := e.sync(s, goodKey, old); err != nil {
			t.Fatal(err)
		}
	}
	e.blip()
	var snap *catalog.Snapshot
	for _, s := range []string{"senpay", "isipay"} {
		var err error
		if snap, err = e.sync(s, goodKey, time.Now()); err == nil {
			t.Fatalf("sync of %s: got no error, want the staged failure", s)
		}
	}
	if got := sellable(snap); len(got) != 0 {
		t.Errorf("with both suppliers' data past the stale window: %d items sellable, want none", len(got))
	}
	for _, s := range []string{"senpay", "isipay"} {
		n, why := offersOf(snap, s)
		stale := 0
		for reason, k := range why {
			if strings.Contains(reason, "stale") {
				stale += k
			}
		}
		if n != 0 || stale == 0 {
			t.Errorf("%s: %d offers eligible, reasons %v; want none, stale", s, n, why)
		}
		if st, _ := e.syncer.Status(context.Background(), s, staleAfter); st.State != offers.StateStale || st.Sellable {
			t.Errorf("%s status: got %s (sellable %v), want stale and not sellable", s, st.State, st.Sellable)
		}
	}
}

// Past the stale window the offers stop selling by themselves, with no
// further sync attempt to notice it: a scheduler that hangs must not keep
// old data on sale.
func TestSimDataGoesStaleWithoutAnotherSync(t *testing.T) {
	// The data is synced as if the stale window ends margin from now. A
	// loaded machine may take longer than margin to sync and build; then
	// the window ended before the catalog could be looked at, the run
	// proves nothing, and it is tried again with a wider margin.
	for _, margin := range []time.Duration{2 * time.Second, 8 * time.Second, 30 * time.Second} {
		e := newBlipEnv(t)
		ends := time.Now().Add(margin)
		var snap *catalog.Snapshot
		for _, s := range []string{"senpay", "isipay"} {
			var err error
			if snap, err = e.sync(s, goodKey, ends.Add(-staleAfter)); err != nil {
				t.Fatal(err)
			}
		}
		if !time.Now().Before(ends) {
			t.Logf("syncing took longer than %s: trying again with a wider margin", margin)
			continue
		}
		if len(sellable(snap)) == 0 {
			t.Fatal("before the stale window ends: nothing sellable, want the catalog")
		}
		deadline := ends.Add(10 * time.Second)
		for len(sellable(e.cat.Snapshot())) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("10 s past the stale window: %d items still sellable, want none", len(sellable(e.cat.Snapshot())))
			}
			time.Sleep(20 * time.Millisecond)
		}
		return
	}
	t.Fatal("syncing never finished within 30 s of the window's end")
}

// A supplier that refuses syncd's credentials sells nothing from that
// moment, though its data is minutes old; the other supplier's offers
// sell the items they can.
func TestSimUnauthorizedSyncStopsSellingAtOnce(t *testing.T) {
	for _, refused := range []string{"senpay", "isipay"} {
		t.Run(refused, func(t *testing.T) {
			t.Parallel()
			e := newBlipEnv(t)
			start := time.Now().Add(-2 * time.Minute)
			var snap *catalog.Snapshot
			for _, s := range []string{"senpay", "isipay"} {
				var err error
				if snap, err = e.sync(s, goodKey, start); err != nil {
					t.Fatal(err)
				}
			}
			if n, _ := offersOf(snap, refused); n == 0 {
				t.Fatalf("%s: no eligible offers after a good sync", refused)
			}
			snap, err := e.sync(refused, "wrong-key", start.Add(time.Minute))
			if !errors.Is(err, offers.ErrUnauthorized) {
				t.Fatalf("sync with a wrong key: got %v, want offers.ErrUnauthorized", err)
			}
			n, why := offersOf(snap, refused)
			if n != 0 {
				t.Errorf("%s after refusing syncd's credentials: %d offers eligible, want none", refused, n)
			}
			for reason := range why {
				if !strings.Contains(reason, "credentials") && !strings.Contains(reason, "inactive") && !strings.Contains(reason, "order form") {
					t.Errorf("%s offer ineligible for %q, want the refused credentials", refused, reason)
				}
			}
			for _, g := range snap.GameList() {
				for _, it := range g.Items {
					if it.Chosen != nil && it.Chosen.Supplier == refused {
						t.Errorf("%s is still sold by %s", it.ID, refused)
					}
				}
			}
			st, err := e.syncer.Status(context.Background(), refused, staleAfter)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != offers.StateUnauthorized || st.Sellable || st.Stale {
				t.Errorf("status: got state=%s sellable=%v stale=%v, want unauthorized, not sellable, not stale", st.State, st.Sellable, st.Stale)
			}
		})
	}
}
