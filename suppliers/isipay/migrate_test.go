package isipay

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/suppliers/isipay/isipaysim"
)

// TestMigrationKeepsDataTemplates: a database of the version before game
// settings (migration 13) holds a game's Isipay data template in
// games.isipay_data_format and, in each stored purchase, "isipay_data".
// After migration 14 the template is the game's Isipay setting, and a
// purchase stored before the upgrade, resent after it as the order
// router does after a crash, sends Isipay the same data.
func TestMigrationKeepsDataTemplates(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "syncd.db")
	raw, err := sqlx.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	ms, err := syncd.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:13] {
		if _, err := raw.Exec(m.SQL); err != nil {
			t.Fatalf("migration %d: %v", m.Version, err)
		}
	}
	const now = "2026-01-02T03:04:05.000000000Z"
	old := func(ref, supplier, purchase string) string {
		return fmt.Sprintf(`INSERT INTO order_attempts (order_id, seq, supplier, offer_id, product_code, cost, supplier_ref, state, purchase, created_at, updated_at)
			VALUES ('ord_1', %d, '%s', 1, 'MLBB_ID_86', 20350, '%s', 'unknown', '%s', '%s', '%s')`, len(ref), supplier, ref, purchase, now, now)
	}
	for _, q := range []string{
		`PRAGMA user_version = 13`,
		`INSERT INTO games (id, name, icon_url, isipay_data_format, created_at, updated_at) VALUES
			('mobile-legends', 'Mobile Legends', '', '{user_id}|{server}', '` + now + `', '` + now + `'),
			('free-fire', 'Free Fire', '', '', '` + now + `', '` + now + `')`,
		`INSERT INTO orders (id, reference, request_hash, item_id, game_id, item_name, tier, fields, price, status, created_at, updated_at, settle_by)
			VALUES ('ord_1', 'r', 'h', 'mobile-legends.x', 'mobile-legends', 'x', 'public', '{}', 21000, 'processing', '` + now + `', '` + now + `', '` + now + `')`,
		old("isi-ref-1", Name, `{"ref":"isi-ref-1","code":"MLBB_ID_86","game_code":"mobile-legends","form":[],"values":{"user_id":"12345678","server":"1234"},"isipay_data":"{user_id}|{server}","cost":20350}`),
		old("other-ref-22", "senpay", `{"ref":"other-ref-22","code":"MLBB-BJMLBB_86","game_code":"MLBB-BJ","form":[{"key":"id","label":"ID","type":"text"}],"values":{"user_id":"12345678","server":"1234"},"isipay_data":"{user_id}|{server}","cost":22870}`),
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	raw.Close()

	db, err := syncd.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var settings []struct {
		Game     string `db:"game_id"`
		Supplier string `db:"supplier"`
		Key      string `db:"key"`
		Value    string `db:"value"`
	}
	if err := db.Read.Select(&settings, `SELECT game_id, supplier, key, value FROM game_supplier_settings`); err != nil {
		t.Fatal(err)
	}
	if len(settings) != 1 || settings[0].Game != "mobile-legends" || settings[0].Supplier != Name || settings[0].Key != settingData || settings[0].Value != "{user_id}|{server}" {
		t.Fatalf("game settings: got %+v, want mobile-legends' template alone (free-fire had none)", settings)
	}
	purchase := func(ref string) (string, orders.Purchase) {
		var s string
		if err := db.Read.Get(&s, `SELECT purchase FROM order_attempts WHERE supplier_ref = ?`, ref); err != nil {
			t.Fatal(err)
		}
		var p orders.Purchase
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			t.Fatal(err)
		}
		return s, p
	}
	if s, p := purchase("other-ref-22"); p.Settings != nil || containsKey(s, "isipay_data") || p.Values["user_id"] != "12345678" {
		t.Fatalf("another supplier's purchase: got %s, want it without the template", s)
	}
	s, p := purchase("isi-ref-1")
	if containsKey(s, "isipay_data") || p.Settings[settingData] != "{user_id}|{server}" || p.Values["user_id"] != "12345678" || p.Cost != 20350 {
		t.Fatalf("isipay purchase: got %s, want the template as its data_format setting and the rest unchanged", s)
	}

	sim, c, _ := startSim(t, isipaysim.Options{Balance: 1_000_000})
	if _, err := c.Place(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := sim.Orders(); len(got) != 1 || got[0].Data != "12345678|1234" || got[0].ReferenceNumber != "isi-ref-1" {
		t.Fatalf("resent purchase: got %+v, want data 12345678|1234 under the same reference", got)
	}
}

func containsKey(obj, key string) bool {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(obj), &m); err != nil {
		return false
	}
	_, ok := m[key]
	return ok
}
