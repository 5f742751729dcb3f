package syncd_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

// TestDialectsMigrateTheSameData: migrations 14 and 15 are the two whose
// statements differ most between the schema files (SQLite's json_* and
// strftime, PostgreSQL's jsonb and a PL/pgSQL trigger). The same rows at
// migration 13, migrated by Open, come out the same on both databases,
// and the balance-read triggers keep the same reads, down to SQLite's
// millisecond rounding of the 90-day cut-off.
func TestDialectsMigrateTheSameData(t *testing.T) {
	type outcome struct {
		settings  []string
		purchases map[string]map[string]any
		reads     []string
	}
	run := func(t *testing.T, d syncd.Dialect) outcome {
		db := openAt13(t, d)
		ctx := context.Background()
		var out outcome
		if err := db.Read.SelectContext(ctx, &out.settings, `SELECT game_id || ' ' || supplier || ' ' || key || ' ' || value
			FROM game_supplier_settings ORDER BY game_id, supplier, key`); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Ref      string `db:"supplier_ref"`
			Purchase string `db:"purchase"`
		}
		if err := db.Read.SelectContext(ctx, &rows, `SELECT supplier_ref, purchase FROM order_attempts`); err != nil {
			t.Fatal(err)
		}
		out.purchases = map[string]map[string]any{}
		for _, r := range rows {
			var p map[string]any
			if err := json.Unmarshal([]byte(r.Purchase), &p); err != nil {
				t.Fatalf("purchase %s after migrating: %v", r.Ref, err)
			}
			out.purchases[r.Ref] = p
		}

		// Another kind's detail is never read as JSON by the index on
		// attempts' outcomes, on either database.
		for _, q := range []string{
			`INSERT INTO order_events (order_id, at, kind, detail) VALUES ('ord_1', '` + jan1 + `', 'note', 'not json')`,
			`INSERT INTO order_events (order_id, at, kind, detail) VALUES ('ord_1', '` + jan1 + `', 'attempt', '{"seq":1,"outcome":"unknown"}')`,
		} {
			if _, err := db.Write.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}

		read := func(supplier, readBalance, errText, at string) string {
			return `INSERT INTO supplier_balances (supplier, balance, read_balance, error, checked_at)
				VALUES ('` + supplier + `', ` + readBalance + `, ` + readBalance + `, '` + errText + `', '` + at + `')
				ON CONFLICT (supplier) DO UPDATE SET balance = excluded.balance, read_balance = excluded.read_balance,
					error = excluded.error, checked_at = excluded.checked_at`
		}
		for _, q := range []string{
			read("other", "7", "", "2026-01-01T00:00:00.000000000Z"),
			read("down", "NULL", "timeout", "2026-01-01T00:00:00.000000000Z"), // no balance: no read
			read("a", "100", "", "2026-01-01T00:00:00.000000000Z"),
			read("a", "101", "", "2026-01-01T00:00:00.000900000Z"),
			read("a", "102", "", "2026-01-01T00:00:00.001000000Z"),
			read("a", "103", "", "2026-01-01T00:00:00.002000000Z"),
			read("a", "104", "", "2026-01-01T00:01:59.999600000Z"),
			read("a", "105", "", "2026-01-01T00:02:00.000000000Z"),
			read("a", "55", "refused", "2026-02-01T00:00:00.000000000Z"),                                     // an error: no read
			`UPDATE supplier_balances SET low_since = '2026-02-01T00:00:00.000000000Z' WHERE supplier = 'a'`, // not a read
			// Cut-off 2026-01-01T00:00:00.001Z (half a millisecond
			// rounds up): the reads at .000, .0009 and .001000000
			// (less than ".001Z" as text) go, .002 stays.
			read("a", "106", "", "2026-04-01T00:00:00.000500000Z"),
			// Cut-off 00:01:59.999Z, held there rather than carried to
			// 00:02:00.000Z: .002 and 59.9996 go, 00:02:00 stays.
			read("a", "107", "", "2026-04-01T00:01:59.999700000Z"),
		} {
			if _, err := db.Write.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := db.Read.SelectContext(ctx, &out.reads, `SELECT supplier || ' ' || CAST(balance AS TEXT) || ' ' || at
			FROM balance_reads ORDER BY supplier, at`); err != nil {
			t.Fatal(err)
		}
		return out
	}

	want := outcome{
		settings: []string{"mobile-legends isipay data_format {user_id}|{server}"},
		purchases: map[string]map[string]any{
			"ref-1": {"ref": "ref-1", "values": map[string]any{"user_id": "12345678", "server": "1234"},
				"settings": map[string]any{"data_format": "{user_id}|{server}"}, "cost": 20350.0},
			"ref-2": {"ref": "ref-2", "values": map[string]any{"user_id": "12345678"}, "cost": 22870.0},
			"ref-3": {"ref": "ref-3", "cost": 1.0},
			"ref-4": {"ref": "ref-4", "cost": 2.0},
		},
		reads: []string{
			"a 105 2026-01-01T00:02:00.000000000Z",
			"a 106 2026-04-01T00:00:00.000500000Z",
			"a 107 2026-04-01T00:01:59.999700000Z",
			"other 7 2026-01-01T00:00:00.000000000Z",
		},
	}
	for _, d := range []syncd.Dialect{syncd.SQLite, syncd.Postgres} {
		t.Run(d.String(), func(t *testing.T) {
			if got := run(t, d); !reflect.DeepEqual(got, want) {
				t.Errorf("after migrating:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

const jan1 = "2026-01-01T00:00:00.000000000Z"

// openAt13 makes a database of dialect d at migration 13 holding the rows
// migration 14 rewrites, then opens it with Open, which applies the rest.
func openAt13(t *testing.T, d syncd.Dialect) *syncd.DB {
	t.Helper()
	ms, err := d.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	var dsn string
	var raw *sqlx.DB
	var record func(version int) string
	switch d {
	case syncd.SQLite:
		dsn = filepath.Join(t.TempDir(), "syncd.db")
		raw, err = sqlx.Open("sqlite", "file:"+dsn+"?_pragma=foreign_keys(1)")
		record = func(v int) string { return `PRAGMA user_version = ` + strconv.Itoa(v) }
	case syncd.Postgres:
		dsn = dbtest.NewSchema(t, dbtest.PostgresURL(t))
		raw, err = sqlx.Open("pgx", dsn)
		if err == nil {
			_, err = raw.Exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT COLLATE "C" NOT NULL, applied_at TEXT COLLATE "C" NOT NULL)`)
		}
		record = func(v int) string {
			return `INSERT INTO schema_migrations (version, name, applied_at) VALUES (` + strconv.Itoa(v) + `, 'm', '` + jan1 + `')`
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, m := range ms[:13] {
		if _, err := raw.Exec(m.SQL); err != nil {
			t.Fatalf("%v migration %d: %v", d, m.Version, err)
		}
		if _, err := raw.Exec(record(m.Version)); err != nil {
			t.Fatal(err)
		}
	}
	attempt := func(seq, supplier, purchase string) string {
		return `INSERT INTO order_attempts (order_id, seq, supplier, offer_id, product_code, cost, supplier_ref, state, purchase, created_at, updated_at)
			VALUES ('ord_1', ` + seq + `, '` + supplier + `', 1, 'P', 20350, 'ref-` + seq + `', 'unknown', '` + purchase + `', '` + jan1 + `', '` + jan1 + `')`
	}
	for _, q := range []string{
		`INSERT INTO games (id, name, icon_url, isipay_data_format, created_at, updated_at) VALUES
			('mobile-legends', 'Mobile Legends', '', '{user_id}|{server}', '` + jan1 + `', '` + jan1 + `'),
			('free-fire', 'Free Fire', '', '', '` + jan1 + `', '` + jan1 + `')`,
		`INSERT INTO orders (id, reference, request_hash, item_id, game_id, item_name, tier, fields, price, status, created_at, updated_at, settle_by)
			VALUES ('ord_1', 'r', 'h', 'mobile-legends.x', 'mobile-legends', 'x', 'public', '{}', 21000, 'processing', '` + jan1 + `', '` + jan1 + `', '` + jan1 + `')`,
		attempt("1", "isipay", `{"ref":"ref-1","values":{"user_id":"12345678","server":"1234"},"isipay_data":"{user_id}|{server}","cost":20350}`),
		attempt("2", "senpay", `{"ref":"ref-2","values":{"user_id":"12345678"},"isipay_data":"{user_id}|{server}","cost":22870}`),
		attempt("3", "isipay", `{"ref":"ref-3","isipay_data":null,"cost":1}`),
		attempt("4", "isipay", `{"ref":"ref-4","cost":2}`),
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	db, err := syncd.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("%v: migrate from 13: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if v, err := db.SchemaVersion(context.Background()); err != nil || v != len(ms) {
		t.Fatalf("%v: schema version after migrating: got %d (%v), want %d", d, v, err, len(ms))
	}
	return db
}
