package syncd_test

import (
	"fmt"
	"testing"

	"github.com/syncd/syncd"
)

// The two schema files hold the same migrations: whoever adds migration N
// to schema.sql adds it to schema_postgres.sql too, under the same name.
func TestDialectsHaveTheSameMigrations(t *testing.T) {
	lite, err := syncd.SQLite.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := syncd.Postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i := range max(len(lite), len(pg)) {
		var l, p string
		if i < len(lite) {
			l = fmt.Sprintf("%d: %s", lite[i].Version, lite[i].Name)
		}
		if i < len(pg) {
			p = fmt.Sprintf("%d: %s", pg[i].Version, pg[i].Name)
		}
		if l != p {
			t.Errorf("migration %d: schema.sql has %q, schema_postgres.sql %q", i+1, l, p)
		}
	}
}

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`UPDATE offers SET cost = ? WHERE supplier = ? AND code = ?`,
			`UPDATE offers SET cost = $1 WHERE supplier = $2 AND code = $3`},
		// SQLite's numbered form, for an argument used twice.
		{`UPDATE items SET match_key = '', updated_at = ?3 WHERE id = ?1 OR id = ?12`,
			`UPDATE items SET match_key = '', updated_at = $3 WHERE id = $1 OR id = $12`},
		// Quoted text is not SQL.
		{`SELECT 'who? it''s ?' AS "a?", ? FROM meta WHERE key = ?`,
			`SELECT 'who? it''s ?' AS "a?", $1 FROM meta WHERE key = $2`},
		{`SELECT count(*) FROM offers`, `SELECT count(*) FROM offers`},
		{`SELECT ? WHERE 'unterminated ?`, `SELECT $1 WHERE 'unterminated ?`},
	} {
		if got := syncd.Postgres.Rebind(c.in); got != c.want {
			t.Errorf("Postgres.Rebind(%q):\n got %q\nwant %q", c.in, got, c.want)
		}
		if got := syncd.SQLite.Rebind(c.in); got != c.in {
			t.Errorf("SQLite.Rebind(%q): got %q, want it unchanged", c.in, got)
		}
	}
}
