package offers_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/isipay"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
)

// These tests run the Syncer against the real supplier clients talking to
// the simulators over HTTP: what a supplier's failure does to the stored
// catalog, end to end.

const (
	goodKey = "sim-key"
	// okTimeout is generous so that load never turns a reply into a
	// timeout; hangTimeout is short, since a hang costs it per attempt.
	okTimeout   = 2 * time.Second
	hangTimeout = 200 * time.Millisecond
	staleAfter  = time.Hour
)

var simRetry = suppliers.Retry{Attempts: 2, Base: time.Millisecond, Max: 5 * time.Millisecond}

// fault is a failure both simulators can stage, in their own modes.
type fault int

const (
	faultDown       fault = iota + 1 // every request HTTP 500 until cleared
	faultListing500                  // the catalog's first listing fails once with HTTP 500
	faultGarbage                     // HTTP 200 with an HTML page
	faultTruncated                   // HTTP 200 with JSON cut off
	faultHang                        // no reply until the client gives up
)

// simSupplier is a simulated supplier, steered through its own API, and the
// way to build a real client of it.
type simSupplier struct {
	name  string
	srv   *httptest.Server
	codes []string // every offer the simulator sells at start
	// listPath is the first request of a catalog fetch; errPrefix is how the
	// client's classified errors begin.
	listPath  string
	errPrefix string

	client    func(key string, timeout time.Duration) offers.Source
	price     func(code string) (int64, bool)
	setPrice  func(code string, price int64) error
	setActive func(code string, active bool) error
	remove    func(code string) error
	fail      func(fault)
	clear     func()
	requests  func(prefix string) int
}

func startSenpay(t *testing.T) *simSupplier {
	t.Helper()
	cat, err := senpaysim.LoadCatalog(senpaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	sim := senpaysim.New(cat, senpaysim.Options{APIKey: goodKey, SecretKey: "sim-secret"})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() {
		sim.Close() // releases hanging requests first
		srv.Close()
	})
	modes := map[fault]senpaysim.Fault{
		faultDown:       {Mode: senpaysim.Fault500},
		faultListing500: {Path: senpaysim.PathProviders, Mode: senpaysim.Fault500, Count: 1},
		faultGarbage:    {Mode: senpaysim.FaultHTML},
		faultTruncated:  {Mode: senpaysim.FaultTruncated},
		faultHang:       {Mode: senpaysim.FaultHang},
	}
	return &simSupplier{
		name: senpay.Name, srv: srv, codes: cat.ProductCodes(),
		listPath: senpaysim.PathProviders, errPrefix: "senpay GET /api/prepaid/",
		client: func(key string, timeout time.Duration) offers.Source {
			return senpay.New(senpay.Config{
				BaseURL: srv.URL, APIKey: key, SecretKey: "sim-secret",
				HTTP: &http.Client{Timeout: timeout}, RatePerSecond: -1, Retry: simRetry,
			})
		},
		price: sim.Price, setPrice: sim.SetPrice, setActive: sim.SetActive, remove: sim.Remove,
		fail:     func(f fault) { sim.Fail(modes[f]) },
		clear:    sim.ClearFaults,
		requests: sim.Requests,
	}
}

func startIsipay(t *testing.T) *simSupplier {
	t.Helper()
	cat, err := isipaysim.LoadCatalog(isipaysim.DemoCatalog)
	if err != nil {
		t.Fatal(err)
	}
	sim := isipaysim.New(cat, isipaysim.Options{APIToken: goodKey})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	modes := map[fault]isipaysim.Fault{
		faultDown:       {Mode: isipaysim.FaultHTTP500},
		faultListing500: {Path: isipaysim.PathProduct, Mode: isipaysim.FaultHTTP500, Count: 1},
		faultGarbage:    {Mode: isipaysim.FaultGarbage},
		faultTruncated:  {Mode: isipaysim.FaultTruncated},
		faultHang:       {Mode: isipaysim.FaultTimeout},
	}
	return &simSupplier{
		name: isipay.Name, srv: srv, codes: cat.VariantCodes(),
		listPath: isipaysim.PathProduct, errPrefix: "isipay POST /api/v1/",
		client: func(key string, timeout time.Duration) offers.Source {
			return isipay.New(isipay.Config{
				BaseURL: srv.URL, APIToken: key,
				HTTP: &http.Client{Timeout: timeout}, RatePerSecond: -1, Retry: simRetry,
			})
		},
		price: sim.Price, setPrice: sim.SetPrice, setActive: sim.SetActive, remove: sim.Remove,
		fail:     func(f fault) { sim.Fail(modes[f]) },
		clear:    sim.ClearFaults,
		requests: sim.Requests,
	}
}

var simSuppliers = []struct {
	name  string
	start func(*testing.T) *simSupplier
}{{senpay.Name, startSenpay}, {isipay.Name, startIsipay}}

func newSyncer(t *testing.T) (*offers.Syncer, *syncd.DB) {
	t.Helper()
	return openSyncer(t, dbtest.DSN(t))
}

func openSyncer(t *testing.T, path string) (*offers.Syncer, *syncd.DB) {
	t.Helper()
	db, err := syncd.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return offers.NewSyncer(db, slog.New(slog.DiscardHandler)), db
}

// dump renders the stored catalog, to prove a failed sync changed nothing.
func dump(t *testing.T, db *syncd.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, supplier, code, game_code, name, cost, cost_raw, active, process_duration, updated_at, coalesce(removed_at, '') FROM offers ORDER BY id`,
		`SELECT supplier, code, name, active, icon_url, form, updated_at, coalesce(removed_at, '') FROM supplier_games ORDER BY supplier, code`,
		`SELECT id, offer_id, coalesce(old_cost, -1), new_cost, raw, source, at FROM cost_history ORDER BY id`,
	} {
		rows, err := db.Read.Queryx(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func count(t *testing.T, db *syncd.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Read.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// activeOffers lists the codes of the supplier's active offers, in code order.
func activeOffers(t *testing.T, db *syncd.DB, supplier string) []string {
	t.Helper()
	var codes []string
	const q = `SELECT code FROM offers WHERE supplier = ? AND active AND removed_at IS NULL ORDER BY code`
	if err := db.Read.Select(&codes, q, supplier); err != nil {
		t.Fatal(err)
	}
	return codes
}

// Whatever goes wrong at the supplier, the stored catalog stays byte for
// byte as it was and the status says the supplier is failing.
func TestSimSyncFailureLeavesCatalogUntouched(t *testing.T) {
	tests := []struct {
		name string
		// breakIt stages the failure and returns the source to sync from.
		breakIt func(t *testing.T, s *simSupplier, db *syncd.DB) offers.Source
		want    error
		// fromSupplier: the error is the client's, which names the endpoint.
		fromSupplier bool
		// recovers: after ClearFaults the next sync succeeds and changes nothing.
		recovers bool
		// state is the supplier's after the failure: degraded (still
		// sold) unless it refused syncd's credentials.
		state string
	}{
		{
			name: "outage until cleared",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				s.fail(faultDown)
				return s.client(goodKey, okTimeout)
			},
			want: suppliers.ErrUnavailable, fromSupplier: true, recovers: true,
		},
		{
			name: "server gone",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				s.srv.Close()
				return s.client(goodKey, okTimeout)
			},
			want: suppliers.ErrUnavailable, fromSupplier: true,
		},
		{
			name: "html instead of json",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				s.fail(faultGarbage)
				return s.client(goodKey, okTimeout)
			},
			want: suppliers.ErrBadReply, fromSupplier: true,
		},
		{
			name: "truncated json",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				s.fail(faultTruncated)
				return s.client(goodKey, okTimeout)
			},
			want: suppliers.ErrBadReply, fromSupplier: true,
		},
		{
			name: "hang",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				s.fail(faultHang)
				return s.client(goodKey, hangTimeout)
			},
			want: suppliers.ErrUnavailable, fromSupplier: true,
		},
		{
			name: "wrong key",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				return s.client("wrong-key", okTimeout)
			},
			want: offers.ErrUnauthorized, fromSupplier: true, state: offers.StateUnauthorized,
		},
		{
			name: "shrunken catalog",
			breakIt: func(t *testing.T, s *simSupplier, db *syncd.DB) offers.Source {
				active := activeOffers(t, db, s.name)
				for _, code := range active[:len(active)/2+1] {
					if err := s.remove(code); err != nil {
						t.Fatal(err)
					}
				}
				return s.client(goodKey, okTimeout)
			},
			want: offers.ErrShrunkenCatalog,
		},
		{
			name: "empty catalog",
			breakIt: func(t *testing.T, s *simSupplier, _ *syncd.DB) offers.Source {
				for _, code := range s.codes {
					if err := s.remove(code); err != nil {
						t.Fatal(err)
					}
				}
				return s.client(goodKey, okTimeout)
			},
			want: offers.ErrEmptyCatalog,
		},
	}
	for _, sup := range simSuppliers {
		t.Run(sup.name, func(t *testing.T) {
			t.Parallel()
			// Every case starts from a copy of one successful sync of the
			// demo catalog.
			sim := sup.start(t)
			file, err := testenv.DBFile(func(ctx context.Context, db *syncd.DB) error {
				_, err := offers.NewSyncer(db, slog.New(slog.DiscardHandler)).Sync(ctx, sup.name, sim.client(goodKey, okTimeout))
				return err
			})
			if err != nil {
				t.Fatalf("first sync: %v", err)
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					s := sup.start(t)
					syncer, db := openSyncer(t, testenv.CopyDB(t, file))
					before := dump(t, db)
					activeBefore := len(activeOffers(t, db, sup.name))
					ctx := context.Background()

					res, syncErr := syncer.Sync(ctx, s.name, tt.breakIt(t, s, db))
					if !errors.Is(syncErr, tt.want) {
						t.Fatalf("got %v, want %v", syncErr, tt.want)
					}
					if res.Added+res.Changed+res.Removed != 0 {
						t.Errorf("failed sync reports writes: got %+v, want none", res)
					}
					if after := dump(t, db); after != before {
						t.Fatalf("catalog changed by a failed sync:\nbefore:\n%s\nafter:\n%s", before, after)
					}

					st, err := syncer.Status(ctx, s.name, staleAfter)
					if err != nil {
						t.Fatal(err)
					}
					wantState := cmp.Or(tt.state, offers.StateDegraded)
					if st.State != wantState || st.Sellable != (wantState == offers.StateDegraded) || st.LastSuccess == nil || st.ActiveOffers != activeBefore {
						t.Errorf("status: got state=%s sellable=%v last_success=%v active=%d, want %s, a last success and %d active",
							st.State, st.Sellable, st.LastSuccess, st.ActiveOffers, wantState, activeBefore)
					}
					// The status row is the supplier's; its error is the sync's
					// without the "sync <supplier>: " the caller gets.
					if st.Supplier != s.name || st.LastError == "" || !strings.HasSuffix(syncErr.Error(), ": "+st.LastError) {
						t.Errorf("status: got supplier=%s last_error=%q, want %s and the end of %q", st.Supplier, st.LastError, s.name, syncErr)
					}
					// A client's error names the supplier and the endpoint that failed.
					if tt.fromSupplier && !strings.Contains(st.LastError, s.errPrefix) {
						t.Errorf("last_error: got %q, want it to name the endpoint (%q)", st.LastError, s.errPrefix)
					}

					if !tt.recovers {
						return
					}
					s.clear()
					res, err = syncer.Sync(ctx, s.name, s.client(goodKey, okTimeout))
					if err != nil {
						t.Fatalf("sync after the fault cleared: %v", err)
					}
					if res.Added+res.Changed+res.Removed != 0 {
						t.Errorf("sync after the fault cleared: got %+v, want no writes", res)
					}
					if st, _ := syncer.Status(ctx, s.name, staleAfter); st.State != "ok" || st.LastError != "" {
						t.Errorf("status after recovery: got state=%s error=%q, want ok and no error", st.State, st.LastError)
					}
				})
			}
		})
	}
}

// A first sync stores the whole demo catalog; a re-sync stores exactly what
// was steered in the simulator, and one through a transient failure of a
// read stores nothing new.
func TestSimSyncAppliesSteeredChanges(t *testing.T) {
	for _, sup := range simSuppliers {
		t.Run(sup.name, func(t *testing.T) {
			t.Parallel()
			s := sup.start(t)
			syncer, db := newSyncer(t)
			ctx := context.Background()
			src := s.client(goodKey, okTimeout)

			res, err := syncer.Sync(ctx, s.name, src)
			if err != nil {
				t.Fatal(err)
			}
			n := len(s.codes)
			if res.Seen != n || res.Added != n || res.Changed != 0 || res.Removed != 0 {
				t.Fatalf("first sync: got seen=%d added=%d changed=%d removed=%d, want %d/%d/0/0",
					res.Seen, res.Added, res.Changed, res.Removed, n, n)
			}
			if got := count(t, db, `SELECT count(*) FROM cost_history WHERE old_cost IS NULL`); got != n {
				t.Errorf("first-sighting history rows: got %d, want %d", got, n)
			}
			var stored []struct {
				Code string `db:"code"`
				Cost int64  `db:"cost"`
			}
			if err := db.Read.Select(&stored, `SELECT code, cost FROM offers WHERE supplier = ?`, s.name); err != nil {
				t.Fatal(err)
			}
			for _, o := range stored {
				if want, _ := s.price(o.Code); o.Cost != want {
					t.Errorf("offer %s cost: got %d, want the simulator's %d", o.Code, o.Cost, want)
				}
			}

			active := activeOffers(t, db, s.name)
			if len(active) < 10 {
				t.Fatalf("got %d active offers, want at least 10 to steer", len(active))
			}
			repriced, deactivated, removed := active[:3], active[3], active[4]
			oldCost := map[string]int64{}
			for _, code := range repriced {
				old, _ := s.price(code)
				oldCost[code] = old
				if err := s.setPrice(code, old+1000); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.setActive(deactivated, false); err != nil {
				t.Fatal(err)
			}
			if err := s.remove(removed); err != nil {
				t.Fatal(err)
			}

			res, err = syncer.Sync(ctx, s.name, src)
			if err != nil {
				t.Fatal(err)
			}
			if res.Seen != n-1 || res.Added != 0 || res.Changed != 4 || res.Removed != 1 {
				t.Fatalf("re-sync: got seen=%d added=%d changed=%d removed=%d, want %d/0/4/1",
					res.Seen, res.Added, res.Changed, res.Removed, n-1)
			}
			if len(res.CostChanged) != 5 {
				t.Errorf("offers to reprice: got %d, want 5", len(res.CostChanged))
			}

			var history []string
			const q = `SELECT o.code || ' ' || h.old_cost || ' -> ' || h.new_cost FROM cost_history h
					JOIN offers o ON o.id = h.offer_id WHERE h.old_cost IS NOT NULL ORDER BY o.code`
			if err := db.Read.Select(&history, q); err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, code := range repriced {
				want = append(want, fmt.Sprintf("%s %d -> %d", code, oldCost[code], oldCost[code]+1000))
			}
			slices.Sort(want)
			if !slices.Equal(history, want) {
				t.Errorf("cost history: got %q, want %q", history, want)
			}
			if got := count(t, db, `SELECT count(*) FROM offers WHERE code = ? AND NOT active AND removed_at IS NULL`, deactivated); got != 1 {
				t.Errorf("deactivated offer %s: got %d inactive rows, want 1", deactivated, got)
			}
			if got := count(t, db, `SELECT count(*) FROM offers WHERE code = ? AND removed_at IS NOT NULL`, removed); got != 1 {
				t.Errorf("removed offer %s: got %d rows marked removed, want 1", removed, got)
			}

			// The same catalog again writes nothing, though its first
			// listing fails once: a transient failure of a read is retried.
			before := dump(t, db)
			listed := s.requests(s.listPath)
			s.fail(faultListing500)
			res, err = syncer.Sync(ctx, s.name, src)
			if err != nil {
				t.Fatalf("got %v, want the failed listing retried", err)
			}
			if got := s.requests(s.listPath) - listed; got != 2 {
				t.Errorf("requests to %s: got %d, want 2 (one failure, one retry)", s.listPath, got)
			}
			if res.Added+res.Changed+res.Removed != 0 {
				t.Errorf("identical re-sync: got %+v, want no writes", res)
			}
			if after := dump(t, db); after != before {
				t.Errorf("identical re-sync changed the catalog:\nbefore:\n%s\nafter:\n%s", before, after)
			}

			st, err := syncer.Status(ctx, s.name, staleAfter)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != "ok" || st.LastError != "" || st.Offers != n || st.ActiveOffers != len(active)-2 {
				t.Errorf("status: got state=%s error=%q offers=%d active=%d, want ok, no error, %d offers, %d active",
					st.State, st.LastError, st.Offers, st.ActiveOffers, n, len(active)-2)
			}
		})
	}
}
