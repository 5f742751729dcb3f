package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/senpay"
)

// statusDelivery is Senpay's transaction_status for syncd's order i.
func statusDelivery(i int) ([]byte, string) {
	txn := fmt.Sprintf("TRX%017d", i)
	return []byte(fmt.Sprintf(`{"webhook_type": "transaction_status", "reference": %q,
		"partner_reference": "SD%016d01", "status": "success", "sn": "SN-%d", "note": "Transaksi berhasil",
		"sent_at": "2024-07-02T13:11:43.249729Z"}`, txn, i, i)), txn
}

// slowUpdater is an order service that takes a moment over each update,
// so that two instances' work overlaps, and counts them by transaction.
type slowUpdater struct {
	mu    sync.Mutex
	calls map[string]int
}

func (u *slowUpdater) apply(_ context.Context, up orders.Update) error {
	time.Sleep(time.Millisecond)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls[up.Txn]++
	return nil
}

// TestTwoInstancesApplyEachDeliveryOnce: two instances (two pools on one
// PostgreSQL database, as two processes) replay the stored deliveries and
// receive them again, all at once; each reaches the order service once,
// and every delivery ends processed with its outcome.
func TestTwoInstancesApplyEachDeliveryOnce(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("several instances share a PostgreSQL database; a SQLite file has one process")
	}
	h := newHarness(t)
	ctx := context.Background()
	second, err := syncd.Open(ctx, h.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	u := &slowUpdater{calls: map[string]int{}}
	instances := []*Inbox{
		New(h.db, h.cat, slog.New(slog.DiscardHandler), testHooks, WithClock(h.clk.Now), WithOrders(u.apply)),
		New(second, h.cat, slog.New(slog.DiscardHandler), testHooks, WithClock(h.clk.Now), WithOrders(u.apply)),
	}

	// Stored, never applied: the first instance crashed after storing
	// each of the first 40; the last 20 arrive during the replays.
	const stored, n = 40, 60
	crash := errors.New("crash")
	instances[0].afterStore = func(int64) error { return crash }
	for i := range stored {
		body, _ := statusDelivery(i)
		if _, err := instances[0].Receive(ctx, senpay.Name, body, "a"); !errors.Is(err, crash) {
			t.Fatalf("delivery %d: got %v, want the crash", i, err)
		}
	}
	instances[0].afterStore = nil

	var wg sync.WaitGroup
	errs := make(chan error, 2*n+2)
	for _, in := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := in.Replay(ctx); err != nil {
				errs <- err
			}
		}()
	}
	// Every delivery, stored or new, sent to both instances at once (the
	// supplier's retries landing on either behind a load balancer).
	for i := range n {
		body, _ := statusDelivery(i)
		for _, in := range instances {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := in.Receive(ctx, senpay.Name, body, "b")
				if err == nil && (!res.Accepted || res.Message != senpay.MessageStatusApplied) {
					err = fmt.Errorf("delivery %d: got %+v, want it applied", i, res)
				}
				if err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for i := range n {
		if _, txn := statusDelivery(i); u.calls[txn] != 1 {
			t.Errorf("%s: applied %d times, want once", txn, u.calls[txn])
		}
	}
	rs := h.rows(t)
	if len(rs) != n {
		t.Fatalf("inbox: %d rows, want %d", len(rs), n)
	}
	for _, r := range rs {
		if r.ProcessedAt == nil || r.Outcome == "" {
			t.Errorf("delivery %d: processed %v, outcome %q: want it processed with its outcome", r.ID, r.ProcessedAt, r.Outcome)
		}
	}
	// Nothing is left for a later replay on either.
	for _, in := range instances {
		if k, err := in.Replay(ctx); err != nil || k != 0 {
			t.Fatalf("replay after: got %d, %v; want 0", k, err)
		}
	}
}
