package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/fault"
)

// parseCSV writes rows as the API sends them and reads them back.
func parseCSV(t *testing.T, rows [][]string) [][]string {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rows); err != nil {
		t.Fatal(err)
	}
	back, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, buf.String())
	}
	return back
}

// cellInt and cellPtr read a CSV cell back into what the JSON has.
func cellInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("cell %q is not an integer", s)
	}
	return n
}

func cellPtr(t *testing.T, s string) *int64 {
	if s == "" {
		return nil
	}
	n := cellInt(t, s)
	return &n
}

func cellStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// figuresOf reads the figure columns of a CSV row, by header name.
func figuresOf(t *testing.T, col map[string]string) Figures {
	return Figures{Orders: cellInt(t, col["orders"]), Succeeded: cellInt(t, col["succeeded"]), Failed: cellInt(t, col["failed"]),
		Attention: cellInt(t, col["attention"]), Open: cellInt(t, col["open"]), SuccessPercent: cellStr(col["success_percent"]),
		Revenue: cellInt(t, col["revenue"]), Cost: cellInt(t, col["cost"]), Margin: cellInt(t, col["margin"]),
		MarginPercent: cellStr(col["margin_percent"]), SettledByOperator: cellInt(t, col["settled_by_operator"]),
		Fallbacks: cellInt(t, col["fallbacks"]), UnknownOutcomes: cellInt(t, col["unknown_outcomes"]),
		TimeToSuccessP50: cellPtr(t, col["time_to_success_p50_ms"]), TimeToSuccessP95: cellPtr(t, col["time_to_success_p95_ms"])}
}

// records are a parsed table's rows as column → cell.
func records(t *testing.T, rows [][]string) []map[string]string {
	t.Helper()
	if len(rows) == 0 {
		t.Fatal("no header row")
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestOrderReportCSVRoundTrip: every table of the fixture's report, as
// CSV and parsed back, holds the figures of the report's JSON, row by row.
func TestOrderReportCSVRoundTrip(t *testing.T) {
	db := openDB(t)
	for _, o := range fixture() {
		o.write(t, db)
	}
	r, err := New(db).Orders(context.Background(), fixturePeriod(t))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		key string
		f   Figures
	}
	want := map[string][]row{"totals": {{stamp(r.Period.From), r.Totals}}}
	for _, x := range r.Series {
		want["series"] = append(want["series"], row{stamp(x.Start), x.Figures})
	}
	for _, x := range r.Games {
		want["games"] = append(want["games"], row{x.Game, x.Figures})
	}
	for _, x := range r.Suppliers {
		want["suppliers"] = append(want["suppliers"], row{x.Supplier, x.Figures})
	}
	for _, x := range r.Storefronts {
		want["storefronts"] = append(want["storefronts"], row{x.Storefront, x.Figures})
	}
	keyCol := map[string]string{"totals": "from", "series": "start", "games": "game", "suppliers": "supplier", "storefronts": "storefront"}
	for _, name := range OrderTables {
		rows, err := r.Table(name)
		if err != nil {
			t.Fatal(err)
		}
		got := records(t, parseCSV(t, rows))
		if len(got) != len(want[name]) {
			t.Fatalf("%s: %d rows, want %d", name, len(got), len(want[name]))
		}
		for i, g := range got {
			w := want[name][i]
			if g[keyCol[name]] != w.key {
				t.Errorf("%s row %d: %s %q, want %q", name, i, keyCol[name], g[keyCol[name]], w.key)
			}
			if f := figuresOf(t, g); !reflect.DeepEqual(f, w.f) {
				t.Errorf("%s row %d: from the CSV %s, in the JSON %s", name, i, mustJSON(t, f), mustJSON(t, w.f))
			}
		}
	}
	if _, err := r.Table("nope"); fault.FieldsOf(err)["table"] == "" {
		t.Errorf("an unknown table: got %v, want a validation error", err)
	}
}

// TestScorecardsCSVRoundTrip: the scorecards' three tables parse back to
// the JSON's figures.
func TestScorecardsCSVRoundTrip(t *testing.T) {
	db := openDB(t)
	for _, o := range fixture() {
		o.write(t, db)
	}
	readBalance(t, db, "alpha", 1_000_000, 990_000, time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), "")
	s, err := New(db).Scorecards(context.Background(), fixturePeriod(t), []string{"alpha", "beta"})
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string][]map[string]string{}
	for _, name := range ScorecardTables {
		rows, err := s.Table(name)
		if err != nil {
			t.Fatal(err)
		}
		tables[name] = records(t, parseCSV(t, rows))
	}
	var rejections, points int
	for i, c := range s.Suppliers {
		g := tables["scorecards"][i]
		back := Scorecard{Supplier: g["supplier"], Sent: cellInt(t, g["sent"]), Taken: cellInt(t, g["taken"]),
			Rejected: cellInt(t, g["rejected"]), Unresolved: cellInt(t, g["unresolved"]), AcceptancePercent: cellStr(g["acceptance_percent"]),
			Delivered: cellInt(t, g["delivered"]), NotDelivered: cellInt(t, g["not_delivered"]), DeliveryPercent: cellStr(g["delivery_percent"]),
			UnknownOutcomes: cellInt(t, g["unknown_outcomes"]), UnknownOutcomePercent: cellStr(g["unknown_outcome_percent"]),
			TimeToFinalP50: cellPtr(t, g["time_to_final_p50_ms"]), TimeToFinalP95: cellPtr(t, g["time_to_final_p95_ms"]),
			Routed: cellInt(t, g["routed"]), Contested: cellInt(t, g["contested"]), WonOnPrice: cellInt(t, g["won_on_price"]),
			WonOnPricePercent: cellStr(g["won_on_price_percent"]), Rejections: c.Rejections,
			Balance: BalanceTrend{Estimate: cellPtr(t, g["balance_estimate"]), Reads: cellInt(t, g["balance_reads"]),
				First: cellPtr(t, g["balance_first"]), Last: cellPtr(t, g["balance_last"]), Change: cellPtr(t, g["balance_change"]),
				Points: c.Balance.Points}}
		if mustJSON(t, back) != mustJSON(t, c) {
			t.Errorf("scorecard %s: from the CSV %s, in the JSON %s", c.Supplier, mustJSON(t, back), mustJSON(t, c))
		}
		for _, r := range c.Rejections {
			g := tables["rejections"][rejections]
			rejections++
			at, err := time.Parse(time.RFC3339Nano, g["last_at"])
			if g["supplier"] != c.Supplier || g["reason"] != r.Reason || cellInt(t, g["count"]) != r.Count || err != nil || !at.Equal(r.LastAt) {
				t.Errorf("rejection %v, want %s %+v", g, c.Supplier, r)
			}
		}
		for _, p := range c.Balance.Points {
			g := tables["balances"][points]
			points++
			if g["supplier"] != c.Supplier || g["start"] != stamp(p.Start) || cellInt(t, g["last"]) != p.Last || cellInt(t, g["low"]) != p.Low {
				t.Errorf("balance point %v, want %s %+v", g, c.Supplier, p)
			}
		}
	}
	if rejections != len(tables["rejections"]) || points != len(tables["balances"]) || rejections == 0 || points == 0 {
		t.Errorf("rejections %d of %d rows, balance points %d of %d rows; want all, and some", rejections,
			len(tables["rejections"]), points, len(tables["balances"]))
	}
}

func TestCSVTextCellsAreNotFormulas(t *testing.T) {
	for in, want := range map[string]string{"=1+2": "'=1+2", "@SUM(A1)": "'@SUM(A1)", "-3": "'-3", "shop-a": "shop-a", "": ""} {
		if got := text(in); got != want {
			t.Errorf("text(%q): got %q, want %q", in, got, want)
		}
	}
}
