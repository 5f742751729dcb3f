package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/offers"
)

// pgFirstSync times the first sync of srcs into an empty database on the
// PostgreSQL server at base: a schema of its own (bench_<random>),
// migrated by syncd.Open, which drop closes and drops, so a bench run
// leaves the server as it found it and never meets another run's rows. It
// checks that every one of the want offers arrived. The database stays
// open for the storefront reads (-http) to be measured over it too.
func pgFirstSync(ctx context.Context, base string, log *slog.Logger, srcs map[string]offers.Source, want int) (d time.Duration, db *syncd.DB, drop func(), err error) {
	if !syncd.IsPostgresURL(base) {
		return 0, nil, nil, fmt.Errorf("-pg: %q is not a postgres:// URL", base)
	}
	u, err := url.Parse(base)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("-pg: %w", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	admin, err := sqlx.Open("pgx", base)
	if err != nil {
		return 0, nil, nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return 0, nil, nil, fmt.Errorf("create schema on %s: %w", u.Redacted(), err)
	}
	drop = func() {
		if db != nil {
			db.Close()
		}
		// A fresh context: an interrupted run still cleans up.
		admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	if db, err = syncd.Open(ctx, u.String()); err != nil {
		drop()
		return 0, nil, nil, fmt.Errorf("open %s: %w", u.Redacted(), err)
	}
	d, _, err = syncAll(ctx, offers.NewSyncer(db, log), srcs)
	if err != nil {
		drop()
		return 0, nil, nil, fmt.Errorf("first sync into PostgreSQL: %w", err)
	}
	var n int
	if err := db.Read.GetContext(ctx, &n, `SELECT count(*) FROM offers`); err != nil {
		drop()
		return 0, nil, nil, err
	}
	if n != want {
		drop()
		return 0, nil, nil, fmt.Errorf("first sync into PostgreSQL: %d offers stored, want %d", n, want)
	}
	return d, db, drop, nil
}

// printPostgres writes the PostgreSQL row of the report, if it was run.
func printPostgres(tw io.Writer, sqlite, pg time.Duration) {
	if pg == 0 {
		return
	}
	fmt.Fprintf(tw, "first full sync of all into PostgreSQL\t%s\n", pg.Round(time.Millisecond))
	fmt.Fprintf(tw, "PostgreSQL / SQLite, first sync\t%.2fx\n", float64(pg)/float64(sqlite))
}
