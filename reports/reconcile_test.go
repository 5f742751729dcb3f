package reports

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// TestMarginsReconcile: over a generated month of orders, the report's
// margin is the sum of every successful order's own price − cost, and
// every table (series, games, suppliers, storefronts) sums to the totals,
// whether the orders are read from the roll-up or from orders.
func TestMarginsReconcile(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if _, err := (fill{orders: 3000, from: start, span: 30 * 24 * time.Hour, games: 5,
		suppliers: []string{"alpha", "beta"}, storefronts: []string{"shop-a", "shop-b"}, seed: 7}).write(ctx, db); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePeriod("2026-11-03", "2026-11-20", "Asia/Makassar", start)
	if err != nil {
		t.Fatal(err)
	}
	var perOrder struct {
		Orders, Succeeded, Revenue, Cost, Margin int64
	}
	if err := db.Read.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE status = 'success'),
		COALESCE(sum(price) FILTER (WHERE status = 'success'), 0), COALESCE(sum(cost) FILTER (WHERE status = 'success'), 0),
		COALESCE(sum(price - cost) FILTER (WHERE status = 'success'), 0)
		FROM orders WHERE created_at >= ? AND created_at < ?`, syncd.FormatTime(p.From), syncd.FormatTime(p.To)).
		Scan(&perOrder.Orders, &perOrder.Succeeded, &perOrder.Revenue, &perOrder.Cost, &perOrder.Margin); err != nil {
		t.Fatal(err)
	}
	s := New(db)
	var reports []*OrderReport
	for _, fold := range []bool{false, true} {
		if fold {
			if _, err := s.Fold(ctx); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Orders(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, r)
		tot := r.Totals
		if tot.Orders != perOrder.Orders || tot.Succeeded != perOrder.Succeeded || tot.Revenue != perOrder.Revenue ||
			tot.Cost != perOrder.Cost || tot.Margin != perOrder.Margin {
			t.Fatalf("folded %v: totals %+v; the orders one by one: %+v", fold, tot, perOrder)
		}
		if tot.Margin != tot.Revenue-tot.Cost {
			t.Fatalf("margin %d is not revenue %d − cost %d", tot.Margin, tot.Revenue, tot.Cost)
		}
		tables := map[string][]Figures{}
		for _, x := range r.Series {
			tables["series"] = append(tables["series"], x.Figures)
		}
		for _, x := range r.Games {
			tables["games"] = append(tables["games"], x.Figures)
		}
		for _, x := range r.Suppliers {
			tables["suppliers"] = append(tables["suppliers"], x.Figures)
		}
		for _, x := range r.Storefronts {
			tables["storefronts"] = append(tables["storefronts"], x.Figures)
		}
		for name, rows := range tables {
			var sum Figures
			for _, f := range rows {
				sum.Orders += f.Orders
				sum.Succeeded += f.Succeeded
				sum.Failed += f.Failed
				sum.Attention += f.Attention
				sum.Open += f.Open
				sum.Revenue += f.Revenue
				sum.Cost += f.Cost
				sum.Margin += f.Margin
				sum.SettledByOperator += f.SettledByOperator
				sum.Fallbacks += f.Fallbacks
				sum.UnknownOutcomes += f.UnknownOutcomes
			}
			want := tot
			want.SuccessPercent, want.MarginPercent, want.TimeToSuccessP50, want.TimeToSuccessP95 = nil, nil, nil, nil
			if sum != want {
				t.Errorf("folded %v: %s sum to %+v, totals are %+v", fold, name, sum, want)
			}
		}
	}
	if got, want := mustJSON(t, reports[1]), mustJSON(t, reports[0]); got != want {
		t.Errorf("the report from the roll-up differs from the one read from orders:\n%s\n%s", got, want)
	}
}

// TestFoldCountsEachOrderOnce: an order open when the roll-up was folded,
// final since, is counted once, as what it became, before and after the
// next fold; a second fold with nothing new changes nothing.
func TestFoldCountsEachOrderOnce(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	s := New(db)
	for _, o := range fixture() {
		o.write(t, db)
	}
	if _, err := s.Fold(ctx); err != nil {
		t.Fatal(err)
	}
	// G is delivered 90 seconds after intake.
	g := time.Date(2026, 12, 3, 16, 30, 0, 0, time.UTC)
	if _, err := db.Write.ExecContext(ctx, `UPDATE orders SET status = 'success', updated_at = ? WHERE id = 'G'`,
		syncd.FormatTime(g.Add(90*time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO order_events (order_id, at, kind, actor, detail)
		VALUES ('G', ?, 'status', 'syncd', '{"from":"processing","reason":"","to":"success"}')`, syncd.FormatTime(g.Add(90*time.Second))); err != nil {
		t.Fatal(err)
	}
	want := wantTotals
	want.Succeeded, want.Open, want.Revenue, want.Cost, want.Margin = 4, 0, 68_000, 60_500, 7_500
	want.SuccessPercent, want.MarginPercent = sp("66.67"), sp("11.03")
	want.TimeToSuccessP50, want.TimeToSuccessP95 = rp(10_500), rp(7_200_000) // 4 s, 10.5 s, 90 s, 2 h
	for _, step := range []string{"before the fold", "after it", "after another"} {
		if step != "before the fold" {
			if _, err := s.Fold(ctx); err != nil {
				t.Fatal(err)
			}
		}
		r, err := s.Orders(ctx, fixturePeriod(t))
		if err != nil {
			t.Fatal(err)
		}
		if got := mustJSON(t, r.Totals); got != mustJSON(t, want) {
			t.Errorf("%s: totals %s, want %s", step, got, mustJSON(t, want))
		}
	}
}

func TestPercentiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 17, 20, 100, 1001, 5000} {
		for _, spread := range []int64{3, 1_000_000} {
			xs := make([]int64, n)
			for i := range xs {
				xs[i] = rng.Int64N(spread)
			}
			sorted := slices.Sorted(slices.Values(xs))
			p50, p95 := percentiles(slices.Clone(xs))
			// Nearest rank: the smallest value with at least p% of the
			// values at or below it.
			for _, c := range []struct {
				p   int
				got int64
			}{{50, *p50}, {95, *p95}} {
				i := 0
				for 100*(i+1) < c.p*n {
					i++
				}
				if c.got != sorted[i] {
					t.Errorf("n=%d spread=%d p%d: got %d, want %d", n, spread, c.p, c.got, sorted[i])
				}
			}
		}
	}
	if a, b := percentiles(nil); a != nil || b != nil {
		t.Errorf("no sample: got %v %v, want nil", a, b)
	}
}

func TestStampNanos(t *testing.T) {
	for _, s := range []string{"2026-12-01T05:07:09.123456789Z", "1999-02-28T23:59:59.000000001Z", "2028-02-29T00:00:00.000000000Z",
		"2026-12-01T05:07:09Z", "2026-12-01T12:07:09.5+07:00"} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := stampNanos([]byte(s))
		if err != nil || got != want.UnixNano() {
			t.Errorf("%s: got %d, %v; want %d", s, got, err, want.UnixNano())
		}
	}
	if _, err := stampNanos([]byte("yesterday")); err == nil {
		t.Error("yesterday: got no error")
	}
}
