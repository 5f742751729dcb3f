package syncd

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"
)

func TestOpenMigratesAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "syncd.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v != len(ms) {
		t.Fatalf("schema version: got %d, want %d", v, len(ms))
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO offers
		(supplier, code, game_code, name, cost, cost_raw, active, first_seen, updated_at)
		VALUES ('senpay', 'X', 'G', 'n', 10, '10', 1, 't', 't')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// Reopening an up-to-date database applies nothing and keeps the data.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.Read.GetContext(ctx, &n, "SELECT count(*) FROM offers"); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("offers after reopen: got %d, want 1", n)
	}
	var mode string
	if err := db.Read.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Fatalf("journal_mode: got %q, want wal", mode)
	}
}

func TestStrictTablesRefuseWrongTypes(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "syncd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A float cost must never be stored: STRICT refuses it.
	_, err = db.Write.ExecContext(ctx, `INSERT INTO offers
		(supplier, code, game_code, name, cost, cost_raw, active, first_seen, updated_at)
		VALUES ('senpay', 'X', 'G', 'n', 10.5, '10.5', 1, 't', 't')`)
	if err == nil {
		t.Fatal("inserting a fractional cost: got no error, want a STRICT type error")
	}
}

func TestReaderIsReadOnly(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "syncd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Read.ExecContext(ctx, `DELETE FROM offers`); err == nil {
		t.Fatal("write through the reader pool: got no error, want query_only refusal")
	}
}

// TestMigratesAnOlderDatabaseKeepingItsData opens a database left at
// migration 1 (as an earlier syncd wrote it) and checks that Open brings it
// to the current schema with its rows intact.
func TestMigratesAnOlderDatabaseKeepingItsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Skip("only one migration so far")
	}
	old, err := sqlx.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(ms[0].SQL); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO offers (supplier, code, game_code, name, cost, cost_raw, active, first_seen, updated_at)
		VALUES ('isipay', 'MLBB_ID_86', 'mobile-legends', '86 Diamonds', 19500, '19500', 1, 't', 't')`); err != nil {
		t.Fatal(err)
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.SchemaVersion(ctx); v != len(ms) {
		t.Fatalf("schema version after migrating: got %d, want %d", v, len(ms))
	}
	var cost int64
	var item *string
	if err := db.Read.QueryRow(`SELECT cost, item_id FROM offers WHERE code = 'MLBB_ID_86'`).Scan(&cost, &item); err != nil {
		t.Fatal(err)
	}
	if cost != 19500 || item != nil {
		t.Fatalf("migrated offer: got cost %d item %v, want 19500 and no item yet", cost, item)
	}
}

// A durable transaction commits with synchronous=FULL and leaves the
// writer at NORMAL for everything else, also when it fails.
func TestInDurableTx(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "syncd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	level := func(q interface {
		QueryRowxContext(context.Context, string, ...any) *sqlx.Row
	}) int {
		var n int
		if err := q.QueryRowxContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got := level(db.Write); got != 1 {
		t.Fatalf("writer: synchronous %d, want 1 (NORMAL)", got)
	}
	for _, fail := range []bool{false, true} {
		err := db.InDurableTx(ctx, func(tx *sqlx.Tx) error {
			if got := level(tx); got != 2 {
				t.Errorf("inside: synchronous %d, want 2 (FULL)", got)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('durable', 'x')
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`); err != nil {
				return err
			}
			if fail {
				return errors.New("refused")
			}
			return nil
		})
		if fail != (err != nil) {
			t.Fatalf("fail %v: got %v", fail, err)
		}
		if got := level(db.Write); got != 1 {
			t.Fatalf("after (fail %v): synchronous %d, want 1 (NORMAL)", fail, got)
		}
	}
	var v string
	if err := db.Read.GetContext(ctx, &v, `SELECT value FROM meta WHERE key = 'durable'`); err != nil || v != "x" {
		t.Fatalf("committed row: %q, %v", v, err)
	}
}
