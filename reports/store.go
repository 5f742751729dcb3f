package reports

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// Store reads reports from syncd's database, on its reader pool, and
// keeps the order report's roll-up (rollup.go) on the writer.
type Store struct {
	db     *syncd.DB
	q      statements // in db's dialect
	foldMu sync.Mutex
}

// New returns a Store over db.
func New(db *syncd.DB) *Store { return &Store{db: db, q: statementsFor(db.Dialect())} }

// The order report's statements, for orders created in [?1, ?2): the
// roll-up's rows of the period's hours, and the orders not in it: those
// not final (by orders_status) and those whose final event is past the
// mark ?3 (from the mark on: a few, if the roll-up keeps up).
const (
	qReportRollup = `SELECT hour, dim, key, succeeded, failed, revenue, cost, settled, fallbacks, unknown, durations
		FROM report_hours WHERE hour >= ?1 AND hour < ?2`
	qReportOpen = `SELECT ` + orderColumns + ` FROM orders o
		WHERE o.status IN ('pending', 'processing', 'attention') AND o.created_at >= ?1 AND o.created_at < ?2`
	qReportUnfolded = `SELECT ` + orderColumns + `
		FROM order_events e CROSS JOIN orders o ON o.id = e.order_id
		WHERE e.id > ?3 AND ` + finalEvents + ` AND o.created_at >= ?1 AND o.created_at < ?2`
)

// Orders reports the orders created in p, from one read transaction: the
// roll-up and the orders not folded into it are one consistent state.
func (s *Store) Orders(ctx context.Context, p Period) (*OrderReport, error) {
	b := newBuilder(p)
	from, to := syncd.FormatTime(p.From), syncd.FormatTime(p.To)
	err := s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		mark, err := folded(ctx, tx)
		if err != nil {
			return err
		}
		if err := scanRollup(ctx, tx, b, p.From.UTC().Format(hourLayout), p.To.UTC().Format(hourLayout)); err != nil {
			return err
		}
		if err := scanOrders(ctx, tx, b, s.q.reportOpen, from, to); err != nil {
			return err
		}
		return scanOrders(ctx, tx, b, s.q.reportUnfolded, from, to, mark)
	})
	if err != nil {
		return nil, fmt.Errorf("order report %s–%s: %w", from, to, err)
	}
	return b.report(), nil
}

func scanRollup(ctx context.Context, tx *sqlx.Tx, b *builder, from, to string) error {
	rows, err := tx.QueryContext(ctx, qReportRollup, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	var hour, dim, key string
	var blob sql.RawBytes
	for rows.Next() {
		var c cell
		if err := rows.Scan(&hour, &dim, &key, &c.succeeded, &c.failed, &c.revenue, &c.cost,
			&c.settled, &c.fallbacks, &c.unknown, &blob); err != nil {
			return err
		}
		if c.durations, err = decodeDurations(nil, blob); err != nil {
			return err
		}
		if err := b.merge(hour, dim, key, &c); err != nil {
			return err
		}
	}
	return rows.Err()
}

func scanOrders(ctx context.Context, tx *sqlx.Tx, b *builder, q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var r orderRow
	for rows.Next() {
		if err := scanOrder(rows, &r, nil); err != nil {
			return err
		}
		if err := b.add(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// inReadTx runs fn in one read transaction: every query of a report sees
// the same committed state, whatever orders commit meanwhile (on
// PostgreSQL, REPEATABLE READ: the mark, the roll-up and the orders not
// folded are read before or after a fold, never across one).
func (s *Store) inReadTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.Read.BeginTxx(ctx, syncd.ReadSnapshot)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}
