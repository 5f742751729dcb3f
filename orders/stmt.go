package orders

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmts keeps the service's prepared statements. An order runs about
// twenty statements, and parsing each again every time was a quarter of
// the CPU an order cost (BENCHMARKS.md). database/sql prepares a Stmt on
// each pool connection as it is first used there and keeps it.
type stmts struct {
	mu sync.Mutex
	m  map[stmtKey]*sqlx.Stmt
}

type stmtKey struct {
	db *sqlx.DB
	q  string
}

// get returns db's statement for q, preparing it if need be; with
// cachedOnly it never prepares (see runner.stmt) and returns nil on a miss.
func (c *stmts) get(ctx context.Context, db *sqlx.DB, q string, cachedOnly bool) (*sqlx.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[stmtKey{db, q}]; ok {
		return st, nil
	}
	if cachedOnly {
		return nil, nil
	}
	st, err := db.PreparexContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if c.m == nil {
		c.m = map[stmtKey]*sqlx.Stmt{}
	}
	c.m[stmtKey{db, q}] = st
	return st, nil
}

func (c *stmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, st := range c.m {
		st.Close()
		delete(c.m, k)
	}
}

// runner runs statements prepared once: on db, or inside tx (whose
// connection is db's) when tx is set. It is a sqlx.QueryerContext and an
// execer, so the store's functions take it where they took a *sqlx.DB or
// a *sqlx.Tx.
type runner struct {
	c  *stmts
	db *sqlx.DB
	tx *sqlx.Tx
}

func (r runner) stmt(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if r.tx == nil {
		return r.c.get(ctx, r.db, q, false)
	}
	// Inside a transaction the writer's one connection is the
	// transaction's: preparing on the pool would wait for it forever. The
	// writes are prepared before any transaction (Service.warm); anything
	// else is prepared on the transaction, for it alone.
	st, err := r.c.get(ctx, r.db, q, true)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return r.tx.PreparexContext(ctx, q)
	}
	return r.tx.StmtxContext(ctx, st), nil
}

func (r runner) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (r runner) QueryxContext(ctx context.Context, q string, args ...any) (*sqlx.Rows, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryxContext(ctx, args...)
}

func (r runner) QueryRowxContext(ctx context.Context, q string, args ...any) *sqlx.Row {
	st, err := r.stmt(ctx, q)
	if err != nil {
		// A Row carries its error to Scan: the unprepared query fails
		// the same way, on the same connection.
		if r.tx != nil {
			return r.tx.QueryRowxContext(ctx, q, args...)
		}
		return r.db.QueryRowxContext(ctx, q, args...)
	}
	return st.QueryRowxContext(ctx, args...)
}

func (r runner) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// execer is what the store's writes need: a runner inside a transaction.
type execer interface {
	sqlx.QueryerContext
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}
