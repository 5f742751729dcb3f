package dbtest

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

func TestOpenIsSQLiteByDefault(t *testing.T) {
	t.Setenv(Env, "")
	if d := Open(t).Dialect(); d != syncd.SQLite {
		t.Fatalf("dialect: got %v, want sqlite", d)
	}
}

// With SYNCD_TEST_DB a PostgreSQL URL, each test gets a migrated schema of
// its own, gone when the test ends.
func TestOpenGivesEachTestItsOwnSchema(t *testing.T) {
	t.Setenv(Env, PostgresURL(t))
	ctx := context.Background()
	var schemas [2]string
	for i := range schemas {
		t.Run("", func(t *testing.T) {
			db := Open(t)
			if d := db.Dialect(); d != syncd.Postgres {
				t.Fatalf("dialect: got %v, want postgres", d)
			}
			if err := db.Read.GetContext(ctx, &schemas[i], `SELECT current_schema()`); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.Read.GetContext(ctx, &n, `SELECT count(*) FROM tiers`); err != nil || n != 1 {
				t.Fatalf("tiers in a new schema: got %d (%v), want the public tier", n, err)
			}
		})
	}
	if schemas[0] == schemas[1] || schemas[0] == "public" {
		t.Fatalf("schemas: got %q and %q, want two of their own", schemas[0], schemas[1])
	}

	admin, err := sqlx.Open("pgx", PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var left int
	if err := admin.GetContext(ctx, &left, `SELECT count(*) FROM pg_namespace WHERE nspname = ANY($1)`, schemas[:]); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("schemas left after their tests: got %d, want 0", left)
	}
}
