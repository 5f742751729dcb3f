package reports

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
)

// benchStart is where the benchmark's 30 days of orders begin.
var benchStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// benchDB is a database holding 1,000,000 orders over 30 days, made once
// per test binary: the orders, 1.03 M attempts and 5 M events in one
// transaction with prepared statements (about two minutes), then folded
// into the roll-up as syncd's background fold would have as they ended.
// SYNCD_REPORTS_BENCH_DB names a file to keep it in and reuse.
var benchDB = sync.OnceValues(func() (string, error) {
	path := os.Getenv("SYNCD_REPORTS_BENCH_DB")
	if path == "" {
		dir, err := os.MkdirTemp("", "syncd-reports-bench")
		if err != nil {
			return "", err
		}
		path = filepath.Join(dir, "syncd.db")
	} else if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	ctx := context.Background()
	db, err := syncd.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer db.Close()
	start := time.Now()
	n, err := fill{orders: 1_000_000, from: benchStart, span: 30 * 24 * time.Hour, games: 20,
		suppliers: []string{"alpha", "beta"}, storefronts: []string{"shop-a", "shop-b", "shop-c"}, seed: 1}.write(ctx, db)
	if err != nil {
		return "", err
	}
	filled := time.Since(start)
	start = time.Now()
	folded, err := New(db).Fold(ctx)
	if err != nil {
		return "", err
	}
	if _, err := db.Write.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "filled %d orders, %d attempts, %d events in %s; folded %d in %s; at %s\n",
		n.orders, n.attempts, n.events, filled.Round(time.Millisecond), folded, time.Since(start).Round(time.Millisecond), path)
	return path, nil
})

// BenchmarkOrderReport30Days is the target: the report of a
// 30-day period (by day, every game, supplier and storefront, exact
// percentiles) over 1,000,000 orders, from a database file on disk with a
// warm page cache (each iteration reopens nothing; the first run after
// the fill warms it).
//
//	go test ./reports -run '^$' -bench OrderReport30Days -benchtime 5x
func BenchmarkOrderReport30Days(b *testing.B) {
	path, err := benchDB()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := syncd.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := New(db)
	p, err := ParsePeriod(benchStart.Format(time.RFC3339), benchStart.Add(30*24*time.Hour).Format(time.RFC3339), "Asia/Jakarta", benchStart)
	if err != nil {
		b.Fatal(err)
	}
	var r *OrderReport
	for b.Loop() {
		if r, err = s.Orders(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	if r.Totals.Orders != 1_000_000 {
		b.Fatalf("report counted %d orders, want 1,000,000", r.Totals.Orders)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/report")
}

// BenchmarkScorecards7Days: both suppliers' scorecards over the last 7
// of the benchmark's 30 days (about 233,000 orders).
//
//	go test ./reports -run '^$' -bench Scorecards7Days -benchtime 3x
func BenchmarkScorecards7Days(b *testing.B) {
	path, err := benchDB()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := syncd.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := New(db)
	end := benchStart.Add(30 * 24 * time.Hour)
	p, err := ParsePeriod(end.Add(-7*24*time.Hour).Format(time.RFC3339), end.Format(time.RFC3339), "", end)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Scorecards(ctx, p, []string{"alpha", "beta"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/scorecards")
}
