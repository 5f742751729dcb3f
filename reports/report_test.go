package reports

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func sp(s string) *string { return &s }

// want are the fixture's figures, computed by hand from the orders in
// fixture(): A, B, D succeeded (B after a fallback, D settled by an
// operator), E and F failed (F settled by an operator), C in attention,
// G in flight; H and I outside the period.
var (
	wantTotals = Figures{Orders: 7, Succeeded: 3, Failed: 2, Attention: 1, Open: 1, SuccessPercent: sp("60.00"),
		Revenue: 60_000, Cost: 53_500, Margin: 6_500, MarginPercent: sp("10.83"), // 6,500 ÷ 60,000
		SettledByOperator: 2, Fallbacks: 1, UnknownOutcomes: 3,
		// 4 s, 10.5 s, 2 h: nearest rank 2 of 3 and 3 of 3.
		TimeToSuccessP50: rp(10_500), TimeToSuccessP95: rp(7_200_000)}
	wantSeries = []SeriesRow{
		{Start: jakartaDay(1), Figures: Figures{Orders: 1, Succeeded: 1, SuccessPercent: sp("100.00"),
			Revenue: 20_000, Cost: 18_000, Margin: 2_000, MarginPercent: sp("10.00"), TimeToSuccessP50: rp(4_000), TimeToSuccessP95: rp(4_000)}},
		{Start: jakartaDay(2), Figures: Figures{Orders: 3, Succeeded: 2, Attention: 1, SuccessPercent: sp("100.00"),
			Revenue: 40_000, Cost: 35_500, Margin: 4_500, MarginPercent: sp("11.25"),
			SettledByOperator: 1, Fallbacks: 1, UnknownOutcomes: 2, TimeToSuccessP50: rp(10_500), TimeToSuccessP95: rp(7_200_000)}},
		{Start: jakartaDay(3), Figures: Figures{Orders: 3, Failed: 2, Open: 1, SuccessPercent: sp("0.00"),
			SettledByOperator: 1, UnknownOutcomes: 1}},
	}
	wantGames = []GameRow{
		{Game: "ml", Figures: Figures{Orders: 5, Succeeded: 2, Failed: 2, Open: 1, SuccessPercent: sp("50.00"),
			Revenue: 50_000, Cost: 44_500, Margin: 5_500, MarginPercent: sp("11.00"),
			SettledByOperator: 1, Fallbacks: 1, UnknownOutcomes: 1, TimeToSuccessP50: rp(4_000), TimeToSuccessP95: rp(10_500)}},
		{Game: "ff", Figures: Figures{Orders: 2, Succeeded: 1, Attention: 1, SuccessPercent: sp("100.00"),
			Revenue: 10_000, Cost: 9_000, Margin: 1_000, MarginPercent: sp("10.00"),
			SettledByOperator: 1, UnknownOutcomes: 2, TimeToSuccessP50: rp(7_200_000), TimeToSuccessP95: rp(7_200_000)}},
	}
	// E and F keep beta, the supplier that held them when they failed.
	wantSuppliers = []SupplierRow{
		{Supplier: "alpha", Figures: Figures{Orders: 4, Succeeded: 3, Open: 1, SuccessPercent: sp("100.00"),
			Revenue: 60_000, Cost: 53_500, Margin: 6_500, MarginPercent: sp("10.83"),
			SettledByOperator: 1, Fallbacks: 1, UnknownOutcomes: 1, TimeToSuccessP50: rp(10_500), TimeToSuccessP95: rp(7_200_000)}},
		{Supplier: "beta", Figures: Figures{Orders: 3, Failed: 2, Attention: 1, SuccessPercent: sp("0.00"),
			SettledByOperator: 1, UnknownOutcomes: 2}},
	}
	wantStorefronts = []StorefrontRow{
		{Storefront: "shop-a", Figures: Figures{Orders: 4, Succeeded: 2, Failed: 1, Open: 1, SuccessPercent: sp("66.67"),
			Revenue: 50_000, Cost: 44_500, Margin: 5_500, MarginPercent: sp("11.00"),
			Fallbacks: 1, TimeToSuccessP50: rp(4_000), TimeToSuccessP95: rp(10_500)}},
		{Storefront: "shop-b", Figures: Figures{Orders: 3, Succeeded: 1, Failed: 1, Attention: 1, SuccessPercent: sp("50.00"),
			Revenue: 10_000, Cost: 9_000, Margin: 1_000, MarginPercent: sp("10.00"),
			SettledByOperator: 2, UnknownOutcomes: 3, TimeToSuccessP50: rp(7_200_000), TimeToSuccessP95: rp(7_200_000)}},
	}
)

var jakarta = func() *time.Location {
	z, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		panic(err)
	}
	return z
}()

func jakartaDay(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, jakarta) }

func fixturePeriod(t *testing.T) Period {
	t.Helper()
	p, err := ParsePeriod("2026-12-01", "2026-12-03", "Asia/Jakarta", day1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOrderReportFixture holds the report to the hand-computed figures,
// read three ways: nothing folded into the roll-up (every order read from
// orders), everything folded, and folded half-way (the orders written
// after the fold read from orders, the rest from the roll-up).
func TestOrderReportFixture(t *testing.T) {
	ctx := context.Background()
	for _, foldAfter := range []int{-1, 9, 4} { // -1: never; 9: after all; 4: after A–D
		db := openDB(t)
		s := New(db)
		for i, o := range fixture() {
			if i == foldAfter {
				if _, err := s.Fold(ctx); err != nil {
					t.Fatal(err)
				}
			}
			o.write(t, db)
		}
		if foldAfter == 9 {
			// A, B, D, E, F, H and I are final; C and G are not.
			if n, err := s.Fold(ctx); err != nil || n != 7 {
				t.Fatalf("fold: got %d orders, %v; want the 7 final ones", n, err)
			}
		}
		r, err := s.Orders(ctx, fixturePeriod(t))
		if err != nil {
			t.Fatal(err)
		}
		checkFixtureReport(t, r)
	}
}

func checkFixtureReport(t *testing.T, r *OrderReport) {
	t.Helper()
	same := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
		}
	}
	same("totals", r.Totals, wantTotals)
	same("series", r.Series, wantSeries)
	same("games", r.Games, wantGames)
	same("suppliers", r.Suppliers, wantSuppliers)
	same("storefronts", r.Storefronts, wantStorefronts)
	wantPeriod := PeriodView{From: jakartaDay(1), To: jakartaDay(4), TimeZone: "Asia/Jakarta", Bucket: Day}
	if !r.Period.From.Equal(wantPeriod.From) || !r.Period.To.Equal(wantPeriod.To) || r.Period.TimeZone != wantPeriod.TimeZone || r.Period.Bucket != Day {
		t.Errorf("period: got %+v, want %+v", r.Period, wantPeriod)
	}
}
