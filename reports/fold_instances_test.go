package reports

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

// openTwice opens one new PostgreSQL database twice, as two instances
// would: two pools, two Stores.
func openTwice(t *testing.T) (*syncd.DB, *syncd.DB) {
	t.Helper()
	dsn := dbtest.NewSchema(t, dbtest.PostgresURL(t))
	var dbs [2]*syncd.DB
	for i := range dbs {
		db, err := syncd.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// processingOrders writes n orders still processing, created in the
// fixture's period, and returns their ids.
func processingOrders(t *testing.T, db *syncd.DB, n int) []string {
	t.Helper()
	start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	// Every order of a fill's last five minutes is still processing.
	if _, err := (fill{orders: n, from: start, span: 4 * time.Minute, games: 3, suppliers: []string{"alpha", "beta"},
		storefronts: []string{"shop-a"}, seed: 11}).write(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("ord_%016d", i)
	}
	return ids
}

// finalTx makes order id a success as the orders package does: the order
// moved, then the final-events barrier held shared, then the status
// event, in one transaction, left open for the caller to commit.
func finalTx(db *syncd.DB, id string) (*sqlx.Tx, error) {
	ctx := context.Background()
	tx, err := db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	at := syncd.FormatTime(time.Date(2026, 12, 2, 3, 10, 0, 0, time.UTC))
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'success', updated_at = ? WHERE id = ? AND status = 'processing'`, at, id); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := syncd.LockTxShared(ctx, tx, syncd.FinalEventsKey); err != nil {
		tx.Rollback()
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, at, kind, actor, detail)
		VALUES (?, ?, 'status', 'syncd', '{"from":"processing","to":"success"}')`, id, at); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

// succeeded is the report's count of successful orders over the fill's
// day, and the orders' own.
func succeeded(t *testing.T, s *Store, db *syncd.DB) (report, orders int64) {
	t.Helper()
	ctx := context.Background()
	p, err := ParsePeriod("2026-12-02", "2026-12-03", "UTC", time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Orders(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Read.GetContext(ctx, &orders, `SELECT count(*) FROM orders WHERE status = 'success'`); err != nil {
		t.Fatal(err)
	}
	return r.Totals.Succeeded, orders
}

// TestFoldWaitsForFinalEventsInFlight: on PostgreSQL a final event can
// commit after one with a higher id. A fold that read the last id then
// would move its mark past the first and never count that order; it
// waits for the transaction instead, and counts both.
func TestFoldWaitsForFinalEventsInFlight(t *testing.T) {
	ctx := context.Background()
	db, other := openTwice(t)
	ids := processingOrders(t, db, 2)
	s := New(db)

	first, err := finalTx(other, ids[0]) // the lower id, still open
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { first.Rollback() }) // if the test fails with it open
	second, err := finalTx(db, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Commit(); err != nil {
		t.Fatal(err)
	}
	folded := make(chan error, 1)
	go func() {
		_, err := s.Fold(ctx)
		folded <- err
	}()
	// The fold waits on the barrier (an advisory lock not granted)
	// until the first transaction commits.
	for {
		var waiting int
		if err := other.Read.GetContext(ctx, &waiting, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case err := <-folded:
			t.Fatalf("the fold ended (%v) while a final event below the last id was not committed", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	if err := first.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-folded; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Fold(ctx); err != nil {
		t.Fatal(err)
	}
	if report, orders := succeeded(t, s, db); report != 2 || orders != 2 {
		t.Fatalf("report counts %d successful orders, orders has %d; want 2 and 2", report, orders)
	}
}

// TestFoldOnTwoInstances: two instances fold while orders become final
// in transactions that interleave; every order is counted once.
func TestFoldOnTwoInstances(t *testing.T) {
	ctx := context.Background()
	db1, db2 := openTwice(t)
	const n = 200
	ids := processingOrders(t, db1, n)
	stores := []*Store{New(db1), New(db2)}

	done := make(chan struct{})
	var folders sync.WaitGroup
	errs := make(chan error, 2)
	for _, s := range stores {
		folders.Add(1)
		go func() {
			defer folders.Done()
			for {
				if _, err := s.Fold(ctx); err != nil {
					errs <- err
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		}()
	}
	// Four writers, each holding its transaction open a moment after
	// the event's insert, so ids commit out of order. (One transaction
	// at a time each, as orders has: a writer that opened a second while
	// holding the barrier shared would queue behind a fold's exclusive
	// request, which waits for its first.)
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			db := []*syncd.DB{db1, db2}[w%2]
			for i := w; i < n; i += 4 {
				tx, err := finalTx(db, ids[i])
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(time.Duration(rng.IntN(2000)) * time.Microsecond)
				if err := tx.Commit(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	writers.Wait()
	close(done)
	folders.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range stores {
		if _, err := s.Fold(ctx); err != nil {
			t.Fatal(err)
		}
	}
	report, orders := succeeded(t, stores[1], db2)
	if orders != n || report != n {
		t.Fatalf("report counts %d successful orders, orders has %d; want %d and %d", report, orders, n, n)
	}
	var folded int64
	if err := db1.Read.GetContext(ctx, &folded, `SELECT COALESCE(sum(succeeded), 0) FROM report_hours WHERE dim = 'all'`); err != nil {
		t.Fatal(err)
	}
	if folded != n {
		t.Fatalf("the roll-up counts %d successful orders, want %d (every order folded once)", folded, n)
	}
}
