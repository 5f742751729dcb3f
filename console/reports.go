package console

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/reports"
)

// zones are the time zones the period picker offers: Indonesia's three
// and UTC (the API takes any whole-hour IANA zone).
var zones = []struct{ ID, Label string }{
	{"UTC", "UTC"}, {"Asia/Jakarta", "WIB (Jakarta, UTC+7)"}, {"Asia/Makassar", "WITA (Makassar, UTC+8)"}, {"Asia/Jayapura", "WIT (Jayapura, UTC+9)"},
}

type reportsData struct {
	Enabled      bool
	From, To, TZ string // the form's values
	Zones        []struct{ ID, Label string }
	Errors       map[string]string
	Quick        []quickLink
	Report       *reports.OrderReport
	BucketLabel  string // how the series' buckets are written
	Revenue      barChart
	Games, Share hbarChart
	CSV          map[string]string // table → download link
}

type quickLink struct {
	Label, Href string
	Current     bool
}

func (c *Console) reportsPage(w http.ResponseWriter, r *http.Request) error {
	d := reportsData{Enabled: c.cfg.Reports != nil, Zones: zones, Errors: map[string]string{}}
	v := view{Title: "Reports", Nav: "reports", Data: &d}
	if !d.Enabled {
		return c.render(w, r, http.StatusOK, "reports", v)
	}
	q := r.URL.Query()
	d.From, d.To, d.TZ = q.Get("from"), q.Get("to"), q.Get("tz")
	if d.TZ == "" {
		d.TZ = "UTC"
	}
	p, err := reports.ParsePeriod(d.From, d.To, d.TZ, time.Now())
	if fields := fault.FieldsOf(err); fields != nil {
		// The form again, with what is wrong beside each field.
		d.Errors = fields
		return c.render(w, r, fault.PageStatus(fault.Validation), "reports", v)
	}
	if err != nil {
		return err
	}
	rep, err := c.cfg.Reports.Orders(r.Context(), p)
	if err != nil {
		return err
	}
	d.Report, d.BucketLabel = rep, bucketLabel(p.Bucket)
	// The form shows the period as dates when it is whole days.
	if d.From == "" || d.To == "" {
		d.From, d.To = periodDates(rep.Period)
	}
	d.Revenue, d.Games, d.Share = revenueChart(rep), gameMarginChart(rep), supplierShareChart(rep)
	d.CSV = map[string]string{}
	for _, t := range reports.OrderTables {
		d.CSV[t] = Prefix + "/reports/orders.csv?" + periodQuery(d.From, d.To, d.TZ, t)
	}
	d.Quick = quickLinks(p.Zone, d.From, d.To, d.TZ)
	return c.render(w, r, http.StatusOK, "reports", v)
}

// periodDates are a period's bounds as the date inputs take them: from's
// day and the last day in it.
func periodDates(p reports.PeriodView) (string, string) {
	return p.From.Format(time.DateOnly), p.To.Add(-time.Nanosecond).Format(time.DateOnly)
}

func periodQuery(from, to, tz, table string) string {
	v := url.Values{"from": {from}, "to": {to}, "tz": {tz}}
	if table != "" {
		v.Set("table", table)
	}
	return v.Encode()
}

// quickLinks are the usual periods, ending today in the zone.
func quickLinks(zone *time.Location, from, to, tz string) []quickLink {
	today := time.Now().In(zone).Format(time.DateOnly)
	day := func(n int) string { return time.Now().In(zone).AddDate(0, 0, n).Format(time.DateOnly) }
	var out []quickLink
	for _, q := range []struct {
		label    string
		from, to string
	}{{"Today", today, today}, {"Yesterday", day(-1), day(-1)}, {"Last 7 days", day(-6), today}, {"Last 30 days", day(-29), today}} {
		out = append(out, quickLink{Label: q.label, Href: Prefix + "/reports?" + periodQuery(q.from, q.to, tz, ""),
			Current: q.from == from && q.to == to})
	}
	return out
}

// table is a report that exports its tables as CSV.
type table interface {
	Table(name string) ([][]string, error)
}

// orderReportCSV and scorecardsCSV download one table, for the period of
// the page that links to them.
func (c *Console) orderReportCSV(w http.ResponseWriter, r *http.Request) error {
	return c.reportCSV(w, r, "orders", func(p reports.Period) (table, error) {
		return c.cfg.Reports.Orders(r.Context(), p)
	})
}

func (c *Console) scorecardsCSV(w http.ResponseWriter, r *http.Request) error {
	return c.reportCSV(w, r, "suppliers", func(p reports.Period) (table, error) {
		return c.cfg.Reports.Scorecards(r.Context(), p, c.cfg.Suppliers)
	})
}

func (c *Console) reportCSV(w http.ResponseWriter, r *http.Request, name string, read func(reports.Period) (table, error)) error {
	if c.cfg.Reports == nil {
		return fault.New(fault.NotFound, "This server keeps no reports.")
	}
	q := r.URL.Query()
	p, err := reports.ParsePeriod(q.Get("from"), q.Get("to"), q.Get("tz"), time.Now())
	if err != nil {
		return err
	}
	rep, err := read(p)
	if err != nil {
		return err
	}
	rows, err := rep.Table(q.Get("table"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := reports.WriteCSV(&buf, rows); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s-%s.csv"`, name, q.Get("table"),
		p.From.In(p.Zone).Format("20060102T15"), p.To.In(p.Zone).Format("20060102T15")))
	_, err = w.Write(buf.Bytes())
	return err
}
