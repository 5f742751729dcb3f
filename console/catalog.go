package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
)

// catalogPageSize is how many items a catalog page shows.
const catalogPageSize = 50

// catalogFilter is what the catalog page is narrowed to.
type catalogFilter struct {
	Q           string
	Game        string
	Supplier    string
	Status      string // "" | available | unavailable | blocked
	MarginBelow string // percent, as typed
	Tier        string

	marginBP  int64 // MarginBelow in hundredths of a percent
	hasMargin bool
}

// row is one item in one tier, as the catalog page lists it.
type row struct {
	Item      *catalog.Item
	GameName  string
	Price     catalog.Price
	Chosen    *catalog.OfferState
	Margin    int64
	MarginPct string
	Status    string // available | unavailable | blocked
	Why       string
}

type catalogData struct {
	Filter    catalogFilter
	Errors    map[string]string
	Games     []*catalog.Game
	Hidden    []hiddenGame // games storefronts do not see, and why
	Suppliers []string
	Tiers     []string
	Rows      []row
	Pager     pager
	Version   int64
	Items     int
}

// hiddenGame is a game left out of the storefronts' lists.
type hiddenGame struct {
	ID, Name, Why string
}

// statusOf is an item's state in a tier: sold, without an eligible offer,
// or with one but no price the rules allow.
func statusOf(it *catalog.Item, p catalog.Price) (string, string) {
	switch {
	case it.Chosen == nil:
		return "unavailable", it.Reason
	case p.Amount == nil:
		return "blocked", p.Blocked
	}
	return "available", ""
}

func (c *Console) catalogPage(w http.ResponseWriter, r *http.Request) error {
	snap, err := c.snapshot()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := catalogFilter{Q: strings.TrimSpace(q.Get("q")), Game: q.Get("game"), Supplier: q.Get("supplier"),
		Status: q.Get("status"), MarginBelow: strings.TrimSpace(q.Get("margin_below")), Tier: q.Get("tier")}
	d := catalogData{Filter: f, Errors: map[string]string{}, Games: snap.GameList(), Suppliers: c.cfg.Suppliers,
		Tiers: snap.Tiers(), Version: snap.Version, Items: snap.ItemCount()}
	for _, g := range d.Games {
		if why := snap.Hidden(g.ID); why != "" {
			d.Hidden = append(d.Hidden, hiddenGame{g.ID, g.Name, why})
		}
	}
	if f.Tier == "" {
		d.Filter.Tier = catalog.PublicTier
	} else if !snap.HasTier(f.Tier) {
		d.Errors["tier"] = "no price tier " + f.Tier
		d.Filter.Tier = catalog.PublicTier
	}
	switch f.Status {
	case "", "available", "unavailable", "blocked":
	default:
		d.Errors["status"] = "choose available, unavailable or blocked"
		d.Filter.Status = ""
	}
	if f.MarginBelow != "" {
		m, err := decimal.NewFromString(f.MarginBelow)
		if err != nil || m.LessThan(decimal.NewFromInt(-1000)) || m.GreaterThan(decimal.NewFromInt(100)) {
			d.Errors["margin_below"] = "a percentage such as 5 or 2.5, at most 100"
		} else {
			d.Filter.marginBP, d.Filter.hasMargin = m.Mul(decimal.NewFromInt(100)).Round(0).IntPart(), true
		}
	}
	if f.Game != "" {
		if g, ok := snap.Game(f.Game); ok {
			d.Games = []*catalog.Game{g} // only this game is scanned
		} else {
			d.Errors["game"] = "no game " + f.Game
			d.Games = nil
		}
	}

	page := pageOf(q)
	skip := (page - 1) * catalogPageSize
	total := 0
	for _, g := range d.Games {
		for _, it := range g.Items {
			rw, ok := d.Filter.match(g, it)
			if !ok {
				continue
			}
			total++
			if total > skip && len(d.Rows) < catalogPageSize {
				d.Rows = append(d.Rows, rw)
			}
		}
	}
	if f.Game != "" {
		d.Games = snap.GameList() // the filter's select lists them all
	}
	for i := range d.Rows {
		d.Rows[i].fill()
	}
	d.Pager = newPager(page, catalogPageSize, total, func(p int) string { return withPage(Prefix+"/catalog", q, p) })
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = fault.PageStatus(fault.BadRequest)
	}
	return c.render(w, r, status, "catalog", view{Title: "Catalog", Nav: "catalog", Data: d})
}

// match reports whether an item passes the filter, and its row if so.
// It runs for every item of the catalog on every page view, so it
// allocates nothing for the items it drops.
func (f *catalogFilter) match(g *catalog.Game, it *catalog.Item) (row, bool) {
	if f.Supplier != "" && (it.Chosen == nil || it.Chosen.Supplier != f.Supplier) {
		return row{}, false
	}
	p := it.PriceIn(f.Tier)
	status, why := statusOf(it, p)
	if f.Status != "" && status != f.Status {
		return row{}, false
	}
	if f.hasMargin {
		// margin/price < X%  ⇔  (price − cost)·10000 < X·100·price
		if p.Amount == nil || it.Chosen == nil || (*p.Amount-it.Chosen.Cost)*10000 >= f.marginBP**p.Amount {
			return row{}, false
		}
	}
	if f.Q != "" && !containsFold(it.Name, f.Q) && !containsFold(it.ID, f.Q) && !containsFold(g.Name, f.Q) {
		return row{}, false
	}
	return row{Item: it, GameName: g.Name, Price: p, Chosen: it.Chosen, Status: status, Why: why}, true
}

// fill computes what only the shown rows need: the realised margin,
// price less the chosen offer's cost, as pricing reports it (of the
// price, two places).
func (rw *row) fill() {
	if rw.Price.Amount == nil || rw.Chosen == nil {
		return
	}
	price := *rw.Price.Amount
	rw.Margin = price - rw.Chosen.Cost
	if price != 0 {
		rw.MarginPct = decimal.NewFromInt(rw.Margin).Mul(decimal.NewFromInt(100)).DivRound(decimal.NewFromInt(price), 2).String()
	}
}

// containsFold reports whether s contains sub, ignoring ASCII case,
// without allocating.
func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			a, b := s[i+j], sub[j]
			if 'A' <= a && a <= 'Z' {
				a += 'a' - 'A'
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if a != b {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// itemURL is an item's console page.
func itemURL(id string) string { return Prefix + "/items/" + url.PathEscape(id) }
