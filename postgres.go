package syncd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// IsPostgresURL reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than a SQLite file.
func IsPostgresURL(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// RedactDSN returns dsn fit for a log or a message: a SQLite path as it
// is; a PostgreSQL URL with its password, whether in the user info or in a
// query parameter such as password or sslpassword, replaced by "xxxxx".
// A PostgreSQL URL that does not parse cleanly is not shown at all: a
// password holding a '/', '?' or '#' that was not percent-encoded moves
// into the host, path or fragment, where no redaction would find it.
func RedactDSN(dsn string) string {
	if !IsPostgresURL(dsn) {
		return dsn
	}
	scheme, _, _ := strings.Cut(dsn, "://")
	u, err := url.Parse(dsn)
	if err != nil || u.Opaque != "" || u.Fragment != "" || (u.User == nil && strings.Contains(dsn, "@")) {
		return scheme + "://(a malformed URL, not shown)"
	}
	q := u.Query()
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q[k] = []string{"xxxxx"}
		}
	}
	c := *u
	c.RawQuery = q.Encode()
	return c.Redacted()
}

// Pool sizes for PostgreSQL. Unlike SQLite's one writer, PostgreSQL runs
// writers side by side; each instance holds at most 2×8 of the server's
// connections (100 by default), so three instances, psql and a pg_dump fit
// with room to spare. Idle connections are kept up to the same bound: with
// fewer, a burst of concurrent orders closed and reopened connections, and
// each new one is a server process forked and authenticated (the orders
// benchmark at 16 connections opened one per six orders).
const (
	pgMaxOpen = 8
	pgMaxIdle = pgMaxOpen
)

// migrationLockClass is the first key of the advisory lock that migrations
// run under, the second being the schema's name: instances migrating one
// schema queue, tests each in their own schema do not. Two-key advisory
// locks never collide with one-key ones, which leader election may use.
const migrationLockClass = 0x73796e63 // "sync"

// openPostgres opens both pools on the database at rawURL and migrates
// it. The caller must have registered the "pgx" driver
// (github.com/jackc/pgx/v5/stdlib), imported in main and tests only.
func openPostgres(ctx context.Context, rawURL string) (*DB, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL, password and all.
		return nil, errors.New("open database: invalid PostgreSQL URL")
	}
	name := RedactDSN(rawURL)
	w, err := openPool(rawURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	if err := migratePostgres(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate database %s: %w", name, err)
	}
	// The reader refuses writes, as SQLite's query_only reader does: a
	// store that writes through Read fails on both databases alike.
	ru := *u
	q := ru.Query()
	q.Set("default_transaction_read_only", "on")
	ru.RawQuery = q.Encode()
	r, err := openPool(ru.String())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	return &DB{Write: w, Read: r, dialect: Postgres}, nil
}

// openPool opens a pool of the "pgx" driver whose statements are rebound
// from SQLite's placeholders (see rebind.go).
func openPool(url string) (*sqlx.DB, error) {
	db, err := openRebinding("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(pgMaxOpen)
	db.SetMaxIdleConns(pgMaxIdle)
	return sqlx.NewDb(db, "pgx"), nil
}

// migratePostgres applies every migration the database lacks, each in its
// own transaction that first takes the schema's advisory lock, so that
// instances starting together apply each migration exactly once: a
// latecomer waits for the lock, then finds the version recorded and
// applies only what is still missing. The lock is a transaction's, so a
// connection lost mid-migration releases it with the rollback.
func migratePostgres(ctx context.Context, db *sqlx.DB) error {
	ms, err := Postgres.Migrations()
	if err != nil {
		return err
	}
	for {
		done, err := migrateOne(ctx, db, ms)
		if err != nil || done {
			return err
		}
	}
}

// migrateOne applies the first migration the database lacks and reports
// whether there was none.
func migrateOne(ctx context.Context, db *sqlx.DB, ms []Migration) (done bool, err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, migrationLockClass); err != nil {
		return false, fmt.Errorf("migration lock: %w", err)
	}
	// Not a migration: the record of them, which PostgreSQL keeps in no
	// pragma. Created under the lock, as two instances creating it at
	// once would race on the catalog.
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT COLLATE "C" NOT NULL,
		applied_at TEXT COLLATE "C" NOT NULL
	)`); err != nil {
		return false, fmt.Errorf("schema_migrations: %w", err)
	}
	var current int
	if err := tx.GetContext(ctx, &current, `SELECT coalesce(max(version), 0) FROM schema_migrations`); err != nil {
		return false, err
	}
	if current > len(ms) {
		return false, fmt.Errorf("database is at schema %d, newer than this program's %d", current, len(ms))
	}
	if current == len(ms) {
		return true, tx.Commit()
	}
	m := ms[current]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, FormatTime(time.Now())); err != nil {
		return false, fmt.Errorf("migration %d: %w", m.Version, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %d: %w", m.Version, err)
	}
	return false, nil
}
