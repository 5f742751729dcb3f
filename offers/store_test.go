package offers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestOverlappingCostBatchesNeverDeadlock: two writers storing the same
// offers' costs in opposite orders, again and again. On PostgreSQL each
// transaction locks the rows it changes; taken in the changes' order,
// the two would deadlock and the server abort one. Both must always
// succeed, and each offer end at one of the last round's two costs.
func TestOverlappingCostBatchesNeverDeadlock(t *testing.T) {
	s, db, c := newTestSyncer(t)
	ctx := context.Background()
	if _, err := s.Sync(ctx, "senpay", fixed(testCatalog(12))); err != nil {
		t.Fatal(err)
	}
	store := NewStore(db, slog.New(slog.NewTextHandler(io.Discard, nil)), DefaultCostGuard(), c.now)
	codes := make([]string, 12)
	for i := range codes {
		codes[i] = fmt.Sprintf("MLBB_%d", i)
	}
	const rounds = 15
	for r := range rounds {
		at := c.now().Add(time.Duration(r+1) * time.Second)
		var wg sync.WaitGroup
		for w := range 2 {
			order := slices.Clone(codes)
			if w == 1 {
				slices.Reverse(order)
			}
			var changes []CostChange
			for _, code := range order {
				changes = append(changes, CostChange{Code: code, New: decimal.NewFromInt(int64(1000 + 10*r + w))})
			}
			// Two deliveries in one batch, as the inbox sends them.
			half := len(changes) / 2
			wg.Go(func() {
				_, err := store.StoreCostBatches(ctx, []CostBatch{
					{Supplier: "senpay", Changes: changes[:half], At: at, Update: &CostUpdate{}},
					{Supplier: "senpay", Changes: changes[half:], At: at, Update: &CostUpdate{}},
				})
				if err != nil {
					t.Errorf("round %d, writer %d: %v", r, w, err)
				}
			})
		}
		wg.Wait()
	}
	var bad int
	if err := db.Read.Get(&bad, `SELECT count(*) FROM offers WHERE cost NOT IN (?, ?)`, 1000+10*(rounds-1), 1000+10*(rounds-1)+1); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d offers at neither of the last round's costs", bad)
	}
}
