package syncd

import "testing"

func TestPostgresSQLDropsIndexHints(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT id FROM offers NOT INDEXED WHERE supplier = ?", "SELECT id FROM offers WHERE supplier = $1"},
		{"SELECT id FROM offers o INDEXED BY offers_unlinked\n\t\tWHERE o.item_id IS NULL AND o.supplier = ?1", "SELECT id FROM offers o\n\t\tWHERE o.item_id IS NULL AND o.supplier = $1"},
		{"SELECT 'NOT INDEXED' -- what? ?\nFROM t WHERE a = ?", "SELECT 'NOT INDEXED' -- what? ?\nFROM t WHERE a = $1"},
	} {
		if got := pgSQL(c.in); got != c.want {
			t.Errorf("pgSQL(%q):\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
