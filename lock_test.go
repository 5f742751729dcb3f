package syncd_test

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

// TestPostgresLocksOfOneKey: LockTx excludes LockTx and LockTxShared of
// the same key, shared holders do not exclude each other, and another key
// is free. A second transaction that would wait gives up at once
// (lock_timeout), so nothing here depends on timing.
func TestPostgresLocksOfOneKey(t *testing.T) {
	db := dbtest.OpenPostgres(t)
	ctx := context.Background()
	const key = "order shop\x00ref-1" // any bytes, a NUL among them

	type lockFunc func(context.Context, syncd.Tx, string) error
	// holds begins a transaction holding key with first, and reports
	// whether a second transaction could then take want with second.
	holds := func(first, second lockFunc, want string) bool {
		t.Helper()
		a, err := db.Write.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Rollback()
		if err := first(ctx, a, key); err != nil {
			t.Fatal(err)
		}
		b, err := db.Write.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Rollback()
		if _, err := b.ExecContext(ctx, `SET LOCAL lock_timeout = '50ms'`); err != nil {
			t.Fatal(err)
		}
		err = second(ctx, b, want)
		if err != nil && !strings.Contains(err.Error(), "lock timeout") {
			t.Fatalf("second lock: %v", err)
		}
		return err == nil
	}
	for _, c := range []struct {
		name          string
		first, second lockFunc
		key           string
		want          bool
	}{
		{"exclusive then exclusive", syncd.LockTx, syncd.LockTx, key, false},
		{"exclusive then shared", syncd.LockTx, syncd.LockTxShared, key, false},
		{"shared then exclusive", syncd.LockTxShared, syncd.LockTx, key, false},
		{"shared then shared", syncd.LockTxShared, syncd.LockTxShared, key, true},
		{"another key", syncd.LockTx, syncd.LockTx, key + "2", true},
	} {
		if got := holds(c.first, c.second, c.key); got != c.want {
			t.Errorf("%s: second taken = %v, want %v", c.name, got, c.want)
		}
	}
}
