package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/testclock"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers"
	"github.com/syncd/syncd/suppliers/senpay"
	"github.com/syncd/syncd/suppliers/senpay/senpaysim"
	"github.com/syncd/syncd/suppliers/testsims"
)

// Products of the demo catalog the tests move. 86 Diamonds is also sold by
// a second Senpay provider, so the item stays in the catalog whatever one
// offer does.
const (
	code86  = "MLBB-BJ-V3-ALLMLBB_ID_86" // 22870 in the demo catalog
	code172 = "MLBB-BJ-V3-ALLMLBB_ID_172"
)

// harness is an inbox over a real database holding Senpay's demo catalog,
// synced from the simulator by the real client, with a snapshot built.
type harness struct {
	path  string // the database's DSN
	db    *syncd.DB
	cat   *catalog.Catalog
	in    *Inbox
	clk   *testclock.Clock
	sim   *senpaysim.Sim
	synct time.Time // when the sync started: the offers' cost_at
}

// testHooks are the webhook capabilities the inbox is built with: Senpay's,
// as its descriptor registers it.
var testHooks = map[string]*suppliers.Webhook{senpay.Name: senpay.Descriptor.Webhook}

// synced is the demo catalog synced, made once per test binary:
// migrating and syncing afresh for each test would dominate their time
// under -race.
var synced = sync.OnceValues(func() (*testenv.Fixture, error) {
	return testenv.DBFile(func(ctx context.Context, db *syncd.DB) error {
		sims := testenv.Start(0, testsims.NewSenpay(senpaysim.Options{}).Supplier())
		defer sims.Close()
		_, err := offers.NewSyncer(db, slog.New(slog.DiscardHandler)).Sync(ctx, senpay.Name, sims.Client(senpay.Name))
		return err
	})
})

func newHarness(t *testing.T) *harness {
	t.Helper()
	t.Parallel()
	file, err := synced()
	if err != nil {
		t.Fatalf("synced database: %v", err)
	}
	sp := testsims.NewSenpay(senpaysim.Options{})
	te := testenv.New(t, testenv.Config{Suppliers: []testenv.Supplier{sp.Supplier()}, File: file, Clock: testclock.Live()})
	te.Refresh(t)
	// The sync stamped every offer's cost with its start.
	var costAt string
	if err := te.DB.Read.Get(&costAt, `SELECT max(cost_at) FROM offers`); err != nil {
		t.Fatal(err)
	}
	synct, err := time.Parse(time.RFC3339Nano, costAt)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{path: te.Path, db: te.DB, cat: te.Catalog, clk: te.Clock, sim: sp.Sim, synct: synct,
		in: New(te.DB, te.Catalog, te.Log, testHooks, WithClock(te.Clock.Now))}
}

func priceUpdate(changes ...string) []byte {
	var items []string
	for i := 0; i+2 < len(changes); i += 3 {
		items = append(items, fmt.Sprintf(`{"product_code": %q, "price_old": %s, "price_new": %s}`, changes[i], changes[i+1], changes[i+2]))
	}
	return []byte(`{"webhook_type": "price_update", "data": [` + strings.Join(items, ", ") + `]}`)
}

func (h *harness) cost(t *testing.T, code string) int64 {
	t.Helper()
	var c int64
	if err := h.db.Read.Get(&c, `SELECT cost FROM offers WHERE supplier = 'senpay' AND code = ?`, code); err != nil {
		t.Fatal(err)
	}
	return c
}

func (h *harness) webhookHistory(t *testing.T, code string) int {
	t.Helper()
	var n int
	const q = `SELECT count(*) FROM cost_history JOIN offers ON offers.id = offer_id
		WHERE source = 'webhook' AND supplier = 'senpay' AND code = ?`
	if err := h.db.Read.Get(&n, q, code); err != nil {
		t.Fatal(err)
	}
	return n
}

type row struct {
	ID          int64   `db:"id"`
	Kind        string  `db:"kind"`
	Remote      string  `db:"remote"`
	Body        string  `db:"body"`
	ReceivedAt  string  `db:"received_at"`
	ProcessedAt *string `db:"processed_at"`
	Outcome     string  `db:"outcome"`
	Digest      string  `db:"digest"`
	Supplier    string  `db:"supplier"`
}

func (h *harness) rows(t *testing.T) []row {
	t.Helper()
	var rs []row
	if err := h.db.Read.Select(&rs, `SELECT id, supplier, kind, digest, body, remote, received_at, processed_at, outcome FROM webhook_inbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestReceivePriceUpdate(t *testing.T) {
	h := newHarness(t)
	before := h.cat.Snapshot().Version
	body := priceUpdate(code86, "22870", "21000", "NOPE-1", "100", "200")
	res, err := h.in.Receive(context.Background(), senpay.Name, body, "206.189.83.1")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accepted || res.Message != senpay.MessagePricesUpdated || res.Duplicate || res.Kind != senpay.WebhookPriceUpdate {
		t.Fatalf("result: got %+v", res)
	}
	if c := res.Costs; c == nil || len(c.Applied) != 1 || len(c.Unknown) != 1 || c.Unknown[0] != "NOPE-1" || c.Version != before+1 {
		t.Fatalf("costs: got %+v, want %s applied, NOPE-1 unknown, version %d", res.Costs, code86, before+1)
	}
	if got := h.cost(t, code86); got != 21000 {
		t.Fatalf("cost: got %d, want 21000", got)
	}
	if v := h.cat.Snapshot().Version; v != before+1 {
		t.Fatalf("snapshot: got version %d, want %d", v, before+1)
	}
	rs := h.rows(t)
	if len(rs) != 1 {
		t.Fatalf("inbox: got %d rows, want 1", len(rs))
	}
	r := rs[0]
	if r.ID != res.ID || r.Kind != "price_update" || r.Remote != "206.189.83.1" || r.Body != string(body) || r.ProcessedAt == nil || len(r.Digest) != 64 {
		t.Fatalf("inbox row: got %+v", r)
	}
	var out Outcome
	if err := json.Unmarshal([]byte(r.Outcome), &out); err != nil || !out.Accepted || out.Costs == nil || out.Costs.Unknown[0] != "NOPE-1" {
		t.Fatalf("stored outcome: got %s (%v)", r.Outcome, err)
	}
}

func TestDuplicateIsAppliedOnce(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	first := priceUpdate(code86, "22870", "21000")
	r1, err := h.in.Receive(ctx, senpay.Name, first, "a")
	if err != nil {
		t.Fatal(err)
	}
	// A newer word moves the price on; then the first is delivered again.
	if _, err := h.in.Receive(ctx, senpay.Name, priceUpdate(code86, "21000", "23000"), "a"); err != nil {
		t.Fatal(err)
	}
	r2, err := h.in.Receive(ctx, senpay.Name, first, "b")
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Duplicate || r2.ID != r1.ID || r2.Message != r1.Message || r2.Accepted != r1.Accepted ||
		len(r2.Costs.Applied) != 1 || r2.Costs.Version != r1.Costs.Version {
		t.Fatalf("redelivery: got %+v, want the first's outcome %+v", r2, r1)
	}
	if got := h.cost(t, code86); got != 23000 {
		t.Fatalf("cost after the redelivery: got %d, want the newer 23000", got)
	}
	if n := h.webhookHistory(t, code86); n != 2 {
		t.Fatalf("webhook cost history: got %d rows, want 2 (one per distinct delivery)", n)
	}
	if n := len(h.rows(t)); n != 2 {
		t.Fatalf("inbox: got %d rows, want 2", n)
	}
}

func TestBadInputStoresNothing(t *testing.T) {
	h := newHarness(t)
	before := h.cat.Snapshot().Version
	for name, body := range map[string]string{
		"not json":          `<html>502 Bad Gateway</html>`,
		"empty":             ``,
		"unknown type":      `{"webhook_type": "balance_update", "data": []}`,
		"no type":           `{"data": [{"product_code": "x", "price_new": 1}]}`,
		"no data":           `{"webhook_type": "price_update"}`,
		"no price_new":      `{"webhook_type": "price_update", "data": [{"product_code": "` + code86 + `", "price_old": 1}]}`,
		"no product_code":   `{"webhook_type": "price_update", "data": [{"price_new": 1}]}`,
		"negative":          string(priceUpdate(code86, "22870", "-1")),
		"absurd":            string(priceUpdate(code86, "22870", "1e12")),
		"listed twice":      string(priceUpdate(code86, "1", "2", code86, "1", "3")),
		"no reference":      `{"webhook_type": "transaction_status", "status": "success"}`,
		"trailing garbage":  string(priceUpdate(code86, "22870", "21000")) + `}`,
		"price as an array": `{"webhook_type": "price_update", "data": [{"product_code": "x", "price_new": [1]}]}`,
		// Issue 12: a body two readers could read differently, or a date
		// that is not one.
		"repeated webhook_type": `{"webhook_type": "bogus", "webhook_type": "price_update", "data": [{"product_code": "` + code86 + `", "price_new": 21000}]}`,
		"repeated price_new":    `{"webhook_type": "price_update", "data": [{"product_code": "` + code86 + `", "price_new": 1, "price_new": 21000}]}`,
		"miscased member":       `{"webhook_type": "price_update", "Data": [{"product_code": "` + code86 + `", "price_new": 21000}]}`,
		"sent_at yesterday":     `{"webhook_type": "price_update", "sent_at": "yesterday", "data": [{"product_code": "` + code86 + `", "price_new": 21000}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			res, err := h.in.Receive(context.Background(), senpay.Name, []byte(body), "a")
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %+v, %v; want ErrInvalid", res, err)
			}
		})
	}
	if _, err := h.in.Receive(context.Background(), "isipay", priceUpdate(code86, "1", "2"), "a"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another supplier: got %v, want ErrInvalid", err)
	}
	if n := len(h.rows(t)); n != 0 {
		t.Fatalf("inbox: got %d rows, want none", n)
	}
	if got := h.cost(t, code86); got != 22870 {
		t.Fatalf("cost: got %d, want 22870", got)
	}
	if v := h.cat.Snapshot().Version; v != before {
		t.Fatalf("snapshot version: got %d, want %d", v, before)
	}
}

// A crash between storing and applying: the delivery waits in the inbox
// and Replay applies it once, dated by its receipt.
func TestReplayAfterCrash(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	crash := errors.New("crash")
	h.in.afterStore = func(int64) error { return crash }
	if _, err := h.in.Receive(ctx, senpay.Name, priceUpdate(code86, "22870", "21000"), "a"); !errors.Is(err, crash) {
		t.Fatalf("got %v, want the crash", err)
	}
	if _, err := h.in.Receive(ctx, senpay.Name, priceUpdate(code172, "45610", "47000"), "a"); !errors.Is(err, crash) {
		t.Fatalf("got %v, want the crash", err)
	}
	if got := h.cost(t, code86); got != 22870 {
		t.Fatalf("cost before replay: got %d, want 22870", got)
	}
	rs := h.rows(t)
	if len(rs) != 2 || rs[0].ProcessedAt != nil || rs[1].ProcessedAt != nil {
		t.Fatalf("inbox before replay: got %+v, want two pending rows", rs)
	}

	// A restarted process: a new inbox over the same database.
	in := New(h.db, h.cat, slog.New(slog.DiscardHandler), testHooks)
	n, err := in.Replay(ctx)
	if err != nil || n != 2 {
		t.Fatalf("replay: got %d, %v; want 2", n, err)
	}
	if h.cost(t, code86) != 21000 || h.cost(t, code172) != 47000 {
		t.Fatalf("after replay: costs %d, %d; want 21000, 47000", h.cost(t, code86), h.cost(t, code172))
	}
	var costAt string
	if err := h.db.Read.Get(&costAt, `SELECT cost_at FROM offers WHERE code = ?`, code86); err != nil || costAt != rs[0].ReceivedAt {
		t.Fatalf("cost_at: got %q (%v), want the receipt %q", costAt, err, rs[0].ReceivedAt)
	}
	if n, err := in.Replay(ctx); err != nil || n != 0 {
		t.Fatalf("second replay: got %d, %v; want nothing to do", n, err)
	}
	// The sender's redelivery now gets the stored outcome.
	res, err := in.Receive(ctx, senpay.Name, priceUpdate(code86, "22870", "21000"), "a")
	if err != nil || !res.Duplicate || !res.Accepted || res.Message != senpay.MessagePricesUpdated {
		t.Fatalf("redelivery: got %+v, %v", res, err)
	}
	if n := h.webhookHistory(t, code86); n != 1 {
		t.Fatalf("webhook cost history: got %d rows, want 1", n)
	}
}

// A redelivery of a delivery stored but never applied applies it.
func TestRedeliveryAppliesPending(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.in.afterStore = func(int64) error { return errors.New("crash") }
	body := priceUpdate(code86, "22870", "21000")
	if _, err := h.in.Receive(ctx, senpay.Name, body, "a"); err == nil {
		t.Fatal("no crash")
	}
	h.in.afterStore = nil
	res, err := h.in.Receive(ctx, senpay.Name, body, "a")
	if err != nil || !res.Duplicate || !res.Accepted || len(res.Costs.Applied) != 1 {
		t.Fatalf("redelivery: got %+v, %v", res, err)
	}
	if got := h.cost(t, code86); got != 21000 {
		t.Fatalf("cost: got %d, want 21000", got)
	}
}

// Replay applies pending deliveries in the order received: the later
// price stands.
func TestReplayInOrder(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	const insert = `INSERT INTO webhook_inbox (supplier, kind, digest, body, received_at) VALUES ('senpay', 'price_update', ?, ?, ?)`
	now := time.Now()
	for i, price := range []string{"21000", "21500", "20500"} {
		body := priceUpdate(code86, "0", price)
		if _, err := h.db.Write.Exec(insert, fmt.Sprint(i), string(body), syncd.FormatTime(now.Add(time.Duration(i)*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := h.in.Replay(ctx); err != nil || n != 3 {
		t.Fatalf("replay: got %d, %v", n, err)
	}
	if got := h.cost(t, code86); got != 20500 {
		t.Fatalf("cost: got %d, want the last delivery's 20500", got)
	}
}

// Out of order: a delivery dated before the stored cost (its sent_at, or
// for a replay its receipt, is older than the last sync) is not applied.
func TestOlderThanStoredIsNotApplied(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	old := h.synct.Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	body := []byte(`{"webhook_type": "price_update", "sent_at": "` + old + `",
		"data": [{"product_code": "` + code86 + `", "price_old": 22870, "price_new": 1000}]}`)
	res, err := h.in.Receive(ctx, senpay.Name, body, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accepted || len(res.Costs.Stale) != 1 || len(res.Costs.Applied) != 0 {
		t.Fatalf("result: got %+v, want accepted with the change stale", res.Costs)
	}
	if got := h.cost(t, code86); got != 22870 {
		t.Fatalf("cost: got %d, want the sync's 22870", got)
	}

	// A delivery received before the last sync, left pending by a crash.
	const insert = `INSERT INTO webhook_inbox (supplier, kind, digest, body, received_at) VALUES ('senpay', 'price_update', 'x', ?, ?)`
	if _, err := h.db.Write.Exec(insert, string(priceUpdate(code86, "22870", "1000")), syncd.FormatTime(h.synct.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.in.Replay(ctx); err != nil {
		t.Fatal(err)
	}
	if got := h.cost(t, code86); got != 22870 {
		t.Fatalf("cost after replaying an older delivery: got %d, want 22870", got)
	}
}

// A sent_at ahead of syncd's clock dates the change at its receipt: a
// sender's clock must not put a cost beyond the reach of later syncs.
func TestFutureSentAtIsClamped(t *testing.T) {
	h := newHarness(t)
	received := time.Now().Add(time.Second)
	h.clk.Set(received)
	body := []byte(`{"webhook_type": "price_update", "sent_at": "2099-01-01T00:00:00Z",
		"data": [{"product_code": "` + code86 + `", "price_new": 21000}]}`)
	if _, err := h.in.Receive(context.Background(), senpay.Name, body, "a"); err != nil {
		t.Fatal(err)
	}
	var costAt string
	if err := h.db.Read.Get(&costAt, `SELECT cost_at FROM offers WHERE code = ?`, code86); err != nil {
		t.Fatal(err)
	}
	if costAt != syncd.FormatTime(received) {
		t.Fatalf("cost_at: got %s, want the receipt %s", costAt, syncd.FormatTime(received))
	}
}

func TestTransactionStatusIsKept(t *testing.T) {
	h := newHarness(t)
	before := h.cat.Snapshot().Version
	body := []byte(`{"webhook_type": "transaction_status", "reference": "TRX24070385294000934",
		"partner_reference": "INV12345678", "status": "success", "sn": "N\/A", "sent_at": "2024-07-02T13:11:43.249729Z"}`)
	for i := range 2 {
		res, err := h.in.Receive(context.Background(), senpay.Name, body, "a")
		if err != nil {
			t.Fatal(err)
		}
		if res.Accepted || res.Message != "Transaksi tidak ditemukan: TRX24070385294000934" || res.Duplicate != (i == 1) {
			t.Fatalf("delivery %d: got %+v", i, res)
		}
	}
	rs := h.rows(t)
	if len(rs) != 1 || rs[0].Kind != "transaction_status" || rs[0].ProcessedAt == nil || !strings.Contains(rs[0].Outcome, "Transaksi tidak ditemukan") {
		t.Fatalf("inbox: got %+v", rs)
	}
	if v := h.cat.Snapshot().Version; v != before {
		t.Fatalf("snapshot version: got %d, want %d", v, before)
	}
}

// updater stands for the order service behind WithOrders: it knows the
// transactions in known, fails while fail is set, and records every call.
type updater struct {
	mu    sync.Mutex
	known map[string]bool // Senpay references of syncd's orders
	fail  error
	calls []orders.Update
}

func (u *updater) apply(_ context.Context, up orders.Update) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls = append(u.calls, up)
	if u.fail != nil {
		return u.fail
	}
	if !u.known[up.Txn] {
		return fmt.Errorf("%s transaction %q: %w", up.Supplier, up.Txn, orders.ErrNotFound)
	}
	return nil
}

func (u *updater) called() []orders.Update {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]orders.Update(nil), u.calls...)
}

// withOrders is h's inbox again, sending transaction_status to u.
func (h *harness) withOrders(u *updater) *Inbox {
	return New(h.db, h.cat, slog.New(slog.DiscardHandler), testHooks, WithClock(h.clk.Now), WithOrders(u.apply))
}

const statusBody = `{"webhook_type": "transaction_status", "reference": "TRX24070385294000934",
	"partner_reference": "SDABCDEFGHIJKLMNOP01", "status": "success", "sn": "SN-123", "note": "Transaksi berhasil",
	"sent_at": "2024-07-02T13:11:43.249729Z"}`

// A transaction the order service does not know is refused as Senpay's
// document refuses it, and kept.
func TestTransactionStatusUnknownOrder(t *testing.T) {
	h := newHarness(t)
	u := &updater{}
	in := h.withOrders(u)
	res, err := in.Receive(context.Background(), senpay.Name, []byte(statusBody), "a")
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted || res.Message != "Transaksi tidak ditemukan: TRX24070385294000934" {
		t.Fatalf("result: got %+v, want refused as an unknown transaction", res)
	}
	if n := len(u.called()); n != 1 {
		t.Fatalf("order service: got %d calls, want 1", n)
	}
	rs := h.rows(t)
	if len(rs) != 1 || rs[0].Kind != "transaction_status" || rs[0].ProcessedAt == nil || !strings.Contains(rs[0].Outcome, "Transaksi tidak ditemukan") {
		t.Fatalf("inbox: got %+v, want the delivery kept, processed, with the refusal", rs)
	}
}

// A status for one of syncd's orders reaches the order service once, in
// its terms, however often Senpay delivers it.
func TestTransactionStatusApplied(t *testing.T) {
	h := newHarness(t)
	u := &updater{known: map[string]bool{"TRX24070385294000934": true}}
	in := h.withOrders(u)
	for i := range 2 {
		res, err := in.Receive(context.Background(), senpay.Name, []byte(statusBody), "a")
		if err != nil {
			t.Fatal(err)
		}
		if !res.Accepted || res.Message != senpay.MessageStatusApplied || res.Duplicate != (i == 1) {
			t.Fatalf("delivery %d: got %+v, want accepted, %q", i, res, senpay.MessageStatusApplied)
		}
	}
	calls := u.called()
	if len(calls) != 1 {
		t.Fatalf("order service: got %d calls, want 1", len(calls))
	}
	got := calls[0]
	if got.Supplier != senpay.Name || got.Txn != "TRX24070385294000934" || got.Ref != "SDABCDEFGHIJKLMNOP01" ||
		got.Progress != orders.Delivered || got.Status != "success" || got.SN != "SN-123" || got.At.IsZero() {
		t.Fatalf("update: got %+v", got)
	}
	if rs := h.rows(t); len(rs) != 1 || rs[0].ProcessedAt == nil {
		t.Fatalf("inbox: got %+v, want one processed row", rs)
	}
}

// An order service that fails leaves the delivery pending; Replay applies
// it later, once.
func TestTransactionStatusFailedApplyIsReplayed(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	down := errors.New("database is locked")
	u := &updater{known: map[string]bool{"TRX24070385294000934": true}, fail: down}
	in := h.withOrders(u)
	if _, err := in.Receive(ctx, senpay.Name, []byte(statusBody), "a"); !errors.Is(err, down) {
		t.Fatalf("receive: got %v, want the order service's error", err)
	}
	if rs := h.rows(t); len(rs) != 1 || rs[0].ProcessedAt != nil {
		t.Fatalf("inbox: got %+v, want one pending row", rs)
	}

	u.mu.Lock()
	u.fail = nil
	u.mu.Unlock()
	if n, err := in.Replay(ctx); err != nil || n != 1 {
		t.Fatalf("replay: got %d, %v; want 1", n, err)
	}
	if n := len(u.called()); n != 2 {
		t.Fatalf("order service: got %d calls, want 2 (the failed one and the replay)", n)
	}
	rs := h.rows(t)
	if len(rs) != 1 || rs[0].ProcessedAt == nil || !strings.Contains(rs[0].Outcome, senpay.MessageStatusApplied) {
		t.Fatalf("inbox after replay: got %+v, want processed with %q", rs, senpay.MessageStatusApplied)
	}
	// The sender's redelivery is answered from the inbox.
	res, err := in.Receive(ctx, senpay.Name, []byte(statusBody), "a")
	if err != nil || !res.Duplicate || !res.Accepted {
		t.Fatalf("redelivery: got %+v, %v", res, err)
	}
	if n := len(u.called()); n != 2 {
		t.Fatalf("order service after the redelivery: got %d calls, want still 2", n)
	}
}

// Processed deliveries older than the retention go; pending ones stay.
func TestPrune(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start := time.Now()
	h.clk.Set(start)
	h.in.retention = 24 * time.Hour
	const insert = `INSERT INTO webhook_inbox (supplier, kind, digest, body, received_at) VALUES ('senpay', 'price_update', 'pending', ?, ?)`
	if _, err := h.db.Write.Exec(insert, string(priceUpdate(code172, "1", "45610")), syncd.FormatTime(start.Add(-48*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := h.in.Receive(ctx, senpay.Name, priceUpdate(code86, "22870", "21000"), "a"); err != nil {
		t.Fatal(err)
	}
	// Two days on: the first delivery has expired; the pending row stays.
	h.clk.Set(start.Add(48 * time.Hour))
	if _, err := h.in.Receive(ctx, senpay.Name, priceUpdate(code86, "21000", "22000"), "a"); err != nil {
		t.Fatal(err)
	}
	rs := h.rows(t)
	if len(rs) != 2 || rs[0].Digest != "pending" || !strings.Contains(rs[1].Body, "22000") {
		t.Fatalf("inbox after pruning: got %+v, want the pending row and the new delivery", rs)
	}
	// Expired, a redelivery of the first body is a new delivery.
	res, err := h.in.Receive(ctx, senpay.Name, priceUpdate(code86, "22870", "21000"), "a")
	if err != nil || res.Duplicate {
		t.Fatalf("after expiry: got %+v, %v; want a new delivery", res, err)
	}
}

// The simulator's price_update, as Senpay would post it, goes in whole.
func TestSimulatorPriceUpdate(t *testing.T) {
	h := newHarness(t)
	var got Result
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		res, err := h.in.Receive(r.Context(), senpay.Name, body, r.RemoteAddr)
		if err != nil {
			t.Error(err)
		}
		got = res
		fmt.Fprintf(w, `{"status": 200, "message": %q}`, res.Message)
	}))
	defer recv.Close()
	if err := h.sim.SendPriceUpdate(context.Background(), recv.URL, []senpaysim.PriceChange{{Code: code86, Price: 21900}, {Code: code172, Price: 44000}}); err != nil {
		t.Fatal(err)
	}
	if len(got.Costs.Applied) != 2 || len(got.Costs.Discrepancies) != 0 {
		t.Fatalf("got %+v, want both applied, no discrepancy", got.Costs)
	}
	if h.cost(t, code86) != 21900 || h.cost(t, code172) != 44000 {
		t.Fatalf("costs: got %d, %d", h.cost(t, code86), h.cost(t, code172))
	}
}
