package offers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

// sourceFunc adapts a function to Source. Tests of the diff use it to state
// a catalog exactly; the supplier simulators are exercised over HTTP in
// sync_sim_test.go.
type sourceFunc func(ctx context.Context) (*SupplierCatalog, error)

func (f sourceFunc) FetchCatalog(ctx context.Context) (*SupplierCatalog, error) { return f(ctx) }

func fixed(cat *SupplierCatalog) Source {
	return sourceFunc(func(context.Context) (*SupplierCatalog, error) { return cat, nil })
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestSyncer(t *testing.T, opts ...SyncerOption) (*Syncer, *syncd.DB, *clock) {
	t.Helper()
	db, err := syncd.Open(context.Background(), dbtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewSyncer(db, log, append([]SyncerOption{WithClock(c.now)}, opts...)...), db, c
}

// testCatalog has n active offers in one game, costs 1000, 1100, ...
func testCatalog(n int) *SupplierCatalog {
	cat := &SupplierCatalog{Games: []SupplierGame{{
		Code: "MLBB", Name: "Mobile Legends", Active: true,
		Form: []Field{{Key: "id", Label: "User ID", Type: "text"}},
	}}}
	for i := range n {
		cost := decimal.NewFromInt(int64(1000 + 100*i))
		cat.Offers = append(cat.Offers, Offer{
			Code: fmt.Sprintf("MLBB_%d", i), GameCode: "MLBB", Name: fmt.Sprintf("%d Diamonds", i+1),
			Cost: cost, CostRaw: cost.String(), Active: true,
		})
	}
	return cat
}

func clone(cat *SupplierCatalog) *SupplierCatalog {
	c := &SupplierCatalog{Games: append([]SupplierGame(nil), cat.Games...)}
	c.Offers = append(c.Offers, cat.Offers...)
	return c
}

// dump renders the stored catalog, to prove a failed sync changed nothing.
func dump(t *testing.T, db *syncd.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, supplier, code, game_code, name, cost, cost_raw, active, updated_at, coalesce(removed_at, '') FROM offers ORDER BY id`,
		`SELECT supplier, code, name, active, form, updated_at, coalesce(removed_at, '') FROM supplier_games ORDER BY code`,
		`SELECT id, offer_id, coalesce(old_cost, -1), new_cost, raw, at FROM cost_history ORDER BY id`,
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

func TestFirstSyncStoresEverything(t *testing.T) {
	s, db, _ := newTestSyncer(t)
	cat := testCatalog(5)
	// A fractional cost is stored rounded up; the raw text is kept.
	cat.Offers[0].Cost = decimal.RequireFromString("1864.50")
	cat.Offers[0].CostRaw = "1864.50"

	res, err := s.Sync(context.Background(), "senpay", fixed(cat))
	if err != nil {
		t.Fatal(err)
	}
	if res.Seen != 5 || res.Added != 5 || res.Changed != 0 || res.Removed != 0 {
		t.Fatalf("counts: got seen=%d added=%d changed=%d removed=%d, want 5/5/0/0", res.Seen, res.Added, res.Changed, res.Removed)
	}
	var cost int64
	var raw string
	if err := db.Read.QueryRow(`SELECT cost, cost_raw FROM offers WHERE code = 'MLBB_0'`).Scan(&cost, &raw); err != nil {
		t.Fatal(err)
	}
	if cost != 1865 || raw != "1864.50" {
		t.Fatalf("fractional cost: got %d (raw %q), want 1865 (raw \"1864.50\")", cost, raw)
	}
	if n := count(t, db, `SELECT count(*) FROM cost_history WHERE old_cost IS NULL`); n != 5 {
		t.Fatalf("first-sighting history rows: got %d, want 5", n)
	}
	var form string
	if err := db.Read.Get(&form, `SELECT form FROM supplier_games WHERE code = 'MLBB'`); err != nil {
		t.Fatal(err)
	}
	if want := `[{"key":"id","label":"User ID","type":"text"}]`; form != want {
		t.Fatalf("stored form: got %s, want %s", form, want)
	}
}

func TestResyncWritesOnlyChangedRows(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	cat := testCatalog(100)
	if _, err := s.Sync(ctx, "senpay", fixed(cat)); err != nil {
		t.Fatal(err)
	}
	first := syncd.FormatTime(clk.now())
	clk.advance(time.Minute)

	next := clone(cat)
	// Within the cost guard's limits: a move it holds is written again
	// when the next sync confirms it (TestSyncConfirmsHeldCost).
	next.Offers[3].Cost = decimal.NewFromInt(1999)
	next.Offers[3].CostRaw = "1999"
	next.Offers[7].Name = "8 Diamonds (renamed)"
	next.Offers[9].Active = false
	res, err := s.Sync(ctx, "senpay", fixed(next))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 3 || res.Added != 0 || res.Removed != 0 {
		t.Fatalf("counts: got added=%d changed=%d removed=%d, want 0/3/0", res.Added, res.Changed, res.Removed)
	}
	if n := count(t, db, `SELECT count(*) FROM offers WHERE updated_at != ?`, first); n != 3 {
		t.Fatalf("rows rewritten: got %d, want 3", n)
	}
	if n := count(t, db, `SELECT count(*) FROM cost_history WHERE old_cost IS NOT NULL`); n != 1 {
		t.Fatalf("cost changes recorded: got %d, want 1", n)
	}
	var old, cur int64
	if err := db.Read.QueryRow(`SELECT old_cost, new_cost FROM cost_history WHERE old_cost IS NOT NULL`).Scan(&old, &cur); err != nil {
		t.Fatal(err)
	}
	if old != 1300 || cur != 1999 {
		t.Fatalf("history: got %d -> %d, want 1300 -> 1999", old, cur)
	}
	// Renames do not reprice; cost and activity changes do.
	if len(res.CostChanged) != 2 {
		t.Fatalf("offers to reprice: got %d, want 2", len(res.CostChanged))
	}

	// The same catalog again writes nothing.
	clk.advance(time.Minute)
	res, err = s.Sync(ctx, "senpay", fixed(next))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed+res.Added+res.Removed != 0 {
		t.Fatalf("identical re-sync: got %+v, want no writes", res)
	}
}

func TestRemovedOfferIsMarkedNotDeleted(t *testing.T) {
	s, db, _ := newTestSyncer(t)
	ctx := context.Background()
	cat := testCatalog(10)
	if _, err := s.Sync(ctx, "isipay", fixed(cat)); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := db.Read.Get(&id, `SELECT id FROM offers WHERE code = 'MLBB_4'`); err != nil {
		t.Fatal(err)
	}
	less := clone(cat)
	less.Offers = append(less.Offers[:4], less.Offers[5:]...)
	res, err := s.Sync(ctx, "isipay", fixed(less))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 1 {
		t.Fatalf("removed: got %d, want 1", res.Removed)
	}
	if n := count(t, db, `SELECT count(*) FROM offers WHERE code = 'MLBB_4' AND removed_at IS NOT NULL`); n != 1 {
		t.Fatalf("removed offer rows marked: got %d, want 1", n)
	}
	// It comes back with its id, not a new row.
	if _, err := s.Sync(ctx, "isipay", fixed(cat)); err != nil {
		t.Fatal(err)
	}
	var back int64
	if err := db.Read.Get(&back, `SELECT id FROM offers WHERE code = 'MLBB_4' AND removed_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	if back != id {
		t.Fatalf("returning offer id: got %d, want %d", back, id)
	}
}

func TestFailedSyncLeavesCatalogUntouched(t *testing.T) {
	base := testCatalog(20)
	shrunk := clone(base)
	shrunk.Offers = shrunk.Offers[:9] // 11 of 20 gone: over half
	deactivated := clone(base)
	for i := range 15 {
		deactivated.Offers[i].Active = false
	}
	gameOff := clone(base)
	gameOff.Games[0].Active = false
	dup := clone(base)
	dup.Offers = append(dup.Offers, dup.Offers[0])
	negative := clone(base)
	negative.Offers[2].Cost = decimal.NewFromInt(-5)

	tests := []struct {
		name string
		src  Source
		want error
	}{
		{"outage", sourceFunc(func(context.Context) (*SupplierCatalog, error) {
			return nil, errors.New("connection refused")
		}), nil},
		{"empty", fixed(&SupplierCatalog{Games: base.Games}), ErrEmptyCatalog},
		{"nil", fixed(nil), ErrEmptyCatalog},
		{"shrunken", fixed(shrunk), ErrShrunkenCatalog},
		{"mass deactivation", fixed(deactivated), ErrShrunkenCatalog},
		{"game deactivated", fixed(gameOff), ErrShrunkenCatalog},
		{"duplicate code", fixed(dup), ErrInvalidCatalog},
		{"negative cost", fixed(negative), ErrInvalidCatalog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db, clk := newTestSyncer(t)
			ctx := context.Background()
			if _, err := s.Sync(ctx, "senpay", fixed(base)); err != nil {
				t.Fatal(err)
			}
			before := dump(t, db)
			clk.advance(time.Minute)

			res, err := s.Sync(ctx, "senpay", tt.src)
			if err == nil {
				t.Fatal("got no error, want the sync refused")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if res.Added+res.Changed+res.Removed != 0 {
				t.Fatalf("failed sync reports writes: %+v", res)
			}
			if after := dump(t, db); after != before {
				t.Fatalf("catalog changed by a failed sync:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			st, err := s.Status(ctx, "senpay", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if st.State != StateDegraded || !st.Sellable || st.LastError == "" || st.ActiveOffers != 20 {
				t.Fatalf("status: got state=%s sellable=%v error=%q active=%d, want degraded, sellable, with an error and 20 active offers",
					st.State, st.Sellable, st.LastError, st.ActiveOffers)
			}
		})
	}
}

func TestShrinkWithinLimitIsAccepted(t *testing.T) {
	s, _, _ := newTestSyncer(t, WithMaxShrink(0.5))
	ctx := context.Background()
	base := testCatalog(20)
	if _, err := s.Sync(ctx, "senpay", fixed(base)); err != nil {
		t.Fatal(err)
	}
	half := clone(base)
	half.Offers = half.Offers[:10] // exactly half gone: allowed
	res, err := s.Sync(ctx, "senpay", fixed(half))
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 10 {
		t.Fatalf("removed: got %d, want 10", res.Removed)
	}
}

func TestSyncsOfOneSupplierNeverOverlap(t *testing.T) {
	s, _, _ := newTestSyncer(t)
	ctx := context.Background()
	started, release := make(chan struct{}), make(chan struct{})
	slow := sourceFunc(func(context.Context) (*SupplierCatalog, error) {
		close(started)
		<-release
		return testCatalog(3), nil
	})
	done := make(chan error)
	go func() { _, err := s.Sync(ctx, "senpay", slow); done <- err }()
	<-started
	if _, err := s.Sync(ctx, "senpay", fixed(testCatalog(3))); !errors.Is(err, ErrSyncRunning) {
		t.Fatalf("overlapping sync: got %v, want ErrSyncRunning", err)
	}
	// Another supplier is not held up.
	if _, err := s.Sync(ctx, "isipay", fixed(testCatalog(3))); err != nil {
		t.Fatalf("other supplier: %v", err)
	}
	st, err := s.Status(ctx, "senpay", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Running {
		t.Fatal("status while syncing: got running=false, want true")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestStatusReportsStaleness(t *testing.T) {
	s, _, clk := newTestSyncer(t)
	ctx := context.Background()
	st, err := s.Status(ctx, "senpay", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "never_synced" || !st.Stale {
		t.Fatalf("before any sync: got state=%s stale=%v, want never_synced and stale", st.State, st.Stale)
	}
	if _, err := s.Sync(ctx, "senpay", fixed(testCatalog(4))); err != nil {
		t.Fatal(err)
	}
	st, _ = s.Status(ctx, "senpay", 15*time.Minute)
	if st.State != "ok" || st.Stale || st.Seen != 4 || st.Added != 4 {
		t.Fatalf("after sync: got %+v, want ok, fresh, 4 seen and added", st)
	}
	clk.advance(16 * time.Minute)
	st, _ = s.Status(ctx, "senpay", 15*time.Minute)
	if st.State != "stale" || !st.Stale || st.ActiveOffers != 4 {
		t.Fatalf("after 16 minutes: got state=%s stale=%v active=%d, want stale with offers kept", st.State, st.Stale, st.ActiveOffers)
	}
}

// TestWriteAfterConcurrentChangeRereads covers a webhook writing an offer
// between the sync's read (outside the write lock) and its write: the
// guarded write notices, and the locked retry diffs against the new row.
func TestWriteAfterConcurrentChangeRereads(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	base := testCatalog(5)
	if _, err := s.Sync(ctx, "senpay", fixed(base)); err != nil {
		t.Fatal(err)
	}
	state, err := loadStored(ctx, db.Read, "senpay")
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	// The "webhook": offer 2's cost moves to 5000 after the read.
	if _, err := db.Write.Exec(`UPDATE offers SET cost = 5000, cost_raw = '5000', updated_at = ? WHERE code = 'MLBB_2'`,
		syncd.FormatTime(clk.now())); err != nil {
		t.Fatal(err)
	}
	next := clone(base)
	next.Offers[2].Cost = decimal.NewFromInt(6000)
	next.Offers[2].CostRaw = "6000"
	offers, err := normalise(next)
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	res := SyncResult{Supplier: "senpay", Started: clk.now()}
	if err := s.write(ctx, "senpay", next.Games, offers, state, &res); !errors.Is(err, errConcurrentWrite) {
		t.Fatalf("write over a stale read: got %v, want errConcurrentWrite", err)
	}
	var cost int64
	if err := db.Read.Get(&cost, `SELECT cost FROM offers WHERE code = 'MLBB_2'`); err != nil {
		t.Fatal(err)
	}
	if cost != 5000 {
		t.Fatalf("after the refused write: got cost %d, want the webhook's 5000 kept", cost)
	}

	res = SyncResult{Supplier: "senpay", Started: clk.now()}
	if err := s.writeLocked(ctx, "senpay", next.Games, offers, map[string]bool{"MLBB": true}, &res); err != nil {
		t.Fatal(err)
	}
	var old, cur int64
	if err := db.Read.QueryRow(`SELECT old_cost, new_cost FROM cost_history WHERE old_cost IS NOT NULL ORDER BY id DESC LIMIT 1`).Scan(&old, &cur); err != nil {
		t.Fatal(err)
	}
	if old != 5000 || cur != 6000 || res.Changed != 1 {
		t.Fatalf("locked retry: got history %d -> %d, changed %d; want 5000 -> 6000, changed 1", old, cur, res.Changed)
	}
}

func TestPanickingSourceIsARecordedFailure(t *testing.T) {
	s, _, _ := newTestSyncer(t)
	ctx := context.Background()
	_, err := s.Sync(ctx, "senpay", sourceFunc(func(context.Context) (*SupplierCatalog, error) {
		panic("adapter bug")
	}))
	if err == nil || !strings.Contains(err.Error(), "adapter bug") {
		t.Fatalf("got %v, want the panic as an error", err)
	}
	st, err := s.Status(ctx, "senpay", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if st.LastAttempt == nil || !strings.Contains(st.LastError, "panic") || st.Running {
		t.Fatalf("status after a panic: got %+v, want a recorded failure, not running", st)
	}
}

// TestFirstSyncInBatches syncs more offers than two multi-row INSERTs
// carry: every offer is stored once, with its cost and its first-sighting
// history row, ids follow code order, and every id is reported to reprice.
func TestFirstSyncInBatches(t *testing.T) {
	s, db, _ := newTestSyncer(t)
	n := 2*batchRows + 7
	res, err := s.Sync(context.Background(), "senpay", fixed(testCatalog(n)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != n || len(res.CostChanged) != n {
		t.Fatalf("added %d, to reprice %d; want %d each", res.Added, len(res.CostChanged), n)
	}
	var rows []struct {
		ID      int64  `db:"id"`
		Code    string `db:"code"`
		Cost    int64  `db:"cost"`
		History int64  `db:"history"`
		Raw     string `db:"raw"`
	}
	if err := db.Read.Select(&rows, `SELECT o.id, o.code, o.cost, h.new_cost AS history, h.raw
		FROM offers o JOIN cost_history h ON h.offer_id = o.id AND h.old_cost IS NULL ORDER BY o.id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("offers with a first-sighting history row: got %d, want %d", len(rows), n)
	}
	want := map[string]int64{}
	for i := range n {
		want[fmt.Sprintf("MLBB_%d", i)] = int64(1000 + 100*i)
	}
	reported := map[int64]bool{}
	for _, id := range res.CostChanged {
		reported[id] = true
	}
	for i, r := range rows {
		if i > 0 && r.Code <= rows[i-1].Code {
			t.Fatalf("ids out of code order: %d is %s after %s", r.ID, r.Code, rows[i-1].Code)
		}
		if r.Cost != want[r.Code] || r.History != r.Cost || r.Raw != fmt.Sprint(r.Cost) || !reported[r.ID] {
			t.Fatalf("offer %s (id %d): cost %d, history %d (raw %q), reported %v; want cost %d in both, reported",
				r.Code, r.ID, r.Cost, r.History, r.Raw, reported[r.ID], want[r.Code])
		}
	}
	if c := count(t, db, `SELECT count(*) FROM cost_history`); c != n {
		t.Fatalf("history rows: got %d, want %d", c, n)
	}
}

// TestInsertAfterConcurrentInsertRereads covers an offer inserted by
// someone else between the sync's read and its write, in a later batch
// than the first: the whole write rolls back, and the locked retry
// inserts the rest and leaves that row as it is.
func TestInsertAfterConcurrentInsertRereads(t *testing.T) {
	s, db, clk := newTestSyncer(t)
	ctx := context.Background()
	cat := testCatalog(batchRows + 100)
	state, err := loadStored(ctx, db.Read, "senpay")
	if err != nil {
		t.Fatal(err)
	}
	at := syncd.FormatTime(clk.now())
	if _, err := db.Write.Exec(`INSERT INTO offers (supplier, code, game_code, name, cost, cost_raw, active, first_seen, updated_at)
		VALUES ('senpay', 'MLBB_99', 'MLBB', 'elsewhere', 7777, '7777', TRUE, ?, ?)`, at, at); err != nil {
		t.Fatal(err)
	}
	// MLBB_99 sorts last of the 600 codes: in the second batch, after the
	// first has been inserted.
	before := dump(t, db)
	offers, err := normalise(cat)
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Second)
	res := SyncResult{Supplier: "senpay", Started: clk.now()}
	if err := s.write(ctx, "senpay", cat.Games, offers, state, &res); !errors.Is(err, errConcurrentWrite) {
		t.Fatalf("insert over a stale read: got %v, want errConcurrentWrite", err)
	}
	if after := dump(t, db); after != before {
		t.Fatalf("the refused write changed the catalog:\nbefore\n%s\nafter\n%s", before, after)
	}

	res = SyncResult{Supplier: "senpay", Started: clk.now()}
	if err := s.writeLocked(ctx, "senpay", cat.Games, offers, map[string]bool{"MLBB": true}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Added != len(cat.Offers)-1 || res.Changed != 1 {
		t.Fatalf("locked retry: added %d, changed %d; want %d, 1", res.Added, res.Changed, len(cat.Offers)-1)
	}
	if c := count(t, db, `SELECT count(*) FROM offers WHERE supplier = 'senpay'`); c != len(cat.Offers) {
		t.Fatalf("offers: got %d, want %d", c, len(cat.Offers))
	}
}

// TestFencedSyncWritesNothing: a sync whose write the fence refuses (a
// deposed leader's) stores nothing and records no failure against the
// supplier; once the fence passes, the sync writes.
func TestFencedSyncWritesNothing(t *testing.T) {
	deposed := errors.New("deposed")
	var leads atomic.Bool
	s, db, _ := newTestSyncer(t, WithFence(func(ctx context.Context, tx sqlx.QueryerContext) error {
		var one int
		if err := sqlx.GetContext(ctx, tx, &one, `SELECT 1`); err != nil {
			return err // asked inside the write's transaction
		}
		if !leads.Load() {
			return deposed
		}
		return nil
	}))
	ctx := context.Background()
	_, err := s.Sync(ctx, "senpay", fixed(testCatalog(3)))
	if !errors.Is(err, ErrFenced) || !errors.Is(err, deposed) {
		t.Fatalf("deposed sync: got %v, want ErrFenced wrapping the fence's error", err)
	}
	if n := count(t, db, `SELECT count(*) FROM offers`); n != 0 {
		t.Fatalf("deposed sync stored %d offers, want none", n)
	}
	if n := count(t, db, `SELECT count(*) FROM sync_runs`); n != 0 {
		t.Fatalf("deposed sync recorded %d runs, want none", n)
	}
	leads.Store(true)
	if _, err := s.Sync(ctx, "senpay", fixed(testCatalog(3))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM offers`); n != 3 {
		t.Fatalf("leader's sync stored %d offers, want 3", n)
	}
}
