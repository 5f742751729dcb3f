package reports

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testenv"
)

func openDB(t testing.TB) *syncd.DB {
	t.Helper()
	db := testenv.NewDB(t)
	return db
}

// fixAttempt is one supplier attempt of a fixture order: its final state,
// and the outcome of its first send as the attempt event records it.
type fixAttempt struct {
	supplier, state, outcome, message string
	cost                              int64
}

// fixOrder is an order written as the orders package writes one: the
// order row, its attempts, and its events (created, a route decision and
// an attempt event per attempt, each status change, a settlement).
type fixOrder struct {
	id, game, storefront, supplier string
	price                          int64
	cost                           *int64 // orders.cost: the supplier holding or having delivered it
	created                        time.Time
	took                           time.Duration // created → the last status change
	path                           []string      // statuses after pending
	attempts                       []fixAttempt
	settled                        bool           // the last change was an operator's
	spares                         map[int]string // attempt → a supplier routing found viable but dearer
}

func rp(n int64) *int64 { return &n }

func (o fixOrder) write(t testing.TB, db *syncd.DB) {
	t.Helper()
	ctx := context.Background()
	status := "pending"
	if len(o.path) > 0 {
		status = o.path[len(o.path)-1]
	}
	updated := o.created.Add(o.took)
	tx, err := db.Write.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("order %s: %v", o.id, err)
		}
	}
	event := func(at time.Time, kind, actor string, detail any) {
		t.Helper()
		b, _ := json.Marshal(detail)
		exec(`INSERT INTO order_events (order_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`,
			o.id, syncd.FormatTime(at), kind, actor, string(b))
	}
	exec(`INSERT INTO orders (id, reference, request_hash, storefront, item_id, game_id, item_name, tier, fields,
		price, status, supplier, cost, explain, created_at, updated_at, settle_by)
		VALUES (?, ?, 'h', ?, ?, ?, 'Item', 'public', '{}', ?, ?, ?, ?, '', ?, ?, ?)`,
		o.id, "ref-"+o.id, o.storefront, o.game+".item", o.game, o.price, status, o.supplier, o.cost,
		syncd.FormatTime(o.created), syncd.FormatTime(updated), syncd.FormatTime(o.created.Add(10*time.Minute)))
	event(o.created, "created", o.storefront, map[string]any{"price": o.price, "tier": "public"})
	for i, a := range o.attempts {
		seq := i + 1
		cands := []map[string]any{}
		for _, prev := range o.attempts[:i] {
			cands = append(cands, map[string]any{"offer": 0, "supplier": prev.supplier, "cost": prev.cost,
				"verdict": "skipped", "why": "tried before for this order (" + prev.state + ")"})
		}
		cands = append(cands, map[string]any{"offer": seq, "supplier": a.supplier, "cost": a.cost, "min_price": fmt.Sprint(a.cost), "verdict": "tried"})
		if sp := o.spares[seq]; sp != "" {
			cands = append(cands, map[string]any{"offer": 99, "supplier": sp, "cost": a.cost + 500, "min_price": fmt.Sprint(a.cost + 500), "verdict": "spare"})
		}
		event(o.created, "route", "syncd", map[string]any{"why": "", "candidates": cands})
		ref := fmt.Sprintf("SD%s%02d", o.id, seq)
		exec(`INSERT INTO order_attempts (order_id, seq, supplier, offer_id, product_code, cost, supplier_ref, state, purchase,
			message, created_at, updated_at) VALUES (?, ?, ?, ?, 'P', ?, ?, ?, '{}', ?, ?, ?)`,
			o.id, seq, a.supplier, seq, a.cost, ref, a.state, a.message, syncd.FormatTime(o.created), syncd.FormatTime(updated))
		event(o.created, "attempt", "syncd", map[string]any{"seq": seq, "supplier": a.supplier, "supplier_ref": ref,
			"outcome": a.outcome, "state": a.state, "message": a.message, "supplier_status": ""})
	}
	from := "pending"
	for i, to := range o.path {
		at, actor := o.created, "syncd"
		if i == len(o.path)-1 {
			at = updated
			if o.settled {
				actor = "ops"
				event(at, "settled", actor, map[string]any{"succeeded": to == "success", "sn": "", "note": "checked with the supplier"})
			}
		}
		event(at, "status", actor, map[string]any{"from": from, "to": to, "reason": ""})
		from = to
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

var day1 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// fixture is the hand-computed report's orders. The period is 1–3
// December in Asia/Jakarta (UTC+7): [30 Nov 17:00, 3 Dec 17:00) UTC.
func fixture() []fixOrder {
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
	return []fixOrder{
		// A: delivered at once. Local 1 Dec 09:00.
		{id: "A", game: "ml", storefront: "shop-a", supplier: "alpha", price: 20_000, cost: rp(18_000),
			created: at(1, 2, 0), took: 4 * time.Second, path: []string{"processing", "success"},
			attempts: []fixAttempt{{"alpha", "succeeded", "accepted", "", 18_000}}, spares: map[int]string{1: "beta"}},
		// B: beta refused it clearly; it fell back to alpha, which
		// delivered. Local 2 Dec 03:00.
		{id: "B", game: "ml", storefront: "shop-a", supplier: "alpha", price: 30_000, cost: rp(26_500),
			created: at(1, 20, 0), took: 10500 * time.Millisecond, path: []string{"processing", "success"},
			attempts: []fixAttempt{
				{"beta", "rejected", "rejected", "beta place P ref SDB01: supplier did not take the order: beta POST /order: rejected (http 400): Produk sedang gangguan", 25_000},
				{"alpha", "succeeded", "accepted", "", 26_500}}, spares: map[int]string{1: "alpha"}},
		// C: beta's reply was lost; reconciling timed out: attention.
		{id: "C", game: "ff", storefront: "shop-b", supplier: "beta", price: 15_000, cost: rp(13_000),
			created: at(2, 5, 0), took: 16 * time.Minute, path: []string{"processing", "attention"},
			attempts: []fixAttempt{{"beta", "unknown", "unknown", "timeout", 13_000}}, spares: map[int]string{1: "alpha"}},
		// D: the same at alpha, then an operator settled it delivered
		// two hours after intake.
		{id: "D", game: "ff", storefront: "shop-b", supplier: "alpha", price: 10_000, cost: rp(9_000),
			created: at(2, 6, 0), took: 2 * time.Hour, path: []string{"processing", "attention", "success"}, settled: true,
			attempts: []fixAttempt{{"alpha", "succeeded", "unknown", "settled by ops", 9_000}}},
		// E: beta took it, then reported it failed (refunded); no other
		// supplier could deliver at its price: failed. Local 3 Dec.
		{id: "E", game: "ml", storefront: "shop-a", supplier: "beta", price: 50_000, cost: rp(47_000),
			created: at(3, 1, 0), took: 40 * time.Second, path: []string{"processing", "failed"},
			attempts: []fixAttempt{{"beta", "failed", "accepted", "", 47_000}}},
		// F: unknown at beta, attention, settled as not delivered.
		{id: "F", game: "ml", storefront: "shop-b", supplier: "beta", price: 12_000, cost: rp(11_000),
			created: at(3, 3, 0), took: 3 * time.Hour, path: []string{"processing", "attention", "failed"}, settled: true,
			attempts: []fixAttempt{{"beta", "failed", "unknown", "settled by ops", 11_000}}},
		// G: in flight at alpha. Local 3 Dec 23:30.
		{id: "G", game: "ml", storefront: "shop-a", supplier: "alpha", price: 8_000, cost: rp(7_000),
			created: at(3, 16, 30), took: time.Second, path: []string{"processing"},
			attempts: []fixAttempt{{"alpha", "accepted", "accepted", "", 7_000}}},
		// H and I: just after and just before the period.
		{id: "H", game: "ml", storefront: "shop-a", supplier: "alpha", price: 99_000, cost: rp(1_000),
			created: at(3, 17, 0), took: time.Second, path: []string{"processing", "success"},
			attempts: []fixAttempt{{"alpha", "succeeded", "accepted", "", 1_000}}},
		{id: "I", game: "ml", storefront: "shop-a", supplier: "alpha", price: 99_000, cost: rp(1_000),
			created: time.Date(2026, 11, 30, 16, 59, 59, 0, time.UTC), took: time.Second, path: []string{"processing", "success"},
			attempts: []fixAttempt{{"alpha", "succeeded", "accepted", "", 1_000}}},
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
