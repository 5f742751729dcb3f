package orders

import (
	"context"
	"errors"
	"reflect"
	"strings"
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

// TestRowsScanInColumnOrder keeps orderRow.dest and attemptRow.dest in
// step with orderColumns and attemptColumns: the i-th destination is the
// field whose db tag is the i-th column.
func TestRowsScanInColumnOrder(t *testing.T) {
	check := func(name string, row any, dest []any, columns string) {
		t.Helper()
		cols := strings.Split(columns, ",")
		v := reflect.ValueOf(row).Elem()
		byAddr := map[uintptr]string{}
		for i := range v.NumField() {
			byAddr[v.Field(i).Addr().Pointer()] = v.Type().Field(i).Tag.Get("db")
		}
		if len(dest) != len(cols) || len(dest) != v.NumField() {
			t.Fatalf("%s: %d destinations, %d columns, %d fields", name, len(dest), len(cols), v.NumField())
		}
		for i, d := range dest {
			col := strings.TrimSpace(cols[i])
			if got := byAddr[reflect.ValueOf(d).Pointer()]; got != col {
				t.Errorf("%s: destination %d is field %q, column %d is %q", name, i, got, i, col)
			}
		}
	}
	var o orderRow
	check("orderRow", &o, o.dest(), orderColumns)
	var a attemptRow
	check("attemptRow", &a, a.dest(), attemptColumns)
}

// Order ids grow with the time they are made at, as text, so each new
// order's rows land at the right-hand edge of the b-trees keyed by them;
// ids of one millisecond still differ; a supplier reference made from one
// is letters and digits.
func TestOrderIDsIncreaseWithTime(t *testing.T) {
	at := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	prev := newOrderID(at)
	seen := map[string]bool{prev: true}
	for i := range 2000 {
		// Steps of 1 ms to an hour and more, across byte boundaries.
		at = at.Add(time.Millisecond + time.Duration(i%7*(i%13))*time.Minute)
		id := newOrderID(at)
		if len(id) != 20 || !strings.HasPrefix(id, "ord_") || strings.Trim(id[4:], "0123456789abcdefghijklmnopqrstuv") != "" {
			t.Fatalf("id %q: want ord_ and 16 of 0-9a-v", id)
		}
		if id <= prev {
			t.Fatalf("id %q made after %q sorts before it", id, prev)
		}
		same := newOrderID(at)
		if same == id || seen[same] || same[:12] != id[:12] {
			t.Fatalf("ids of one millisecond: %q and %q, want the same time and different random bits", id, same)
		}
		seen[id], seen[same], prev = true, true, max(id, same)
		if ref := supplierRef(id, 1); len(ref) != 20 || strings.Trim(ref, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			t.Fatalf("supplier reference %q: want 20 letters and digits", ref)
		}
	}
	if id := newOrderID(idEpoch.Add(-time.Hour)); id[4:12] != "00000000" {
		t.Errorf("an id made before the epoch: %q, want time zero", id)
	}
}
