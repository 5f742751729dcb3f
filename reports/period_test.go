package reports

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/fault"
)

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 12, 10, 15, 4, 5, 0, time.UTC) // 22:04 in Jakarta
	tests := []struct {
		name, from, to, tz string
		wantFrom, wantTo   string // RFC 3339, UTC
		bucket             Bucket
	}{
		{"default: the last seven days, today included", "", "", "", "2026-12-04T00:00:00Z", "2026-12-11T00:00:00Z", Day},
		{"default in Jakarta", "", "", "Asia/Jakarta", "2026-12-03T17:00:00Z", "2026-12-10T17:00:00Z", Day},
		{"dates: to is inclusive", "2026-12-01", "2026-12-07", "", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z", Day},
		{"one day is hourly", "2026-12-01", "2026-12-01", "Asia/Jayapura", "2026-11-30T15:00:00Z", "2026-12-01T15:00:00Z", Hour},
		{"48 hours is hourly", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "", "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", Hour},
		{"49 hours is daily", "2026-12-01T00:00:00Z", "2026-12-03T01:00:00Z", "", "2026-12-01T00:00:00Z", "2026-12-03T01:00:00Z", Day},
		{"times with an offset", "2026-12-01T07:00:00+07:00", "2026-12-02T07:00:00+07:00", "", "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z", Hour},
		{"from alone: seven days", "2026-12-01", "", "", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z", Day},
		{"to alone: seven days", "", "2026-12-07", "", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z", Day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePeriod(tt.from, tt.to, tt.tz, now)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.From.UTC().Format(time.RFC3339); got != tt.wantFrom {
				t.Errorf("from: got %s, want %s", got, tt.wantFrom)
			}
			if got := p.To.UTC().Format(time.RFC3339); got != tt.wantTo {
				t.Errorf("to: got %s, want %s", got, tt.wantTo)
			}
			if p.Bucket != tt.bucket {
				t.Errorf("bucket: got %s, want %s", p.Bucket, tt.bucket)
			}
		})
	}
}

func TestParsePeriodRefuses(t *testing.T) {
	now := time.Date(2026, 12, 10, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		name, from, to, tz string
		field, says        string
	}{
		{"not a date", "yesterday", "", "", "from", "not a date"},
		{"not a time", "", "2026-13-01", "", "to", "not a date"},
		{"unknown zone", "", "", "Mars/Olympus", "tz", "unknown time zone"},
		{"the machine's zone", "", "", "Local", "tz", "unknown time zone"},
		{"half-hour zone", "", "", "Asia/Kolkata", "tz", "whole number of hours"},
		{"off the hour", "2026-12-01T10:30:00Z", "2026-12-02T00:00:00Z", "", "from", "on the hour"},
		{"backwards", "2026-12-07", "2026-12-01", "", "to", "after from"},
		{"empty", "2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z", "", "to", "after from"},
		{"too long", "2025-01-01", "2026-12-01", "", "to", "at most 366 days"},
		{"past the year 9999", "9999-12-31", "", "", "to", "years 0000 to 9999"},
		{"past it in the zone", "9999-12-31T16:00:00Z", "9999-12-31T18:00:00Z", "Asia/Jakarta", "to", "years 0000 to 9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePeriod(tt.from, tt.to, tt.tz, now)
			fields := fault.FieldsOf(err)
			if fields == nil {
				t.Fatalf("got %v, want a validation error", err)
			}
			if msg := fields[tt.field]; !strings.Contains(msg, tt.says) {
				t.Fatalf("%s: got %q (all: %v), want it to say %q", tt.field, msg, fields, tt.says)
			}
		})
	}
}

// TestReportQueriesUseTheirIndexes: the statements a report and a fold
// run over a month of a million orders read what they must and no more.
func TestReportQueriesUseTheirIndexes(t *testing.T) {
	dbtest.SkipOnPostgres(t, "EXPLAIN QUERY PLAN is SQLite's; TestReportQueriesUseTheirIndexesOnPostgres checks PostgreSQL's plans")
	db := openDB(t)
	tests := []struct {
		q    string
		args []any
		want []string // each a line of the plan
	}{
		{qReportRollup, []any{"a", "b"}, []string{"SEARCH report_hours USING PRIMARY KEY (hour>? AND hour<?)"}},
		{qReportOpen, []any{"a", "b"}, []string{"SEARCH o USING INDEX orders_status (status=? AND created_at>? AND created_at<?)"}},
		{qReportUnfolded, []any{"a", "b", 1}, []string{"SEARCH e USING INTEGER PRIMARY KEY (rowid>?)", "SEARCH o USING INDEX sqlite_autoindex_orders_1 (id=?)"}},
		{qFoldOrders, []any{1, 2, 3}, []string{"SEARCH e USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"}},
		{qUnknownSends, []any{"a", "b"}, []string{"SEARCH e USING INDEX order_events_unknown (at>?)"}},
		{qRoutes, []any{"a", "b"}, []string{"SEARCH order_events USING INDEX order_events_route (at>? AND at<?)"}},
	}
	for _, tt := range tests {
		rows, err := db.Read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+tt.q, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		for _, w := range tt.want {
			found := false
			for _, line := range plan {
				found = found || strings.HasPrefix(line, w)
			}
			if !found {
				t.Errorf("%.60s…: plan %q has no %q", strings.Join(strings.Fields(tt.q), " "), plan, w)
			}
		}
	}
}

// TestReportQueriesUseTheirIndexesOnPostgres: PostgreSQL's statements can
// use the partial indexes on order_events, which it does only when a
// query's WHERE implies the index's predicate as schema_postgres.sql
// spells it. The tables are nearly empty, so sequential scans are priced
// out of the plan to ask only whether an index can be used: with the
// predicate not implied, the plan would scan order_events whatever the
// price. Which index the joins start from is the planner's to choose by
// the data's statistics: for those, any but a sequential scan.
func TestReportQueriesUseTheirIndexesOnPostgres(t *testing.T) {
	db := dbtest.OpenPostgres(t)
	q := statementsFor(syncd.Postgres)
	tests := []struct {
		q    string
		args []any
		want string // in the plan, if any
	}{
		{q.unknownSends, []any{"a", "b"}, "order_events_unknown"},
		{qRoutes, []any{"a", "b"}, "order_events_route"},
		{q.reportOpen, []any{"a", "b"}, ""},
		{q.reportUnfolded, []any{"a", "b", 1}, ""},
		{q.foldOrders, []any{1, 2, 3}, ""},
	}
	ctx := context.Background()
	for _, tt := range tests {
		tx, err := db.Read.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		var plan []string
		if err := tx.SelectContext(ctx, &plan, "EXPLAIN "+tt.q, tt.args...); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, tt.want) || strings.Contains(text, "Seq Scan") {
			t.Errorf("%.60s…: plan scans a table or uses no %q:\n%s", strings.Join(strings.Fields(tt.q), " "), tt.want, text)
		}
	}
}
