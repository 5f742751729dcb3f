package orders

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/syncd/syncd/internal/dbtest"
)

// A pass that read the estimate before it moved again must not mark the
// crossing it judged: here it read 505,000 while the warning stood, and
// by the time it marks, the warning ended at 505,000 and started again at
// 499,999. Marking "recovered" then would alert twice for nothing (seen
// as crossings [low ok low ok low] under CI's load on PostgreSQL).
func TestALateBalancePassMarksNothing(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var crossings []bool
	svc := New(dbtest.Open(t), nil, slog.New(slog.DiscardHandler), nil, Config{Balance: BalanceConfig{
		Margin: 5_000, Low: map[string]LowBalance{"": {Amount: 500_000}},
		OnLow: func(_ string, low bool) { mu.Lock(); crossings = append(crossings, low); mu.Unlock() }}})
	t.Cleanup(svc.Close)
	record := func(b int64) {
		t.Helper()
		if err := svc.RecordBalance(ctx, "isipay", b, nil); err != nil {
			t.Fatal(err)
		}
		if err := svc.SyncBalances(ctx); err != nil {
			t.Fatal(err)
		}
	}
	record(400_000) // low
	if err := svc.RecordBalance(ctx, "isipay", 505_000, nil); err != nil {
		t.Fatal(err)
	}
	late, ok, err := getEstimate(ctx, svc.r(), "isipay")
	if err != nil || !ok || !late.LowSince.Valid || late.Balance.Int64 != 505_000 {
		t.Fatalf("the late pass's read: %+v, %v, %v; want 505000 while low", late, ok, err)
	}
	record(505_000) // recovered
	record(499_999) // low again
	if err := svc.judgeLow(ctx, "isipay", late); err != nil {
		t.Fatal(err)
	}
	svc.Close() // the background passes RecordBalance started have ended
	mu.Lock()
	defer mu.Unlock()
	if want := []bool{true, false, true}; !slices.Equal(crossings, want) {
		t.Fatalf("crossings: got %v, want %v", crossings, want)
	}
	now, _, err := getEstimate(ctx, svc.r(), "isipay")
	if err != nil || !now.LowSince.Valid {
		t.Fatalf("after the late pass: %+v, %v; want the warning standing", now, err)
	}
}
