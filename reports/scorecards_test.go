package reports

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// readBalance records a balance read as orders.RecordBalanceRead does,
// or a failed read as RecordBalance does when errText is set.
func readBalance(t *testing.T, db *syncd.DB, supplier string, read, estimate int64, at time.Time, errText string) {
	t.Helper()
	q := `INSERT INTO supplier_balances (supplier, balance, read_balance, error, checked_at) VALUES (?, ?, ?, '', ?)
		ON CONFLICT (supplier) DO UPDATE SET balance = excluded.balance, read_balance = excluded.read_balance,
			error = '', checked_at = excluded.checked_at`
	args := []any{supplier, estimate, read, syncd.FormatTime(at)}
	if errText != "" {
		q = `INSERT INTO supplier_balances (supplier, balance, error, checked_at) VALUES (?, NULL, ?, ?)
			ON CONFLICT (supplier) DO UPDATE SET error = excluded.error, checked_at = excluded.checked_at`
		args = []any{supplier, errText, syncd.FormatTime(at)}
	}
	if _, err := db.Write.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

// TestScorecardsFixture holds the scorecards to figures computed by hand
// from fixture(): the attempts created in the period (A to G's), their
// routing decisions and alpha's balance reads.
func TestScorecardsFixture(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	for _, o := range fixture() {
		o.write(t, db)
	}
	h := func(d, hour int) time.Time { return time.Date(2026, 12, d, hour, 0, 0, 0, time.UTC) }
	readBalance(t, db, "alpha", 1_000_000, 1_000_000, h(1, 1), "")  // 1 Dec 08:00 in Jakarta
	readBalance(t, db, "alpha", 900_000, 900_000, h(1, 10), "")     // 1 Dec 17:00
	readBalance(t, db, "alpha", 2_000_000, 2_000_000, h(2, 3), "")  // topped up
	readBalance(t, db, "alpha", 0, 0, h(2, 4), "balance: timeout")  // a failed read is no read
	readBalance(t, db, "alpha", 1_500_000, 1_480_000, h(3, 5), "")  // 3 Dec
	readBalance(t, db, "alpha", 1_400_000, 1_350_000, h(3, 17), "") // 4 Dec in Jakarta: after the period
	r, err := New(db).Scorecards(ctx, fixturePeriod(t), []string{"alpha", "beta", "gamma"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Suppliers) != 3 {
		t.Fatalf("got %d scorecards, want alpha's, beta's and gamma's", len(r.Suppliers))
	}
	alpha, beta, gamma := r.Suppliers[0], r.Suppliers[1], r.Suppliers[2]
	// alpha: A, B's second attempt and D delivered (4 s, 10.5 s, 2 h;
	// D's send unknown, then settled), G in flight. Routing: A won
	// against beta; B's first attempt and C went to beta with alpha
	// viable too.
	want := Scorecard{Supplier: "alpha", Sent: 4, Taken: 4, AcceptancePercent: sp("100.00"),
		Delivered: 3, DeliveryPercent: sp("100.00"), UnknownOutcomes: 1, UnknownOutcomePercent: sp("25.00"),
		TimeToFinalP50: rp(10_500), TimeToFinalP95: rp(7_200_000),
		Routed: 4, Contested: 3, WonOnPrice: 1, WonOnPricePercent: sp("33.33"), Rejections: []Rejection{},
		Balance: BalanceTrend{Estimate: rp(1_350_000), Reads: 4, First: rp(1_000_000), Last: rp(1_500_000), Change: rp(500_000),
			Points: []BalancePoint{{jakartaDay(1), 900_000, 900_000}, {jakartaDay(2), 2_000_000, 2_000_000}, {jakartaDay(3), 1_500_000, 1_500_000}}}}
	if got, w := mustJSON(t, alpha), mustJSON(t, want); got != w {
		t.Errorf("alpha:\ngot  %s\nwant %s", got, w)
	}
	// beta: B's first attempt refused, C unknown still, E and F not
	// delivered (40 s; 3 h, settled, after an unknown send).
	want = Scorecard{Supplier: "beta", Sent: 4, Taken: 2, Rejected: 1, Unresolved: 1, AcceptancePercent: sp("50.00"),
		NotDelivered: 2, DeliveryPercent: sp("0.00"), UnknownOutcomes: 2, UnknownOutcomePercent: sp("50.00"),
		TimeToFinalP50: rp(40_000), TimeToFinalP95: rp(10_800_000),
		Routed: 4, Contested: 3, WonOnPrice: 2, WonOnPricePercent: sp("66.67"),
		Rejections: []Rejection{{Reason: "Produk sedang gangguan", Count: 1, LastAt: time.Date(2026, 12, 1, 20, 0, 10, 500_000_000, time.UTC)}},
		Balance:    BalanceTrend{Points: []BalancePoint{}}}
	if got, w := mustJSON(t, beta), mustJSON(t, want); got != w {
		t.Errorf("beta:\ngot  %s\nwant %s", got, w)
	}
	want = Scorecard{Supplier: "gamma", Rejections: []Rejection{}, Balance: BalanceTrend{Points: []BalancePoint{}}}
	if got, w := mustJSON(t, gamma), mustJSON(t, want); got != w {
		t.Errorf("gamma, which was sent nothing:\ngot  %s\nwant %s", got, w)
	}
}

// TestBalanceReadsKeptNinetyDays: the trigger that keeps balance reads
// drops a supplier's reads older than 90 days as new ones come.
func TestBalanceReadsKeptNinetyDays(t *testing.T) {
	db := openDB(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	readBalance(t, db, "alpha", 1, 1, t0, "")
	readBalance(t, db, "beta", 1, 1, t0, "")
	readBalance(t, db, "alpha", 2, 2, t0.Add(89*24*time.Hour), "")
	readBalance(t, db, "alpha", 3, 3, t0.Add(91*24*time.Hour), "")
	var got []int64
	if err := db.Read.Select(&got, `SELECT balance FROM balance_reads ORDER BY supplier, at`); err != nil {
		t.Fatal(err)
	}
	if want := []int64{2, 3, 1}; mustJSON(t, got) != mustJSON(t, want) {
		t.Fatalf("reads kept (alpha's, then beta's): got %v, want %v", got, want)
	}
}

// TestViableCandidates: the scan of route events agrees with
// encoding/json on what orders writes, and on what it might.
func TestViableCandidates(t *testing.T) {
	for _, detail := range []string{
		`{"candidates":[{"offer":1,"supplier":"alpha","cost":10,"min_price":"10","verdict":"tried"},{"offer":2,"supplier":"beta","cost":12,"min_price":"12","verdict":"spare"}],"why":""}`,
		`{"candidates":[{"offer":1,"supplier":"alpha","cost":10,"verdict":"skipped","why":"tried before for this order (rejected)"},{"offer":2,"supplier":"beta","cost":12,"verdict":"tried"}],"why":""}`,
		`{"candidates":[{"offer":1,"supplier":"alpha","cost":10,"verdict":"tried"},{"offer":3,"supplier":"alpha","cost":11,"verdict":"spare"}],"why":""}`,
		`{"candidates":null,"why":"the item is no longer in the catalog"}`,
		`{"candidates":[],"why":"the item has no offers"}`,
		`{"candidates":[{"offer":1,"supplier":"al\"pha","verdict":"tried"},{"supplier":"beta","verdict":"spare"}],"why":"a \"verdict\":\"spare\" in a reason"}`,
		`{"candidates": [{"supplier": "alpha", "verdict": "tried"}, {"verdict": "spare", "supplier": "beta"}]}`,
		`{"why":"x \"supplier\":\"gamma\"","candidates":[{"verdict":"spare","supplier":"beta"},{"supplier":"alpha","verdict":"tried"}]}`,
	} {
		var d struct {
			Candidates []struct{ Supplier, Verdict string }
		}
		if err := json.Unmarshal([]byte(detail), &d); err != nil {
			t.Fatal(err)
		}
		var want []string
		wantTried := ""
		for _, c := range d.Candidates {
			if c.Verdict == "tried" || c.Verdict == "spare" {
				if !slices.Contains(want, c.Supplier) {
					want = append(want, c.Supplier)
				}
				if c.Verdict == "tried" {
					wantTried = c.Supplier
				}
			}
		}
		got, tried, err := viableCandidates([]byte(detail), nil)
		if err != nil || tried != wantTried || !slices.Equal(got, want) {
			t.Errorf("%s:\ngot %q tried %q (%v), want %q tried %q", detail, got, tried, err, want, wantTried)
		}
	}
}
