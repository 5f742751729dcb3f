package syncd_test

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
)

// Both schemas, applied from empty, have the same tables with the same
// columns in the same order, of corresponding types and nullability, and
// the same keys, foreign keys, indexes and triggers: store SQL with
// explicit column lists reads and writes the same rows on either database.
// CHECK constraints, defaults, index predicates and what a trigger does
// (SQLite's statements, PostgreSQL's PL/pgSQL function) and its WHEN
// condition are spelled in each dialect and not compared; a trigger's
// name, timing, event, UPDATE OF columns and row level are.
func TestDialectsBuildTheSameSchema(t *testing.T) {
	pg := dbtest.OpenPostgres(t)
	ctx := context.Background()
	lite, err := syncd.Open(ctx, filepath.Join(t.TempDir(), "syncd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()

	want := sqliteShape(t, lite.Read)
	got := postgresShape(t, pg.Read)
	if len(want) == 0 {
		t.Fatal("schema.sql made no tables")
	}
	for _, name := range sortedKeys(want, got) {
		w, g := want[name], got[name]
		switch {
		case w == nil:
			t.Errorf("table %s: only in schema_postgres.sql", name)
			continue
		case g == nil:
			t.Errorf("table %s: only in schema.sql", name)
			continue
		}
		if !slices.Equal(g.columns, w.columns) {
			t.Errorf("table %s columns:\n got (postgres) %v\nwant (sqlite)   %v", name, g.columns, w.columns)
		}
		for _, c := range g.textNotC {
			t.Errorf("table %s: text column %s is not COLLATE \"C\": it would not sort as SQLite does", name, c)
		}
		for what, pair := range map[string][2][]string{
			"keys":         {g.keys, w.keys},
			"foreign keys": {g.foreign, w.foreign},
			"indexes":      {g.indexes, w.indexes},
			"triggers":     {g.triggers, w.triggers},
		} {
			if !slices.Equal(pair[0], pair[1]) {
				t.Errorf("table %s %s:\n got (postgres) %v\nwant (sqlite)   %v", name, what, pair[0], pair[1])
			}
		}
	}
}

// shape is what the test compares of one table, each entry spelled the
// same way for both databases.
type shape struct {
	columns  []string // "name type", "name type not null"; type as PostgreSQL names it
	keys     []string // "primary (a, b)", "unique (a, b)"
	foreign  []string // "a -> table (b)"
	indexes  []string // "name unique? partial? (a, b)", indexes made by CREATE INDEX
	triggers []string // "name after update of a, b for each row": when and on what each fires
	textNotC []string // PostgreSQL only: text columns with another collation
}

// sqliteFlag finds the columns SQLite keeps as 0 or 1, which are BOOLEAN
// on PostgreSQL. ALTER TABLE ADD COLUMN appends to the table's stored SQL,
// so this sees the added ones too.
var sqliteFlag = regexp.MustCompile(`(\w+)\s+INTEGER\s+NOT NULL(?:\s+DEFAULT 0)?\s+CHECK\s*\((\w+) IN \(0, 1\)\)`)

func sqliteShape(t *testing.T, db *sqlx.DB) map[string]*shape {
	t.Helper()
	var tables []struct {
		Name string
		SQL  string
	}
	if err := db.Select(&tables, `SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	out := map[string]*shape{}
	for _, tb := range tables {
		flags := map[string]bool{}
		for _, m := range sqliteFlag.FindAllStringSubmatch(tb.SQL, -1) {
			if m[1] == m[2] {
				flags[m[1]] = true
			}
		}
		s := &shape{}
		var cols []struct {
			Name    string
			Type    string
			NotNull bool `db:"notnull"`
			PK      int
		}
		if err := db.Select(&cols, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, tb.Name); err != nil {
			t.Fatal(err)
		}
		pk := make([]string, len(cols))
		for _, c := range cols {
			typ := map[string]string{"INTEGER": "bigint", "TEXT": "text", "BLOB": "bytea"}[c.Type]
			if typ == "" {
				t.Fatalf("table %s column %s: type %s has no PostgreSQL counterpart here", tb.Name, c.Name, c.Type)
			}
			if flags[c.Name] {
				typ = "boolean"
			}
			// SQLite lets a primary key column other than an INTEGER
			// PRIMARY KEY hold NULL; syncd never stores one, and
			// PostgreSQL refuses it.
			s.columns = append(s.columns, column(c.Name, typ, c.NotNull || c.PK > 0))
			if c.PK > 0 {
				pk[c.PK-1] = c.Name
			}
		}
		s.keys = append(s.keys, "primary ("+strings.Join(slices.DeleteFunc(pk, func(s string) bool { return s == "" }), ", ")+")")

		var idx []struct {
			Name    string
			Unique  bool
			Origin  string
			Partial bool
		}
		if err := db.Select(&idx, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, tb.Name); err != nil {
			t.Fatal(err)
		}
		for _, ix := range idx {
			var on []string
			if err := db.Select(&on, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.Name); err != nil {
				t.Fatal(err)
			}
			switch ix.Origin {
			case "u":
				s.keys = append(s.keys, "unique ("+strings.Join(on, ", ")+")")
			case "c":
				s.indexes = append(s.indexes, index(ix.Name, ix.Unique, ix.Partial, on))
			}
			// "pk": the primary key, read from table_info above.
		}

		var fks []struct {
			From  string
			Table string
			To    string
		}
		if err := db.Select(&fks, `SELECT "from", "table", "to" FROM pragma_foreign_key_list(?)`, tb.Name); err != nil {
			t.Fatal(err)
		}
		for _, fk := range fks {
			s.foreign = append(s.foreign, fk.From+" -> "+fk.Table+" ("+fk.To+")")
		}
		var trg []string
		if err := db.Select(&trg, `SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ?`, tb.Name); err != nil {
			t.Fatal(err)
		}
		for _, def := range trg {
			// SQLite's triggers are all FOR EACH ROW, said or not.
			s.triggers = append(s.triggers, trigger(t, def, true))
		}
		s.sort()
		out[tb.Name] = s
	}
	return out
}

func postgresShape(t *testing.T, db *sqlx.DB) map[string]*shape {
	t.Helper()
	var cols []struct {
		Table     string
		Name      string
		Type      string
		Nullable  string
		Collation *string
	}
	if err := db.Select(&cols, `SELECT table_name AS "table", column_name AS name, data_type AS type,
			is_nullable AS nullable, collation_name AS "collation"
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name != 'schema_migrations'
		ORDER BY table_name, ordinal_position`); err != nil {
		t.Fatal(err)
	}
	out := map[string]*shape{}
	for _, c := range cols {
		s := out[c.Table]
		if s == nil {
			s = &shape{}
			out[c.Table] = s
		}
		s.columns = append(s.columns, column(c.Name, c.Type, c.Nullable == "NO"))
		if c.Type == "text" && (c.Collation == nil || *c.Collation != "C") {
			s.textNotC = append(s.textNotC, c.Name)
		}
	}

	// Constraints and indexes from the catalog, with their columns in
	// key order.
	const columnsOf = `(SELECT string_agg(a.attname, ', ' ORDER BY u.i)
		FROM unnest(%s) WITH ORDINALITY AS u(n, i) JOIN pg_attribute a ON a.attrelid = %s AND a.attnum = u.n)`
	var cons []struct {
		Table   string
		Kind    string
		On      string
		Ref     *string
		RefCols *string
	}
	if err := db.Select(&cons, fmt.Sprintf(`SELECT t.relname AS "table", k.contype AS kind, %s AS "on",
			r.relname AS ref, %s AS refcols
		FROM pg_constraint k
		JOIN pg_class t ON t.oid = k.conrelid
		LEFT JOIN pg_class r ON r.oid = k.confrelid
		WHERE t.relnamespace = current_schema()::regnamespace AND k.contype IN ('p', 'u', 'f')
			AND t.relname != 'schema_migrations'`,
		fmt.Sprintf(columnsOf, "k.conkey", "k.conrelid"), fmt.Sprintf(columnsOf, "k.confkey", "k.confrelid"))); err != nil {
		t.Fatal(err)
	}
	for _, k := range cons {
		s := out[k.Table]
		switch k.Kind {
		case "p":
			s.keys = append(s.keys, "primary ("+k.On+")")
		case "u":
			s.keys = append(s.keys, "unique ("+k.On+")")
		case "f":
			s.foreign = append(s.foreign, k.On+" -> "+*k.Ref+" ("+*k.RefCols+")")
		}
	}

	var idx []struct {
		Table   string
		Name    string
		Unique  bool
		Partial bool
		On      string
	}
	if err := db.Select(&idx, fmt.Sprintf(`SELECT t.relname AS "table", c.relname AS name, i.indisunique AS "unique",
			i.indpred IS NOT NULL AS partial, %s AS "on"
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_class t ON t.oid = i.indrelid
		WHERE t.relnamespace = current_schema()::regnamespace AND t.relname != 'schema_migrations'
			AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u'))`,
		fmt.Sprintf(columnsOf, "i.indkey::int2[]", "i.indrelid"))); err != nil {
		t.Fatal(err)
	}
	for _, ix := range idx {
		out[ix.Table].indexes = append(out[ix.Table].indexes, index(ix.Name, ix.Unique, ix.Partial, strings.Split(ix.On, ", ")))
	}
	var trg []struct {
		Table string
		Def   string
		Row   bool
	}
	if err := db.Select(&trg, `SELECT t.relname AS "table", pg_get_triggerdef(g.oid) AS def, g.tgtype & 1 = 1 AS row
		FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
		WHERE t.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal`); err != nil {
		t.Fatal(err)
	}
	for _, g := range trg {
		out[g.Table].triggers = append(out[g.Table].triggers, trigger(t, g.Def, g.Row))
	}
	for _, s := range out {
		s.sort()
	}
	return out
}

func column(name, typ string, notNull bool) string {
	if notNull {
		return name + " " + typ + " not null"
	}
	return name + " " + typ
}

func index(name string, unique, partial bool, on []string) string {
	s := name
	if unique {
		s += " unique"
	}
	if partial {
		s += " partial"
	}
	return s + " (" + strings.Join(on, ", ") + ")"
}

// triggerHead reads a trigger's name, timing and event from its
// definition: sqlite_schema.sql as written, or pg_get_triggerdef's, whose
// table is schema-qualified.
var triggerHead = regexp.MustCompile(`(?is)^CREATE\s+TRIGGER\s+(\w+)\s+(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|DELETE|UPDATE(?:\s+OF\s+\w+(?:\s*,\s*\w+)*)?)\s+ON\s`)

func trigger(t *testing.T, def string, row bool) string {
	t.Helper()
	m := triggerHead.FindStringSubmatch(def)
	if m == nil {
		t.Fatalf("trigger definition not understood: %s", def)
	}
	s := strings.Join(strings.Fields(strings.ToLower(m[1]+" "+m[2]+" "+m[3])), " ")
	s = strings.ReplaceAll(s, " ,", ",")
	if row {
		s += " for each row"
	}
	return s
}

// sort orders what has no order of its own; columns keep theirs.
func (s *shape) sort() {
	slices.Sort(s.keys)
	slices.Sort(s.foreign)
	slices.Sort(s.indexes)
	slices.Sort(s.triggers)
}

func sortedKeys(ms ...map[string]*shape) []string {
	var ks []string
	for _, m := range ms {
		for k := range m {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return slices.Compact(ks)
}
