package console

import (
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/catalog"
)

// The price chart's drawing area, in SVG user units; the SVG scales to
// its container's width.
const (
	chartW, chartH = 640, 200
	padL, padR     = 64, 12
	padT, padB     = 12, 28
)

// chart is a step chart of an item's prices over time, one line per tier,
// drawn on the server: no script, nothing to load.
type chart struct {
	W, H         int
	Series       []series
	Empty        bool
	YMax, YMin   string // labels
	YMaxAt       int
	YMinAt       int
	XFrom, XTo   string
	Left, Right  int
	Top, Bottom  int
	Description  string
	NotSellables int // changes to "not sellable", drawn as gaps
}

type series struct {
	Tier  string
	Class string   // s0, s1… (colours in the stylesheet)
	Lines []string // polyline point lists; a gap where the item had no price
	Last  *int64
}

// priceChart charts changes (oldest first) of tiers from the first change
// to now.
func priceChart(changes []catalog.PriceChange, tiers []string, now time.Time) chart {
	ch := chart{W: chartW, H: chartH, Left: padL, Right: chartW - padR, Top: padT, Bottom: chartH - padB}
	if len(changes) == 0 {
		ch.Empty = true
		return ch
	}
	t0, t1 := changes[0].At, now
	if !t1.After(t0) {
		t1 = t0.Add(time.Hour)
	}
	lo, hi := int64(-1), int64(-1)
	for _, c := range changes {
		for _, p := range []*int64{c.Old, c.New} {
			if p == nil {
				continue
			}
			if lo < 0 || *p < lo {
				lo = *p
			}
			if *p > hi {
				hi = *p
			}
		}
	}
	if lo < 0 {
		ch.Empty = true // never had a price
		return ch
	}
	realLo, realHi := lo, hi
	pad := (hi - lo) / 10
	if pad == 0 {
		pad = max(hi/20, 1)
	}
	lo, hi = max(lo-pad, 0), hi+pad
	x := func(t time.Time) int {
		return padL + int(float64(chartW-padL-padR)*float64(t.Sub(t0))/float64(t1.Sub(t0)))
	}
	y := func(p int64) int {
		return padT + int(float64(chartH-padT-padB)*float64(hi-p)/float64(hi-lo))
	}
	ch.YMax, ch.YMin, ch.YMaxAt, ch.YMinAt = idr(realHi), idr(realLo), y(realHi), y(realLo)
	ch.XFrom, ch.XTo = t0.UTC().Format("2006-01-02 15:04"), t1.UTC().Format("2006-01-02 15:04")

	for i, tier := range tiers {
		s := series{Tier: tier, Class: "s" + strconv.Itoa(i%4)}
		var pts []string
		var cur *int64
		flush := func() {
			if len(pts) > 1 {
				s.Lines = append(s.Lines, strings.Join(pts, " "))
			}
			pts = nil
		}
		pt := func(t time.Time, p int64) string { return strconv.Itoa(x(t)) + "," + strconv.Itoa(y(p)) }
		for _, c := range changes {
			if c.Tier != tier {
				continue
			}
			if cur != nil {
				pts = append(pts, pt(c.At, *cur))
			}
			if c.New == nil {
				flush()
				ch.NotSellables++
			} else {
				pts = append(pts, pt(c.At, *c.New))
			}
			cur = c.New
		}
		if cur != nil {
			pts = append(pts, pt(t1, *cur))
		}
		flush()
		s.Last = cur
		if len(s.Lines) > 0 || cur != nil {
			ch.Series = append(ch.Series, s)
		}
	}
	ch.Description = "Price from " + ch.XFrom + " to " + ch.XTo + " UTC, between Rp " + ch.YMin + " and Rp " + ch.YMax + "."
	return ch
}
