package reports

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"
)

// Currency is what every amount is in: whole rupiah.
const Currency = "IDR"

// OrderReport is a period's orders, in total and by bucket, game, supplier
// and storefront. Every table sums to the totals: each order is in exactly
// one row of each.
type OrderReport struct {
	Period      PeriodView      `json:"period"`
	Currency    string          `json:"currency"`
	Totals      Figures         `json:"totals"`
	Series      []SeriesRow     `json:"series"`
	Games       []GameRow       `json:"games"`
	Suppliers   []SupplierRow   `json:"suppliers"`
	Storefronts []StorefrontRow `json:"storefronts"`
}

// PeriodView is a period as a report states it.
type PeriodView struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	TimeZone string    `json:"time_zone"`
	Bucket   Bucket    `json:"bucket"`
}

func (p Period) view() PeriodView {
	return PeriodView{From: p.From.In(p.Zone), To: p.To.In(p.Zone), TimeZone: p.Zone.String(), Bucket: p.Bucket}
}

// SeriesRow is one bucket of the time series; every bucket of the period
// has one, empty or not.
type SeriesRow struct {
	Start time.Time `json:"start"`
	Figures
}

// GameRow is one game's orders.
type GameRow struct {
	Game string `json:"game"`
	Figures
}

// SupplierRow is the orders of the supplier that delivered them or holds
// their open attempt; "" for orders no supplier took.
type SupplierRow struct {
	Supplier string `json:"supplier"`
	Figures
}

// StorefrontRow is one storefront's orders (the name of the token that
// placed them).
type StorefrontRow struct {
	Storefront string `json:"storefront"`
	Figures
}

// builder aggregates order rows and roll-up rows into a report: each
// order into the totals and one row of every table.
type builder struct {
	p      Period
	starts []time.Time    // bucket starts, ascending
	hours  map[string]int // "2026-12-01T05" (UTC) → bucket index
	totals acc
	series []acc
	games  map[string]*acc
	sups   map[string]*acc
	fronts map[string]*acc
}

func newBuilder(p Period) *builder {
	b := &builder{p: p, starts: p.buckets(), hours: map[string]int{},
		games: map[string]*acc{}, sups: map[string]*acc{}, fronts: map[string]*acc{}}
	b.series = make([]acc, len(b.starts))
	return b
}

// orderRow is one order as a report or the roll-up reads it; text
// columns are the driver's bytes, valid until the next row.
type orderRow struct {
	created, updated, status, game, supplier, storefront []byte
	price, cost                                          int64 // cost 0 when NULL
	fallback, unknown, settled                           bool
}

func keyed(m map[string]*acc, k string) *acc {
	if a, ok := m[k]; ok {
		return a
	}
	a := &acc{}
	m[k] = a
	return a
}

// bucket is the index of the bucket of an hour of the roll-up: the
// period and its buckets start on the hour, so an hour is in one bucket.
func (b *builder) bucket(hour string) (int, error) {
	if i, ok := b.hours[hour]; ok {
		return i, nil
	}
	t, err := time.Parse(hourLayout, hour)
	if err != nil {
		return 0, fmt.Errorf("roll-up hour %q: %w", hour, err)
	}
	i := sort.Search(len(b.starts), func(i int) bool { return b.starts[i].After(t) }) - 1
	if i < 0 || !t.Before(b.p.To) {
		return 0, fmt.Errorf("hour %s is outside the period %s–%s", hour, b.p.From, b.p.To)
	}
	b.hours[hour] = i
	return i, nil
}

// add counts one order not in the roll-up (still open, or final since
// the last fold).
func (b *builder) add(r *orderRow) error {
	var c cell
	if err := c.add(r); err != nil {
		return err
	}
	h, err := hourOf(r.created)
	if err != nil {
		return err
	}
	i, err := b.bucket(h)
	if err != nil {
		return err
	}
	for _, a := range []*acc{&b.totals, &b.series[i], keyed(b.games, string(r.game)),
		keyed(b.sups, string(r.supplier)), keyed(b.fronts, string(r.storefront))} {
		a.orders++
		switch string(r.status) {
		case "attention":
			a.attention++
		case "pending", "processing":
			a.open++
		}
		a.merge(&c)
	}
	return nil
}

// merge adds one roll-up row, of dimension dim, for key, at hour.
func (b *builder) merge(hour, dim, key string, c *cell) error {
	var a *acc
	switch dim {
	case dimAll:
		i, err := b.bucket(hour)
		if err != nil {
			return err
		}
		b.totals.orders += c.succeeded + c.failed
		b.totals.merge(c)
		a = &b.series[i]
	case dimGame:
		a = keyed(b.games, key)
	case dimSupplier:
		a = keyed(b.sups, key)
	case dimStorefront:
		a = keyed(b.fronts, key)
	default:
		return fmt.Errorf("roll-up row of unknown dimension %q", dim)
	}
	a.orders += c.succeeded + c.failed
	a.merge(c)
	return nil
}

func (b *builder) report() *OrderReport {
	r := &OrderReport{Period: b.p.view(), Currency: Currency, Totals: b.totals.figures(),
		Series: make([]SeriesRow, len(b.starts)), Games: []GameRow{}, Suppliers: []SupplierRow{}, Storefronts: []StorefrontRow{}}
	for i, s := range b.starts {
		r.Series[i] = SeriesRow{Start: s, Figures: b.series[i].figures()}
	}
	for k, a := range b.games {
		r.Games = append(r.Games, GameRow{Game: k, Figures: a.figures()})
	}
	for k, a := range b.sups {
		r.Suppliers = append(r.Suppliers, SupplierRow{Supplier: k, Figures: a.figures()})
	}
	for k, a := range b.fronts {
		r.Storefronts = append(r.Storefronts, StorefrontRow{Storefront: k, Figures: a.figures()})
	}
	// Most revenue first, then most orders, then by name: stable across
	// requests, and the rows that matter on top.
	slices.SortFunc(r.Games, func(x, y GameRow) int { return byWeight(x.Figures, y.Figures, x.Game, y.Game) })
	slices.SortFunc(r.Suppliers, func(x, y SupplierRow) int { return byWeight(x.Figures, y.Figures, x.Supplier, y.Supplier) })
	slices.SortFunc(r.Storefronts, func(x, y StorefrontRow) int {
		return byWeight(x.Figures, y.Figures, x.Storefront, y.Storefront)
	})
	return r
}

func byWeight(x, y Figures, xk, yk string) int {
	return cmp.Or(cmp.Compare(y.Revenue, x.Revenue), cmp.Compare(y.Orders, x.Orders), cmp.Compare(xk, yk))
}
