package syncd

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"
)

// The stores' SQL is written once, for both databases, in SQL both
// speak, with two exceptions that are pure syntax: SQLite's placeholders
// (? and ?N) and its index hints (INDEXED BY x, NOT INDEXED), which steer
// SQLite's planner where it chooses badly and mean nothing to
// PostgreSQL's. Rather than ask every one of some 150 call sites to
// remember db.Rebind, and fail only on PostgreSQL when one forgets, the
// PostgreSQL pools connect through rebindConnector, whose connections
// rewrite each statement with pgSQL on its way to the driver. The rewrite
// is a pass over the text, small beside a round trip to the server, and
// pgx caches its prepared statements under the rewritten text, which is
// the same every time for the same statement. Everything with meaning
// (booleans, RETURNING, JSON, upserts) is written portably, or branched
// on DB.Dialect where it cannot be.

// indexHint is SQLite's INDEXED BY name or NOT INDEXED after a table.
var indexHint = regexp.MustCompile(`(?i)\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b`)

// pgSQL is query, written for SQLite, as PostgreSQL takes it: without
// index hints, with $N placeholders.
func pgSQL(query string) string {
	if strings.Contains(query, "INDEXED") {
		query = indexHint.ReplaceAllString(query, "")
	}
	return Postgres.Rebind(query)
}

// pgConn is what a connection of the pgx driver offers database/sql.
// Requiring all of it keeps the wrapper honest: an optional interface the
// wrapper did not forward would silently change how database/sql drives
// the connection (no session reset, no argument checking).
type pgConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.NamedValueChecker
}

// rebindConnector opens the driver's connections and wraps each in a
// rebindConn.
type rebindConnector struct {
	driver.Connector
}

func (c rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	pc, ok := conn.(pgConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("database driver %T: connection %T lacks an interface syncd needs", c.Driver(), conn)
	}
	return rebindConn{pc}, nil
}

// rebindConn is a pgx connection whose statements are rebound; every
// other method is the driver's own.
type rebindConn struct {
	pgConn
}

func (c rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.pgConn.Prepare(pgSQL(query))
}

func (c rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.pgConn.PrepareContext(ctx, pgSQL(query))
}

func (c rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.pgConn.ExecContext(ctx, pgSQL(query), args)
}

func (c rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.pgConn.QueryContext(ctx, pgSQL(query), args)
}

// openRebinding opens a pool on the registered driver name whose
// connections rebind SQLite placeholders for PostgreSQL.
func openRebinding(driverName, dsn string) (*sql.DB, error) {
	probe, err := sql.Open(driverName, "")
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	dc, ok := drv.(driver.DriverContext)
	if !ok {
		return nil, fmt.Errorf("database driver %q opens no connector", driverName)
	}
	conn, err := dc.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(rebindConnector{conn}), nil
}
