package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The tables a report exports as CSV, each with a header row named as the
// JSON members are, amounts as integers, rates as decimals, empty for
// null, times in RFC 3339 in the report's zone.
var (
	OrderTables     = []string{"totals", "series", "games", "suppliers", "storefronts"}
	ScorecardTables = []string{"scorecards", "rejections", "balances"}
)

var figureColumns = []string{"orders", "succeeded", "failed", "attention", "open", "success_percent",
	"revenue", "cost", "margin", "margin_percent", "settled_by_operator", "fallbacks", "unknown_outcomes",
	"time_to_success_p50_ms", "time_to_success_p95_ms"}

func (f Figures) cells() []string {
	return []string{itoa(f.Orders), itoa(f.Succeeded), itoa(f.Failed), itoa(f.Attention), itoa(f.Open), str(f.SuccessPercent),
		itoa(f.Revenue), itoa(f.Cost), itoa(f.Margin), str(f.MarginPercent), itoa(f.SettledByOperator), itoa(f.Fallbacks),
		itoa(f.UnknownOutcomes), iptr(f.TimeToSuccessP50), iptr(f.TimeToSuccessP95)}
}

// Table is one table of the report as CSV rows, header first.
func (r *OrderReport) Table(name string) ([][]string, error) {
	row := func(key ...string) []string { return key }
	var out [][]string
	switch name {
	case "totals":
		out = append(out, append(row("from", "to"), figureColumns...),
			append(row(stamp(r.Period.From), stamp(r.Period.To)), r.Totals.cells()...))
	case "series":
		out = append(out, append(row("start"), figureColumns...))
		for _, x := range r.Series {
			out = append(out, append(row(stamp(x.Start)), x.cells()...))
		}
	case "games":
		out = append(out, append(row("game"), figureColumns...))
		for _, x := range r.Games {
			out = append(out, append(row(text(x.Game)), x.cells()...))
		}
	case "suppliers":
		out = append(out, append(row("supplier"), figureColumns...))
		for _, x := range r.Suppliers {
			out = append(out, append(row(text(x.Supplier)), x.cells()...))
		}
	case "storefronts":
		out = append(out, append(row("storefront"), figureColumns...))
		for _, x := range r.Storefronts {
			out = append(out, append(row(text(x.Storefront)), x.cells()...))
		}
	default:
		return nil, unknownTable(name, OrderTables)
	}
	return out, nil
}

// Table is one table of the scorecards as CSV rows, header first:
// scorecards (one row a supplier, the balance as its summary), rejections
// (one row a supplier and reason) or balances (one row a supplier and
// bucket with reads).
func (s *Scorecards) Table(name string) ([][]string, error) {
	var out [][]string
	switch name {
	case "scorecards":
		out = append(out, []string{"supplier", "sent", "taken", "rejected", "unresolved", "acceptance_percent",
			"delivered", "not_delivered", "delivery_percent", "unknown_outcomes", "unknown_outcome_percent",
			"time_to_final_p50_ms", "time_to_final_p95_ms", "routed", "contested", "won_on_price", "won_on_price_percent",
			"balance_estimate", "balance_reads", "balance_first", "balance_last", "balance_change"})
		for _, c := range s.Suppliers {
			out = append(out, []string{text(c.Supplier), itoa(c.Sent), itoa(c.Taken), itoa(c.Rejected), itoa(c.Unresolved),
				str(c.AcceptancePercent), itoa(c.Delivered), itoa(c.NotDelivered), str(c.DeliveryPercent),
				itoa(c.UnknownOutcomes), str(c.UnknownOutcomePercent), iptr(c.TimeToFinalP50), iptr(c.TimeToFinalP95),
				itoa(c.Routed), itoa(c.Contested), itoa(c.WonOnPrice), str(c.WonOnPricePercent),
				iptr(c.Balance.Estimate), itoa(c.Balance.Reads), iptr(c.Balance.First), iptr(c.Balance.Last), iptr(c.Balance.Change)})
		}
	case "rejections":
		out = append(out, []string{"supplier", "reason", "count", "last_at"})
		for _, c := range s.Suppliers {
			for _, r := range c.Rejections {
				out = append(out, []string{text(c.Supplier), text(r.Reason), itoa(r.Count), r.LastAt.UTC().Format(time.RFC3339Nano)})
			}
		}
	case "balances":
		out = append(out, []string{"supplier", "start", "last", "low"})
		for _, c := range s.Suppliers {
			for _, p := range c.Balance.Points {
				out = append(out, []string{text(c.Supplier), stamp(p.Start), itoa(p.Last), itoa(p.Low)})
			}
		}
	default:
		return nil, unknownTable(name, ScorecardTables)
	}
	return out, nil
}

// WriteCSV writes rows as RFC 4180 CSV.
func WriteCSV(w io.Writer, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func unknownTable(name string, tables []string) error {
	return invalid(map[string]string{"table": fmt.Sprintf("no table %q: want one of %s", clip(name), strings.Join(tables, ", "))})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func iptr(n *int64) string {
	if n == nil {
		return ""
	}
	return itoa(*n)
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func stamp(t time.Time) string { return t.Format(time.RFC3339) }

// text is a cell of text from outside (a storefront's token name, a
// supplier's words): one that a spreadsheet would read as a formula
// starts with an apostrophe, which spreadsheets show as text.
func text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
