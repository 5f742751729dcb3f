package inbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd/suppliers/senpay"
)

// someOffers returns n of Senpay's offers with their costs.
func (h *harness) someOffers(t *testing.T, n int) (codes []string, costs []int64) {
	t.Helper()
	var rows []struct {
		Code string `db:"code"`
		Cost int64  `db:"cost"`
	}
	if err := h.db.Read.Select(&rows, `SELECT code, cost FROM offers WHERE supplier = 'senpay' AND item_id IS NOT NULL ORDER BY code LIMIT ?`, n); err != nil {
		t.Fatal(err)
	}
	if len(rows) < n {
		t.Fatalf("got %d offers, want %d", len(rows), n)
	}
	for _, r := range rows {
		codes, costs = append(codes, r.Code), append(costs, r.Cost)
	}
	return codes, costs
}

// blockFirst holds the first batch of stage until release is closed, and
// records the size of every batch of stage.
func (h *harness) blockFirst(stage string) (started, release chan struct{}, sizes func() []int) {
	started, release = make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var got []int
	h.in.beforeBatch = func(s string, n int) {
		if s != stage {
			return
		}
		mu.Lock()
		got = append(got, n)
		first := len(got) == 1
		mu.Unlock()
		if first {
			close(started)
			<-release
		}
	}
	return started, release, func() []int { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
}

func waitQueued(t *testing.T, queued func() int, n int) {
	t.Helper()
	for queued() < n {
		runtime.Gosched()
	}
}

// TestCostUpdatesAreAppliedTogether: cost updates that arrive while one
// batch is applied are applied in the next, together, each as if alone:
// its own costs stored, its own outcome, marked processed; a redelivery
// racing them is answered with its first delivery's outcome.
func TestCostUpdatesAreAppliedTogether(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	codes, costs := h.someOffers(t, 13)
	started, release, sizes := h.blockFirst("costs")

	body := func(i int) []byte {
		return priceUpdate(codes[i], fmt.Sprint(costs[i]), fmt.Sprint(costs[i]+7))
	}
	results := make([]Result, 13)
	errs := make([]error, 13)
	var wg sync.WaitGroup
	wg.Go(func() { results[0], errs[0] = h.in.Receive(ctx, senpay.Name, body(0), "a") })
	<-started
	for i := 1; i < 13; i++ {
		wg.Go(func() { results[i], errs[i] = h.in.Receive(ctx, senpay.Name, body(i), "a") })
	}
	waitQueued(t, h.in.costs.Queued, 12)
	var again Result
	var againErr error
	wg.Go(func() { again, againErr = h.in.Receive(ctx, senpay.Name, body(5), "b") })
	close(release)
	wg.Wait()

	if got := sizes(); !slices.Equal(got, []int{1, 12}) {
		t.Fatalf("cost batches: got sizes %v, want [1 12]", got)
	}
	for i := range 13 {
		r := results[i]
		if errs[i] != nil || !r.Accepted || r.Duplicate || r.Costs == nil || !slices.Equal(r.Costs.Applied, []string{codes[i]}) {
			t.Fatalf("delivery %d: got %+v, %v; want %s applied", i, r, errs[i], codes[i])
		}
		if got := h.cost(t, codes[i]); got != costs[i]+7 {
			t.Fatalf("cost of %s: got %d, want %d", codes[i], got, costs[i]+7)
		}
		if n := h.webhookHistory(t, codes[i]); n != 1 {
			t.Fatalf("webhook cost history of %s: got %d rows, want 1", codes[i], n)
		}
	}
	if againErr != nil || !again.Duplicate || again.ID != results[5].ID || again.Message != results[5].Message ||
		!slices.Equal(again.Costs.Applied, results[5].Costs.Applied) {
		t.Fatalf("redelivery: got %+v, %v; want the first's outcome %+v", again, againErr, results[5])
	}
	rows := h.rows(t)
	if len(rows) != 13 {
		t.Fatalf("inbox: got %d rows, want 13", len(rows))
	}
	for _, r := range rows {
		if r.ProcessedAt == nil || !strings.Contains(r.Outcome, `"accepted":true`) {
			t.Fatalf("inbox row %d: processed %v, outcome %s; want processed and accepted", r.ID, r.ProcessedAt, r.Outcome)
		}
	}
	// Every delivery is served: the last batch's version prices them all.
	snap := h.cat.Snapshot()
	for i := range 13 {
		if results[i].Costs.Version > snap.Version {
			t.Fatalf("delivery %d answered with version %d, beyond the served %d", i, results[i].Costs.Version, snap.Version)
		}
	}
}

// TestADeliveryThatCannotBeStoredFailsAlone: a batch whose durable
// commit fails is stored again one delivery at a time, so only the
// delivery the database refuses fails; the rest are stored and applied.
func TestADeliveryThatCannotBeStoredFailsAlone(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	codes, costs := h.someOffers(t, 7)
	started, release, sizes := h.blockFirst("store")
	bad := priceUpdate(codes[3], fmt.Sprint(costs[3]), fmt.Sprint(costs[3]+9))
	refused := errors.New("the database refuses this body")
	h.in.storeFails = func(body []byte) error {
		if string(body) == string(bad) {
			return refused
		}
		return nil
	}
	results := make([]Result, 7)
	errs := make([]error, 7)
	var wg sync.WaitGroup
	send := func(i int) {
		b := priceUpdate(codes[i], fmt.Sprint(costs[i]), fmt.Sprint(costs[i]+9))
		results[i], errs[i] = h.in.Receive(ctx, senpay.Name, b, "a")
	}
	wg.Go(func() { send(0) })
	<-started
	for i := 1; i < 7; i++ {
		wg.Go(func() { send(i) })
	}
	waitQueued(t, h.in.stores.Queued, 6)
	close(release)
	wg.Wait()
	if got := sizes(); !slices.Equal(got, []int{1, 6}) {
		t.Fatalf("store batches: got sizes %v, want [1 6]", got)
	}
	for i := range 7 {
		want := costs[i] + 9
		if i == 3 {
			if !errors.Is(errs[i], refused) {
				t.Fatalf("the refused delivery: got %v, want its error", errs[i])
			}
			want = costs[i]
		} else if errs[i] != nil || !results[i].Accepted {
			t.Fatalf("delivery %d: got %+v, %v; want applied", i, results[i], errs[i])
		}
		if got := h.cost(t, codes[i]); got != want {
			t.Fatalf("cost of %s: got %d, want %d", codes[i], got, want)
		}
	}
	if n := len(h.rows(t)); n != 6 {
		t.Fatalf("inbox: got %d rows, want 6 (all but the refused one)", n)
	}
}
