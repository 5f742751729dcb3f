// Package syncd holds the schema and opens syncd's database: SQLite, the
// embedded default, or PostgreSQL. It imports nothing of syncd's and no
// database driver: every store package receives the *DB it opens, and main
// and tests import the drivers.
package syncd

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd/internal/group"
)

// DB is syncd's database. On SQLite: one writer connection, because SQLite
// has one writer at a time and a pool of writers only queues on
// busy_timeout, and a pool of readers that WAL lets run beside it. On
// PostgreSQL: two pools, the reader's refusing writes.
type DB struct {
	Write *sqlx.DB
	Read  *sqlx.DB

	dialect Dialect
	// durable batches SQLite's durable transactions for group commit
	// (durable.go); nil on PostgreSQL.
	durable *group.Batcher[*durableJob]
	// durableTxs and commits count durable transactions and the commits
	// that made them durable (fewer on SQLite, where they share commits).
	durableTxs, commits atomic.Int64
	// commitTimes times the commits that made them durable (commitlat.go).
	commitTimes commitTimes
	// ckpt checkpoints SQLite's WAL off the writer (checkpoint.go); nil
	// on PostgreSQL.
	ckpt *checkpointer
}

// Dialect is the SQL the database speaks, for the few statements that
// must differ; most need only Rebind.
func (db *DB) Dialect() Dialect { return db.dialect }

// Rebind rewrites query's ? placeholders for the database's dialect.
func (db *DB) Rebind(query string) string { return db.dialect.Rebind(query) }

// dsn builds the modernc.org/sqlite DSN with the settings measured in
// DESIGN.md. _txlock=immediate makes every write transaction take the write
// lock at BEGIN, so two transactions never deadlock upgrading read locks.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	// NORMAL: in WAL mode a commit survives a crash of syncd, and a power
	// cut loses at most the last commits, never a middle one (the WAL is
	// replayed in order). What must survive a power cut too (orders, a
	// webhook delivery before it is answered) commits in InDurableTx.
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_txlock", "immediate")
		// Checkpoints run in the background (checkpoint.go); this is
		// the backstop.
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", writerCheckpointPages))
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens the database dsn names and migrates it to the current schema.
// A postgres:// or postgresql:// URL is a PostgreSQL database, which needs
// the "pgx" driver (github.com/jackc/pgx/v5/stdlib); anything else is the
// path of a SQLite file, created if needed, which needs the "sqlite" driver
// (modernc.org/sqlite). Drivers are imported in main and tests only.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgresURL(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database: invalid path %q", path)
	}
	w, err := sqlx.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("migrate database %s: %w", path, err)
	}
	r, err := sqlx.Open("sqlite", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db := &DB{Write: w, Read: r, ckpt: startCheckpointer(dsn(path, false))}
	db.durable = group.New(maxShared, db.runDurable)
	return db, nil
}

// InDurableTx runs fn in a write transaction whose commit is fsynced
// (synchronous=FULL, about 0.14 ms here against 0.03 ms): once it returns
// nil, the transaction survives a power cut, and so does every commit
// before it, since the WAL is replayed in order. Orders and received
// webhooks commit so before anyone is told or called; everything else
// can be derived again from them or from the suppliers. On PostgreSQL every
// commit is durable, and this is a plain transaction.
//
// SQLite refuses to change the setting inside a transaction, so the
// writer's one connection is held for the whole of it: set FULL, run the
// transaction, set NORMAL back. Transactions that arrive while one runs
// share the next one's commit, each in its own savepoint (durable.go):
// fn may run on another goroutine than its caller's, after transactions
// of other callers in the same SQLite transaction, and must not begin,
// commit or roll back anything itself, nor wait for a lock that a caller
// of InDurableTx may hold while it waits (that caller may be the one
// running fn). A panic in fn is raised again in the caller.
func (db *DB) InDurableTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if db.dialect == Postgres {
		db.durableTxs.Add(1)
		tx, err := db.Write.BeginTxx(ctx, nil)
		if err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		defer tx.Rollback()
		if err := fn(tx); err != nil {
			return err
		}
		if err := db.commit(tx); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
	return db.inSharedDurableTx(ctx, fn)
}

// commit commits a durable transaction, timed, and counts it.
func (db *DB) commit(tx *sqlx.Tx) error {
	start := time.Now()
	err := tx.Commit()
	if err == nil {
		db.commitTimes.observe(time.Since(start))
		db.commits.Add(1)
	}
	return err
}

// Close closes both pools.
func (db *DB) Close() error {
	// Stopped first: the writer's close checkpoints what is left.
	cerr := db.ckpt.close()
	rerr := errors.Join(db.Read.Close(), cerr)
	if err := db.Write.Close(); err != nil {
		return err
	}
	return rerr
}

// SchemaVersion reports the database's applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	q := "PRAGMA user_version"
	if db.dialect == Postgres {
		q = "SELECT coalesce(max(version), 0) FROM schema_migrations"
	}
	var v int
	err := db.Read.GetContext(ctx, &v, q)
	return v, err
}

func migrate(ctx context.Context, db *sqlx.DB) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	var current int
	if err := db.GetContext(ctx, &current, "PRAGMA user_version"); err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("database is at schema %d, newer than this program's %d", current, len(ms))
	}
	for _, m := range ms[current:] {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		// PRAGMA takes no parameters; Version is an int we parsed.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", m.Version, err)
		}
	}
	return nil
}

// timeLayout is RFC 3339 in UTC with a fixed nine-digit fraction, so stored
// times compare correctly as text (RFC3339Nano trims zeros and does not).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime renders t for a TEXT time column.
func FormatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// ParseTime reads a TEXT time column written by FormatTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// ReadSnapshot are the options of a read transaction whose statements all
// see one moment: a catalog load, a report. SQLite's read transactions do
// so anyway (WAL fixes their view at the first read) and its driver
// ignores the level; PostgreSQL's default, READ COMMITTED, gives each
// statement a moment of its own, so it asks for REPEATABLE READ.
var ReadSnapshot = &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
