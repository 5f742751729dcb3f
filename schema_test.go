package syncd

import (
	"context"
	"path/filepath"
	"testing"

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
