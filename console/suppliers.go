package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/reports"
)

type supplierRow struct {
	offers.SupplierStatus
	Balance          *int64
	BalanceError     string
	BalanceCheckedAt time.Time
	HasBalance       bool
	Breaker          *orders.Breaker // nil when syncd takes no orders
	// The last read, the low-balance threshold and its rule, and the
	// warning in force.
	BalanceRead *int64
	Threshold   *int64
	Rule        string
	Low         *orders.LowWarning
	// Card is the supplier's scorecard over the last scorecardDays days;
	// nil without reports.
	Card  *reports.Scorecard
	Spark sparkline // its balance reads
}

// scorecardDays is the window of the suppliers page's scorecards.
const scorecardDays = 7

type suppliersData struct {
	Rows   []supplierRow
	Period *reports.PeriodView // the scorecards'; nil without reports
	CSV    string
}

func (c *Console) suppliersPage(w http.ResponseWriter, r *http.Request) error {
	balances := map[string]orders.Balance{}
	breakers := map[string]orders.Breaker{}
	if c.cfg.Orders != nil {
		list, err := c.cfg.Orders.Balances(r.Context())
		if err != nil {
			return err
		}
		for _, b := range list {
			balances[b.Supplier] = b
		}
		for _, b := range c.cfg.Orders.Breakers() {
			breakers[b.Supplier] = b
		}
	}
	d := suppliersData{}
	cards := map[string]*reports.Scorecard{}
	if c.cfg.Reports != nil {
		to := time.Now().UTC().Truncate(time.Hour).Add(time.Hour)
		p, err := reports.ParsePeriod(to.Add(-scorecardDays*24*time.Hour).Format(time.RFC3339), to.Format(time.RFC3339), "", to)
		if err != nil {
			return err
		}
		sc, err := c.cfg.Reports.Scorecards(r.Context(), p, c.cfg.Suppliers)
		if err != nil {
			return err
		}
		for i := range sc.Suppliers {
			cards[sc.Suppliers[i].Supplier] = &sc.Suppliers[i]
		}
		d.Period = &sc.Period
		d.CSV = Prefix + "/reports/suppliers.csv?" + url.Values{"from": {sc.Period.From.Format(time.RFC3339)},
			"to": {sc.Period.To.Format(time.RFC3339)}}.Encode()
	}
	for _, name := range c.cfg.Suppliers {
		st, err := c.syncer.Status(r.Context(), name, c.cfg.StaleAfter)
		if err != nil {
			return err
		}
		row := supplierRow{SupplierStatus: st}
		if b, ok := breakers[name]; ok {
			row.Breaker = &b
		}
		if b, ok := balances[name]; ok {
			row.Balance, row.BalanceError, row.BalanceCheckedAt, row.HasBalance = b.Balance, b.Error, b.CheckedAt, true
			row.BalanceRead, row.Threshold, row.Rule, row.Low = b.Read, b.Threshold, b.Rule, b.Low
		}
		if card := cards[name]; card != nil {
			row.Card, row.Spark = card, balanceSparkline(card.Balance, *d.Period)
		}
		d.Rows = append(d.Rows, row)
	}
	return c.render(w, r, http.StatusOK, "suppliers", view{Title: "Suppliers", Nav: "suppliers", Data: d})
}

// lowBalances are the suppliers whose balance is low, for the banner; a
// failure to read them is logged and shows no banner rather than no page.
func (c *Console) lowBalances(r *http.Request) []orders.Balance {
	if c.cfg.Orders == nil {
		return nil
	}
	list, err := c.cfg.Orders.Balances(r.Context())
	if err != nil {
		c.log.Warn("console: balances not read", "err", err)
		return nil
	}
	var low []orders.Balance
	for _, b := range list {
		if b.Low != nil && b.Balance != nil && slices.Contains(c.cfg.Suppliers, b.Supplier) {
			low = append(low, b)
		}
	}
	return low
}

// syncSupplier starts a sync through the scheduler, which runs one sync
// of a supplier at a time, as the API's sync endpoint does.
func (c *Console) syncSupplier(w http.ResponseWriter, r *http.Request) error {
	name := chi.URLParam(r, "supplier")
	if !slices.Contains(c.cfg.Suppliers, name) {
		return &pageError{code: fault.SupplierNotFound, message: "No enabled supplier is called " + name + "."}
	}
	st, err := c.syncer.Status(r.Context(), name, c.cfg.StaleAfter)
	if err != nil {
		return err
	}
	to := Prefix + "/suppliers"
	switch {
	case st.Running:
		return &notice{to, "A sync of " + name + " is already running."}
	case c.trigger == nil:
		return &notice{to, "Syncs cannot be started from this server."}
	}
	switch err := c.trigger(name); {
	case err == nil:
		c.back(w, r, to, "Sync of "+name+" started; reload this page to see its result.", true)
		return nil
	case errors.Is(err, offers.ErrSyncRunning):
		return &notice{to, "A sync of " + name + " is already running."}
	default:
		c.log.Error("console sync trigger", "supplier", name, "err", err)
		return &notice{to, "The sync of " + name + " could not be started; see syncd's log."}
	}
}
