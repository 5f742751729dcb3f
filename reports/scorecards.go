package reports

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// Scorecards are the suppliers' records over a period.
type Scorecards struct {
	Period    PeriodView  `json:"period"`
	Suppliers []Scorecard `json:"suppliers"`
}

// Scorecard is how a supplier treated the purchases syncd sent it in a
// period (attempts created in it), and its balance over the period.
//
// What counts (the API document says the same):
//   - sent: attempts sent (any state but prepared: stored, not sent yet).
//   - rejected: clear refusals (the order went to the next supplier);
//     rejections counts them by reason, the supplier's own words.
//   - unresolved: sends whose outcome is still unknown.
//   - taken: the rest: the supplier has (or had) the purchase.
//     acceptance_percent = taken ÷ sent.
//   - delivered, not_delivered: taken purchases with a final word (an
//     operator's settlement included); delivery_percent = delivered ÷
//     (delivered + not_delivered).
//   - unknown_outcomes: sends whose outcome was unknown when they were
//     made (a timeout, a 5xx, a lost reply), reconciled or not;
//     unknown_outcome_percent = unknown_outcomes ÷ sent.
//   - time_to_final: from the attempt's creation to its final word
//     (delivered or not), p50 and p95 in milliseconds by nearest rank,
//     exact over every such attempt.
//   - routed: routing decisions in the period that sent it an order.
//     contested: decisions where it and another supplier could both
//     deliver at the order's price (routing tries the cheapest first);
//     won_on_price: those it was sent; won_on_price_percent =
//     won_on_price ÷ contested.
//   - balance: the balances it reported in the period (every read is
//     kept, see balance_reads) and syncd's estimate now.
type Scorecard struct {
	Supplier              string       `json:"supplier"`
	Sent                  int64        `json:"sent"`
	Taken                 int64        `json:"taken"`
	Rejected              int64        `json:"rejected"`
	Unresolved            int64        `json:"unresolved"`
	AcceptancePercent     *string      `json:"acceptance_percent"`
	Delivered             int64        `json:"delivered"`
	NotDelivered          int64        `json:"not_delivered"`
	DeliveryPercent       *string      `json:"delivery_percent"`
	UnknownOutcomes       int64        `json:"unknown_outcomes"`
	UnknownOutcomePercent *string      `json:"unknown_outcome_percent"`
	TimeToFinalP50        *int64       `json:"time_to_final_p50_ms"`
	TimeToFinalP95        *int64       `json:"time_to_final_p95_ms"`
	Routed                int64        `json:"routed"`
	Contested             int64        `json:"contested"`
	WonOnPrice            int64        `json:"won_on_price"`
	WonOnPricePercent     *string      `json:"won_on_price_percent"`
	Rejections            []Rejection  `json:"rejections"`
	Balance               BalanceTrend `json:"balance"`
}

// Rejection is one reason a supplier refused purchases, with how often.
type Rejection struct {
	Reason string    `json:"reason"`
	Count  int64     `json:"count"`
	LastAt time.Time `json:"last_at"`
}

// BalanceTrend is a supplier's balance over the period: the reads it
// reported, by bucket, and syncd's estimate now (null: never known).
type BalanceTrend struct {
	Estimate *int64         `json:"estimate"`
	Reads    int64          `json:"reads"`
	First    *int64         `json:"first"`
	Last     *int64         `json:"last"`
	Change   *int64         `json:"change"` // last − first
	Points   []BalancePoint `json:"points"`
}

// BalancePoint is a bucket's reads: the last and the lowest.
type BalancePoint struct {
	Start time.Time `json:"start"`
	Last  int64     `json:"last"`
	Low   int64     `json:"low"`
}

// The scorecards' statements, over [?1, ?2) (attempts by creation, events
// and balance reads by time); ?3 is the supplier where there is one.
const (
	qAttemptsOf = `SELECT state, created_at, updated_at, CASE WHEN state = 'rejected' THEN message ELSE '' END
		FROM order_attempts WHERE supplier = ?3 AND created_at >= ?1 AND created_at < ?2`
	// A send's outcome is its attempt event's; an attempt sent again to
	// reconcile has several, hence DISTINCT.
	qUnknownSends = `SELECT a.supplier, count(*)
		FROM (SELECT DISTINCT e.order_id, json_extract(e.detail, '$.seq') AS seq FROM order_events e
			WHERE ` + sqliteUnknownSendsWhere + ` AND e.at >= ?1) u
		CROSS JOIN order_attempts a ON a.order_id = u.order_id AND a.seq = u.seq
		WHERE a.created_at >= ?1 AND a.created_at < ?2 GROUP BY a.supplier`
	qRoutes        = `SELECT detail FROM order_events WHERE kind = 'route' AND at >= ?1 AND at < ?2`
	qBalanceReads  = `SELECT at, balance FROM balance_reads WHERE supplier = ?3 AND at >= ?1 AND at < ?2 ORDER BY at`
	qBalanceNow    = `SELECT balance FROM supplier_balances WHERE supplier = ?`
	maxRejections  = 20 // reasons listed per supplier; the rest are summed as "other"
	otherRejection = "(other reasons)"
)

// Scorecards reports suppliers over p, in the order given.
func (s *Store) Scorecards(ctx context.Context, p Period, suppliers []string) (*Scorecards, error) {
	out := &Scorecards{Period: p.view(), Suppliers: make([]Scorecard, 0, len(suppliers))}
	from, to := syncd.FormatTime(p.From), syncd.FormatTime(p.To)
	err := s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		unknown, err := countBySupplier(ctx, tx, s.q.unknownSends, from, to)
		if err != nil {
			return err
		}
		routes, err := routeWins(ctx, tx, from, to)
		if err != nil {
			return err
		}
		for _, name := range suppliers {
			sc := Scorecard{Supplier: name, UnknownOutcomes: unknown[name], Rejections: []Rejection{}}
			if w := routes[name]; w != nil {
				sc.Routed, sc.Contested, sc.WonOnPrice = w.routed, w.contested, w.won
			}
			if err := attemptsOf(ctx, tx, &sc, from, to); err != nil {
				return err
			}
			if sc.Balance, err = balanceOf(ctx, tx, p, name, from, to); err != nil {
				return err
			}
			sc.AcceptancePercent = percent(sc.Taken, sc.Sent)
			sc.DeliveryPercent = percent(sc.Delivered, sc.Delivered+sc.NotDelivered)
			sc.UnknownOutcomePercent = percent(sc.UnknownOutcomes, sc.Sent)
			sc.WonOnPricePercent = percent(sc.WonOnPrice, sc.Contested)
			out.Suppliers = append(out.Suppliers, sc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("supplier scorecards %s–%s: %w", from, to, err)
	}
	return out, nil
}

func attemptsOf(ctx context.Context, tx *sqlx.Tx, sc *Scorecard, from, to string) error {
	rows, err := tx.QueryContext(ctx, qAttemptsOf, from, to, sc.Supplier)
	if err != nil {
		return err
	}
	defer rows.Close()
	var durations []int64
	reasons := map[string]*Rejection{}
	var state, created, updated, message sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&state, &created, &updated, &message); err != nil {
			return err
		}
		switch string(state) {
		case "prepared":
			continue
		case "rejected":
			sc.Rejected++
			r := reasons[rejectionReason(string(message))]
			if r == nil {
				r = &Rejection{Reason: rejectionReason(string(message))}
				reasons[r.Reason] = r
			}
			r.Count++
			if at, err := parseStamp(updated); err == nil && at.After(r.LastAt) {
				r.LastAt = at
			}
		case "unknown":
			sc.Unresolved++
		case "succeeded", "failed":
			c, err1 := stampNanos(created)
			u, err2 := stampNanos(updated)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("attempt times %s, %s", created, updated)
			}
			durations = append(durations, max(u-c, 0)/int64(time.Millisecond))
			if string(state) == "succeeded" {
				sc.Delivered++
			} else {
				sc.NotDelivered++
			}
		}
		sc.Sent++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sc.Taken = sc.Sent - sc.Rejected - sc.Unresolved
	sc.TimeToFinalP50, sc.TimeToFinalP95 = percentiles(durations)
	for _, r := range reasons {
		sc.Rejections = append(sc.Rejections, *r)
	}
	slices.SortFunc(sc.Rejections, func(x, y Rejection) int {
		return cmp.Or(cmp.Compare(y.Count, x.Count), cmp.Compare(x.Reason, y.Reason))
	})
	if len(sc.Rejections) > maxRejections {
		other := Rejection{Reason: otherRejection}
		for _, r := range sc.Rejections[maxRejections-1:] {
			other.Count += r.Count
			if r.LastAt.After(other.LastAt) {
				other.LastAt = r.LastAt
			}
		}
		sc.Rejections = append(sc.Rejections[:maxRejections-1], other)
	}
	return nil
}

// rejectionReason is what a refusal says without what names the attempt:
// the stored message is the adapter's and the client's context ("x place
// CODE ref REF: supplier did not take the order: x POST /path: rejected
// (http 400)") then the supplier's own words, after the last ": ".
func rejectionReason(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	msg = strings.TrimSpace(msg)
	switch {
	case msg == "":
		return "(no reason given)"
	case len(msg) > 200:
		return msg[:200] + "…"
	}
	return msg
}

func countBySupplier(ctx context.Context, tx *sqlx.Tx, q string, args ...any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var sup string
		var n int64
		if err := rows.Scan(&sup, &n); err != nil {
			return nil, err
		}
		out[sup] = n
	}
	return out, rows.Err()
}

// viableCandidates reads a route event's detail (orders.Decision list
// under "candidates"): the suppliers of the candidates routing found
// viable (verdict tried or spare), appended to viable, and the one it
// tried. A week of a busy shop is hundreds of thousands of these, and
// encoding/json was most of a scorecard's time: the members are found by
// their names instead. Inside a JSON string a quote is escaped, so
// "supplier":" and "verdict":" can only be members; anything the scan
// cannot pair up, or finds none of, is decoded properly.
func viableCandidates(detail []byte, viable []string) ([]string, string, error) {
	var sups, verdicts [][]byte
	sups, okS := memberValues(detail, `"supplier":"`, sups)
	verdicts, okV := memberValues(detail, `"verdict":"`, verdicts)
	tried := ""
	if okS && okV && len(sups) == len(verdicts) && len(sups) > 0 {
		for i, v := range verdicts {
			if string(v) != "tried" && string(v) != "spare" {
				continue
			}
			if string(v) == "tried" {
				tried = string(sups[i])
			}
			if !slices.Contains(viable, string(sups[i])) {
				viable = append(viable, string(sups[i]))
			}
		}
		return viable, tried, nil
	}
	var d struct {
		Candidates []struct {
			Supplier string `json:"supplier"`
			Verdict  string `json:"verdict"`
		} `json:"candidates"`
	}
	if err := json.Unmarshal(detail, &d); err != nil {
		return nil, "", fmt.Errorf("route event: %w", err)
	}
	for _, c := range d.Candidates {
		if c.Verdict != "tried" && c.Verdict != "spare" {
			continue
		}
		if c.Verdict == "tried" {
			tried = c.Supplier
		}
		if !slices.Contains(viable, c.Supplier) {
			viable = append(viable, c.Supplier)
		}
	}
	return viable, tried, nil
}

// memberValues appends the values of every member named by key (`"name":"`)
// in b; ok is false for a value with an escape in it, which the caller
// then leaves to encoding/json.
func memberValues(b []byte, key string, out [][]byte) ([][]byte, bool) {
	for {
		i := bytes.Index(b, []byte(key))
		if i < 0 {
			return out, true
		}
		b = b[i+len(key):]
		j := bytes.IndexByte(b, '"')
		if j < 0 || bytes.IndexByte(b[:j], '\\') >= 0 {
			return out, false
		}
		out = append(out, b[:j])
		b = b[j+1:]
	}
}

// wins are a supplier's routing decisions.
type wins struct{ routed, contested, won int64 }

// routeWins reads the period's routing decisions (orders' route events:
// every candidate with its verdict, cheapest first). A candidate is
// viable when its verdict is tried or spare; a decision is contested for
// each viable supplier when another supplier was viable too.
func routeWins(ctx context.Context, tx *sqlx.Tx, from, to string) (map[string]*wins, error) {
	rows, err := tx.QueryContext(ctx, qRoutes, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*wins{}
	get := func(s string) *wins {
		w := out[s]
		if w == nil {
			w = &wins{}
			out[s] = w
		}
		return w
	}
	var detail sql.RawBytes
	var viable []string
	for rows.Next() {
		if err := rows.Scan(&detail); err != nil {
			return nil, err
		}
		var tried string
		var err error
		if viable, tried, err = viableCandidates(detail, viable[:0]); err != nil {
			return nil, err
		}
		if tried != "" {
			get(tried).routed++
		}
		if len(viable) < 2 {
			continue
		}
		for _, s := range viable {
			w := get(s)
			w.contested++
			if s == tried {
				w.won++
			}
		}
	}
	return out, rows.Err()
}

func balanceOf(ctx context.Context, tx *sqlx.Tx, p Period, supplier, from, to string) (BalanceTrend, error) {
	bt := BalanceTrend{Points: []BalancePoint{}}
	var est sql.NullInt64
	if err := tx.GetContext(ctx, &est, qBalanceNow, supplier); err != nil && err != sql.ErrNoRows {
		return bt, err
	}
	if est.Valid {
		bt.Estimate = &est.Int64
	}
	rows, err := tx.QueryContext(ctx, qBalanceReads, from, to, supplier)
	if err != nil {
		return bt, err
	}
	defer rows.Close()
	var at sql.RawBytes
	var bal int64
	for rows.Next() {
		if err := rows.Scan(&at, &bal); err != nil {
			return bt, err
		}
		t, err := parseStamp(at)
		if err != nil {
			return bt, err
		}
		start := p.start(t)
		if n := len(bt.Points); n > 0 && bt.Points[n-1].Start.Equal(start) {
			bt.Points[n-1].Last = bal
			bt.Points[n-1].Low = min(bt.Points[n-1].Low, bal)
		} else {
			bt.Points = append(bt.Points, BalancePoint{Start: start, Last: bal, Low: bal})
		}
		if bt.Reads == 0 {
			first := bal
			bt.First = &first
		}
		bt.Reads++
		last := bal
		bt.Last = &last
	}
	if bt.First != nil {
		change := *bt.Last - *bt.First
		bt.Change = &change
	}
	return bt, rows.Err()
}
