package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/syncd/syncd"
)

// fill is a generated history of orders as the orders package stores
// them: an orders row, its attempts, and the events a report or scorecard
// reads (created, route, attempt, status changes, settlements), written
// in one transaction with prepared statements. Orders are created evenly
// over [from, from+span).
type fill struct {
	orders      int
	from        time.Time
	span        time.Duration
	games       int
	suppliers   []string
	storefronts []string
	seed        uint64
}

// fillCounts are what a fill wrote, for the benchmark's report.
type fillCounts struct {
	orders, attempts, events int
}

func (f fill) write(ctx context.Context, db *syncd.DB) (fillCounts, error) {
	var n fillCounts
	rng := rand.New(rand.NewPCG(f.seed, 16))
	tx, err := db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return n, err
	}
	defer tx.Rollback()
	insOrder, err := tx.PrepareContext(ctx, `INSERT INTO orders (id, reference, request_hash, storefront, item_id, game_id,
		item_name, tier, fields, price, status, reason, supplier, cost, explain, catalog_version, version, created_at, updated_at, settle_by)
		VALUES (?, ?, 'h', ?, ?, ?, ?, 'public', '{"user_id":"12345678","server":"1234"}', ?, ?, ?, ?, ?, ?, 7, 3, ?, ?, ?)`)
	if err != nil {
		return n, err
	}
	insAttempt, err := tx.PrepareContext(ctx, `INSERT INTO order_attempts (order_id, seq, supplier, offer_id, product_code, cost,
		supplier_ref, state, purchase, message, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, '{}', ?, ?, ?)`)
	if err != nil {
		return n, err
	}
	insEvent, err := tx.PrepareContext(ctx, `INSERT INTO order_events (order_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return n, err
	}
	// An explain trace of the size orders stores, so the table is as
	// large as a real one: the report must not read it.
	explain := `{"item":"x","tier":"public","steps":[` + strings.Repeat(`{"stage":"rule","input":"12345","output":"12400","why":"markup_percent 8 rounded up to 100"},`, 12) + `{}]}`
	event := func(id string, at time.Time, kind, actor string, detail any) error {
		b, _ := json.Marshal(detail)
		n.events++
		_, err := insEvent.ExecContext(ctx, id, syncd.FormatTime(at), kind, actor, string(b))
		return err
	}
	step := f.span / time.Duration(f.orders)
	for i := range f.orders {
		id := fmt.Sprintf("ord_%016d", i)
		created := f.from.Add(step*time.Duration(i) + time.Duration(rng.Int64N(int64(step))))
		game := fmt.Sprintf("game-%02d", rng.IntN(f.games))
		front := f.storefronts[rng.IntN(len(f.storefronts))]
		price := 10_000 + rng.Int64N(490_000)
		cost := price * (850 + rng.Int64N(130)) / 1000
		sup := f.suppliers[rng.IntN(len(f.suppliers))]
		other := f.suppliers[(indexOf(f.suppliers, sup)+1)%len(f.suppliers)]
		// Most orders end in a few seconds to two minutes; those of the
		// last five minutes are still in flight, and one in a thousand
		// waits for an operator.
		status, reason := "success", ""
		switch r := rng.Float64(); {
		case f.span-step*time.Duration(i) < 5*time.Minute:
			status = "processing"
		case r < 0.03:
			status, reason = "failed", "sup reported failed"
		case r < 0.031:
			status, reason = "attention", "outcome unknown"
		}
		fallback, unknown, settled := rng.Float64() < 0.03, rng.Float64() < 0.02, false
		if status == "success" && rng.Float64() < 0.005 {
			settled = true
		}
		updated := created.Add(time.Duration(2000+rng.Int64N(118_000)) * time.Millisecond)
		var costArg any = cost
		if status != "success" && status != "attention" && status != "processing" {
			costArg = nil
		}
		if _, err := insOrder.ExecContext(ctx, id, fmt.Sprintf("ref-%d", i), front, game+".item", game, "Item", price,
			status, reason, sup, costArg, explain, syncd.FormatTime(created), syncd.FormatTime(updated),
			syncd.FormatTime(created.Add(10*time.Minute))); err != nil {
			return n, err
		}
		n.orders++
		if err := event(id, created, "created", front, map[string]any{"price": price, "tier": "public"}); err != nil {
			return n, err
		}
		seq := 1
		cands := []map[string]any{
			{"offer": 1, "supplier": sup, "cost": cost, "min_price": fmt.Sprint(cost), "verdict": "tried"},
			{"offer": 2, "supplier": other, "cost": cost + 100, "min_price": fmt.Sprint(cost + 100), "verdict": "spare"},
		}
		if fallback {
			// The first supplier refused; the order went to the one that
			// delivered.
			cands[0]["supplier"], cands[1]["supplier"] = other, sup
			if err := event(id, created, "route", "syncd", map[string]any{"candidates": cands, "why": ""}); err != nil {
				return n, err
			}
			ref := fmt.Sprintf("SD%016d01", i)
			if _, err := insAttempt.ExecContext(ctx, id, seq, other, "P1", cost, ref, "rejected",
				other+" place P1 ref "+ref+": supplier did not take the order: "+other+" POST /order: rejected (http 400): Produk sedang gangguan",
				syncd.FormatTime(created), syncd.FormatTime(created)); err != nil {
				return n, err
			}
			n.attempts++
			if err := event(id, created, "attempt", "syncd", map[string]any{"seq": seq, "supplier": other, "outcome": "rejected", "state": "rejected"}); err != nil {
				return n, err
			}
			seq++
			cands = []map[string]any{{"offer": 1, "supplier": other, "cost": cost, "verdict": "skipped", "why": "tried before for this order (rejected)"},
				{"offer": 2, "supplier": sup, "cost": cost, "min_price": fmt.Sprint(cost), "verdict": "tried"}}
		}
		if err := event(id, created, "route", "syncd", map[string]any{"candidates": cands, "why": ""}); err != nil {
			return n, err
		}
		state := map[string]string{"success": "succeeded", "failed": "failed", "attention": "unknown", "processing": "accepted"}[status]
		ref := fmt.Sprintf("SD%016d%02d", i, seq)
		if _, err := insAttempt.ExecContext(ctx, id, seq, sup, "P2", cost, ref, state, "", syncd.FormatTime(created), syncd.FormatTime(updated)); err != nil {
			return n, err
		}
		n.attempts++
		outcome := "accepted"
		if unknown || status == "attention" {
			outcome = "unknown"
		}
		if err := event(id, created, "attempt", "syncd", map[string]any{"seq": seq, "supplier": sup, "outcome": outcome, "state": state}); err != nil {
			return n, err
		}
		if err := event(id, created, "status", "syncd", map[string]any{"from": "pending", "to": "processing"}); err != nil {
			return n, err
		}
		if settled {
			if err := event(id, updated, "settled", "ops", map[string]any{"succeeded": true, "note": "checked"}); err != nil {
				return n, err
			}
		}
		if status == "success" || status == "failed" {
			if err := event(id, updated, "status", "syncd", map[string]any{"from": "processing", "to": status}); err != nil {
				return n, err
			}
		}
	}
	return n, tx.Commit()
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}
