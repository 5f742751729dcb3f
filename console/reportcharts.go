package console

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/reports"
)

// The report's charts, drawn on the server like the price chart: SVG in
// user units that scales to its container, a title and description for
// screen readers, a title on every bar for a pointer, and the table of
// the same figures beneath each.

// barChart is revenue and margin side by side per bucket of the series.
type barChart struct {
	W, H                     int
	Left, Right, Top, Bottom int
	Zero                     int // the y of 0
	Bars                     []bar
	YTicks, XTicks           []tick
	Title, Description       string
	Empty                    bool
}

type bar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

type tick struct {
	At    int
	Label string
}

// revenueChart charts each bucket's revenue and margin.
func revenueChart(r *reports.OrderReport) barChart {
	const w, h, left, right, top, bottom = 640, 240, 112, 8, 12, 36
	ch := barChart{W: w, H: h, Left: left, Right: w - right, Top: top, Bottom: h - bottom,
		Title: "Revenue and margin by " + string(r.Period.Bucket)}
	hi, lo := int64(0), int64(0)
	for _, s := range r.Series {
		hi = max(hi, s.Revenue, s.Margin)
		lo = min(lo, s.Margin)
	}
	if hi == lo {
		ch.Empty = true
		ch.Description = "No revenue in the period."
		return ch
	}
	span := float64(hi - lo)
	y := func(v int64) int { return top + int(float64(h-top-bottom)*float64(hi-v)/span) }
	ch.Zero = y(0)
	n := len(r.Series)
	slot := float64(w-left-right) / float64(n)
	bw := max(int(slot*0.4), 1)
	label := bucketLabel(r.Period.Bucket)
	for i, s := range r.Series {
		x := left + int(slot*float64(i)+slot*0.1)
		for j, v := range []struct {
			amount int64
			class  string
			what   string
		}{{s.Revenue, "rev", "revenue"}, {s.Margin, "mar", "margin"}} {
			top, bot := y(max(v.amount, 0)), y(min(v.amount, 0))
			class := v.class
			if v.amount < 0 {
				class = "loss"
			}
			ch.Bars = append(ch.Bars, bar{X: x + j*bw, Y: top, W: bw, H: max(bot-top, 0), Class: class,
				Title: fmt.Sprintf("%s: %s Rp %s", s.Start.Format(label), v.what, idr(v.amount))})
		}
	}
	ch.YTicks = []tick{{y(hi), idr(hi)}, {ch.Zero, "0"}}
	if lo < 0 {
		ch.YTicks = append(ch.YTicks, tick{y(lo), idr(lo)})
	}
	for _, i := range slices.Compact([]int{0, n / 2, n - 1}) {
		ch.XTicks = append(ch.XTicks, tick{left + int(slot*float64(i)+slot*0.5), r.Series[i].Start.Format(label)})
	}
	ch.Description = fmt.Sprintf("Revenue (blue) and margin (green; red for a loss) for each %s from %s to %s (%s): "+
		"revenue Rp %s, margin Rp %s in all. The table below has every figure.", r.Period.Bucket,
		r.Period.From.Format(label), r.Period.To.Add(-time.Nanosecond).Format(label), r.Period.TimeZone,
		idr(r.Totals.Revenue), idr(r.Totals.Margin))
	return ch
}

// bucketLabel is how a bucket's start is written: the day, or the day
// and hour.
func bucketLabel(b reports.Bucket) string {
	if b == reports.Hour {
		return "2 Jan 15:04"
	}
	return "Mon 2 Jan"
}

// hbarChart is one horizontal bar per row, its label and value on a line
// above it: the text has the chart's whole width, which a phone needs.
type hbarChart struct {
	W, H               int
	Zero               int
	Rows               []hbar
	Title, Description string
	Empty              bool
}

type hbar struct {
	TextY, BarY, X, W int
	Label, Value      string
	Class             string
}

const hbarRow = 46

// hbars lays out labelled values, in the order given, bars from a zero
// line (a negative value draws left of it).
func hbars(title string, labels []string, values []int64, texts []string, class string) hbarChart {
	const w, pad = 560, 2
	ch := hbarChart{W: w, Title: title, H: max(len(labels), 1) * hbarRow}
	hi, lo := int64(0), int64(0)
	for _, v := range values {
		hi, lo = max(hi, v), min(lo, v)
	}
	if hi == lo {
		ch.Empty = true
		return ch
	}
	x := func(v int64) int { return pad + int(float64(w-2*pad)*float64(v-lo)/float64(hi-lo)) }
	ch.Zero = x(0)
	for i, v := range values {
		b := hbar{TextY: i*hbarRow + 20, BarY: i*hbarRow + 26, Label: labels[i], Value: texts[i], Class: class}
		b.X, b.W = min(x(v), ch.Zero), max(abs(x(v)-ch.Zero), 1)
		if v < 0 {
			b.Class = "loss"
		}
		ch.Rows = append(ch.Rows, b)
	}
	return ch
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// gameMarginChart is the ten games with the largest margin.
func gameMarginChart(r *reports.OrderReport) hbarChart {
	games := slices.Clone(r.Games)
	slices.SortFunc(games, func(a, b reports.GameRow) int {
		return cmp.Or(cmp.Compare(b.Margin, a.Margin), cmp.Compare(a.Game, b.Game))
	})
	games = games[:min(len(games), 10)]
	var labels, texts []string
	var values []int64
	for _, g := range games {
		labels = append(labels, clipLabel(g.Game))
		values = append(values, g.Margin)
		t := "Rp " + idr(g.Margin)
		if g.MarginPercent != nil {
			t += " (" + *g.MarginPercent + "%)"
		}
		texts = append(texts, t)
	}
	ch := hbars("Margin by game", labels, values, texts, "mar")
	ch.Description = "Margin of the " + strconv.Itoa(len(games)) + " games with the largest margin, largest first. Every game is in the table below."
	if ch.Empty {
		ch.Description = "No margin in the period."
	}
	return ch
}

// supplierShareChart is each supplier's share of the revenue.
func supplierShareChart(r *reports.OrderReport) hbarChart {
	var labels, texts []string
	var values []int64
	for _, s := range r.Suppliers {
		if s.Revenue == 0 {
			continue
		}
		labels = append(labels, clipLabel(s.Supplier))
		values = append(values, s.Revenue)
		share := "—"
		if p := sharePercent(s.Revenue, r.Totals.Revenue); p != "" {
			share = p + "%"
		}
		texts = append(texts, share+" · Rp "+idr(s.Revenue))
	}
	ch := hbars("Supplier share of revenue", labels, values, texts, "rev")
	ch.Description = "Each supplier's share of the revenue of the orders it delivered. The suppliers table below has every figure."
	if ch.Empty {
		ch.Description = "No revenue in the period."
	}
	return ch
}

// sharePercent is 100·n÷d with one place, "" when d is 0.
func sharePercent(n, d int64) string {
	if d == 0 {
		return ""
	}
	return decimal.NewFromInt(n).Mul(decimal.NewFromInt(100)).DivRound(decimal.NewFromInt(d), 1).StringFixed(1)
}

func clipLabel(s string) string {
	if s == "" {
		return "(none)"
	}
	if r := []rune(s); len(r) > 24 {
		return string(r[:23]) + "…"
	}
	return s
}

// sparkline is a supplier's balance reads over the period, as a line.
type sparkline struct {
	W, H         int
	Points       string
	Low, High    string
	Description  string
	Empty        bool
	LastX, LastY int
}

func balanceSparkline(b reports.BalanceTrend, p reports.PeriodView) sparkline {
	const w, h, pad = 300, 60, 6
	s := sparkline{W: w, H: h}
	if len(b.Points) == 0 {
		s.Empty = true
		return s
	}
	lo, hi := b.Points[0].Low, b.Points[0].Last
	for _, pt := range b.Points {
		lo, hi = min(lo, pt.Low, pt.Last), max(hi, pt.Last)
	}
	span := max(hi-lo, 1)
	from, to := p.From, p.To
	var pts []byte
	for _, pt := range b.Points {
		x := pad + int(float64(w-2*pad)*float64(pt.Start.Sub(from))/float64(to.Sub(from)))
		yy := pad + int(float64(h-2*pad)*float64(hi-pt.Last)/float64(span))
		pts = fmt.Appendf(pts, "%d,%d ", x, yy)
		s.LastX, s.LastY = x, yy
	}
	s.Points = string(pts)
	s.Low, s.High = idr(lo), idr(hi)
	s.Description = fmt.Sprintf("Balance reported over the period: between Rp %s and Rp %s, last Rp %s.", s.Low, s.High, idrp(b.Last))
	return s
}
