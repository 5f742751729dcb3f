// Package dbtest opens syncd's database for tests: by default a SQLite file
// in the test's temporary directory; with SYNCD_TEST_DB set to a
// PostgreSQL URL (SYNCD_TEST_DB=postgres://127.0.0.1:5432/test), a schema
// of the test's own on that server, dropped when the test ends. Only tests
// import it, so it imports both database drivers, as tests do.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/syncd/syncd"
)

// Env names the variable that chooses the database tests run on.
const Env = "SYNCD_TEST_DB"

// LocalURL is the PostgreSQL server of the project's machines and CI,
// which tests of PostgreSQL itself use when SYNCD_TEST_DB names none.
const LocalURL = "postgres://postgres@127.0.0.1:5432/test"

// Open returns an empty database at the current schema, closed (and on
// PostgreSQL dropped) when t ends: SQLite unless SYNCD_TEST_DB is a
// PostgreSQL URL.
func Open(t testing.TB) *syncd.DB {
	t.Helper()
	return open(t, DSN(t))
}

// DSN names a new, empty database for t, which syncd.Open creates (and
// migrates) on first open: a file in t.TempDir(), or with SYNCD_TEST_DB a
// PostgreSQL URL of a schema of t's own, dropped when t ends. Opening the
// DSN twice is two processes on one database, as two instances would be.
func DSN(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(Env); syncd.IsPostgresURL(u) {
		return NewSchema(t, u)
	}
	return filepath.Join(t.TempDir(), "syncd.db")
}

// Postgres reports whether tests run on PostgreSQL (SYNCD_TEST_DB).
func Postgres() bool { return syncd.IsPostgresURL(os.Getenv(Env)) }

// SkipOnPostgres skips a test of something only SQLite has, saying why.
func SkipOnPostgres(t testing.TB, why string) {
	t.Helper()
	if Postgres() {
		t.Skip("SQLite only: " + why)
	}
}

// OpenPostgres is Open on PostgreSQL whatever SYNCD_TEST_DB says, for
// tests of PostgreSQL itself; it skips t when no server is there (see
// PostgresURL).
func OpenPostgres(t testing.TB) *syncd.DB {
	t.Helper()
	return open(t, NewSchema(t, PostgresURL(t)))
}

func open(t testing.TB, dsn string) *syncd.DB {
	t.Helper()
	db, err := syncd.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	probeOnce sync.Once
	localUp   bool
)

// PostgresURL returns the server tests of PostgreSQL itself run on:
// SYNCD_TEST_DB if it is a PostgreSQL URL, or else LocalURL if a server
// answers there. With neither, it skips t, saying so: a machine without
// PostgreSQL still runs every SQLite test.
func PostgresURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(Env); syncd.IsPostgresURL(u) {
		return u
	}
	probeOnce.Do(func() {
		c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second)
		if err == nil {
			c.Close()
			localUp = true
		}
	})
	if !localUp {
		t.Skipf("PostgreSQL: %s names no PostgreSQL URL and no server answers on 127.0.0.1:5432", Env)
	}
	return LocalURL
}

// NewSchema creates an empty schema t_<random> on the server at base and
// returns base with search_path set to it, so that everything opened with
// the URL lives there; the schema is dropped, with all in it, when t ends.
// Cleanups run last-in first-out: a database opened with the URL after
// NewSchema is closed before its schema is dropped.
func NewSchema(t testing.TB, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: not a URL", Env)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)

	admin, err := sqlx.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create test schema on %s: %v", u.Redacted(), err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})

	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
