package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/reports"
)

// The report routes: an order report and supplier scorecards for a
// period (from, to, tz), as JSON or one table at a time as CSV.

func (s *Server) orderReport(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.readOrderReport(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

func (s *Server) orderReportCSV(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.readOrderReport(r)
	if err != nil {
		return err
	}
	table := r.URL.Query().Get("table")
	rows, err := rep.Table(table)
	if err != nil {
		return err
	}
	return writeCSV(w, "orders-"+table, rep.Period, rows)
}

func (s *Server) supplierScorecards(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.readScorecards(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) supplierScorecardsCSV(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.readScorecards(r)
	if err != nil {
		return err
	}
	table := r.URL.Query().Get("table")
	rows, err := sc.Table(table)
	if err != nil {
		return err
	}
	return writeCSV(w, "suppliers-"+table, sc.Period, rows)
}

func (s *Server) readOrderReport(r *http.Request) (*reports.OrderReport, error) {
	p, err := s.reportPeriod(r)
	if err != nil {
		return nil, err
	}
	return s.cfg.Reports.Orders(r.Context(), p)
}

func (s *Server) readScorecards(r *http.Request) (*reports.Scorecards, error) {
	p, err := s.reportPeriod(r)
	if err != nil {
		return nil, err
	}
	return s.cfg.Reports.Scorecards(r.Context(), p, s.cfg.Suppliers)
}

// reportPeriod reads the period of a report request, after checking that
// reports are served at all.
func (s *Server) reportPeriod(r *http.Request) (reports.Period, error) {
	if s.cfg.Reports == nil {
		return reports.Period{}, fault.New(fault.NotFound, "reports are not enabled on this server")
	}
	q := r.URL.Query()
	return reports.ParsePeriod(q.Get("from"), q.Get("to"), q.Get("tz"), time.Now())
}

// writeCSV sends rows as a CSV download named after the table and period.
// It is rendered whole before the status is written, like the JSON.
func writeCSV(w http.ResponseWriter, name string, p reports.PeriodView, rows [][]string) error {
	var buf bytes.Buffer
	if err := reports.WriteCSV(&buf, rows); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s-%s.csv"`, name,
		p.From.Format("20060102T15"), p.To.Format("20060102T15")))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(buf.Bytes())
	return err
}
