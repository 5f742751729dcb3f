package orders

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

// A second order with a storefront's reference is refused as
// errReferenceTaken on either database, which Create answers with a
// replay: the drivers' codes, not their messages, say so.
func TestInsertOrderTakenReference(t *testing.T) {
	db := dbtest.Open(t)
	ctx := context.Background()
	now := syncd.FormatTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	row := &orderRow{ID: "ord_first", Reference: "INV-1", RequestHash: "h", Storefront: "shop", ItemID: "i",
		GameID: "g", ItemName: "n", Tier: "public", Fields: "{}", Price: 1000, CreatedAt: now, UpdatedAt: now, SettleBy: now}
	if err := insertOrder(ctx, db.Write, row, "", 1); err != nil {
		t.Fatal(err)
	}
	again := *row
	again.ID = "ord_second"
	if err := insertOrder(ctx, db.Write, &again, "", 1); !errors.Is(err, errReferenceTaken) {
		t.Fatalf("same storefront and reference: got %v, want errReferenceTaken", err)
	}
	other := *row
	other.ID, other.Storefront = "ord_third", "shop-b"
	if err := insertOrder(ctx, db.Write, &other, "", 1); err != nil {
		t.Fatalf("another storefront's reference: %v", err)
	}
	if isUniqueViolation(errors.New("duplicate key value violates unique constraint")) {
		t.Fatal("an error's text taken for a unique violation")
	}
}
