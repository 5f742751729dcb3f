package reports

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// The roll-up's dimensions (report_hours.dim).
const (
	dimAll        = "all"
	dimGame       = "game"
	dimSupplier   = "supplier"
	dimStorefront = "storefront"
)

// hourLayout is report_hours.hour: the UTC hour an order was created in.
const hourLayout = "2006-01-02T15"

// hourOf is the roll-up hour of a stored created_at.
func hourOf(created []byte) (string, error) {
	if len(created) == len(stampLayout) && created[len(created)-1] == 'Z' {
		return string(created[:len(hourLayout)]), nil
	}
	t, err := parseStamp(created)
	if err != nil {
		return "", err
	}
	return t.UTC().Format(hourLayout), nil
}

// foldChunk bounds one fold transaction: the writer is held for the
// upserts of at most this many orders' rows, a few milliseconds.
const foldChunk = 2000

// The roll-up's statements. An order is folded in when its final status
// event (orders writes one, to success or failed, in the transaction that
// makes the order final) is past meta.report_folded_event, and every
// final event at or below the mark has committed: on SQLite, ids grow in
// commit order (one writer); on PostgreSQL they are allocated at insert,
// and Fold reads the last id behind a barrier (finalBarrier). So every
// order is folded exactly once, and an order final but not folded yet is
// one whose final event is past the mark.
const (
	qFolded    = `SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'report_folded_event'`
	qSetFolded = `INSERT INTO meta (key, value) VALUES ('report_folded_event', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	qLastEvent = `SELECT COALESCE(max(id), 0) FROM order_events`
	qRollupRow = `SELECT succeeded, failed, revenue, cost, settled, fallbacks, unknown, durations
		FROM report_hours WHERE hour = ? AND dim = ? AND key = ?`
	qUpsertRollup = `INSERT INTO report_hours (hour, dim, key, succeeded, failed, revenue, cost, settled, fallbacks, unknown, durations)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (hour, dim, key) DO UPDATE SET succeeded = excluded.succeeded, failed = excluded.failed,
			revenue = excluded.revenue, cost = excluded.cost, settled = excluded.settled,
			fallbacks = excluded.fallbacks, unknown = excluded.unknown, durations = excluded.durations`
)

// statements are the reports' statements that read events' JSON details
// or force a join order, which the two dialects spell differently; the
// rest are the same text on both.
type statements struct {
	reportOpen     string // qReportOpen
	reportUnfolded string // qReportUnfolded
	foldOrders     string // the orders whose final event is in (?1, ?2], ?3 at most
	unknownSends   string // qUnknownSends
}

// statementsFor builds d's statements, once per Store.
//
// SQLite's read detail with json_extract and pin the join order with
// CROSS JOIN … ON (its planner would otherwise start from orders).
// PostgreSQL's read detail as jsonb ->> inside a CASE on kind: the
// server may evaluate AND's operands in any order, and only the kinds
// named have JSON worth parsing; the unknown sends' WHERE is the partial
// index order_events_unknown's predicate as schema_postgres.sql spells
// it, which PostgreSQL must see implied to use the index. Its planner
// orders joins itself: a plain JOIN.
func statementsFor(d syncd.Dialect) statements {
	if d != syncd.Postgres {
		return statements{reportOpen: qReportOpen, reportUnfolded: qReportUnfolded, foldOrders: qFoldOrders, unknownSends: qUnknownSends}
	}
	pg := strings.NewReplacer(
		"CROSS JOIN", "JOIN",
		sqliteUnknownAttempt, pgUnknownAttempt,
		sqliteFinalEvents, pgFinalEvents,
		sqliteUnknownSendsWhere, pgUnknownSendsWhere,
		"json_extract(e.detail, '$.seq')", "(e.detail::jsonb ->> 'seq')::bigint",
	)
	st := statements{reportOpen: pg.Replace(qReportOpen), reportUnfolded: pg.Replace(qReportUnfolded), foldOrders: pg.Replace(qFoldOrders), unknownSends: pg.Replace(qUnknownSends)}
	for _, q := range []string{st.reportOpen, st.reportUnfolded, st.foldOrders, st.unknownSends} {
		if strings.Contains(q, "json_extract") || strings.Contains(q, "CROSS JOIN") {
			// A statement edited without its PostgreSQL spelling: fail
			// at start-up, not at the first report.
			panic("reports: statement left in SQLite's dialect: " + q)
		}
	}
	return st
}

// The parts of the SQLite statements that PostgreSQL spells otherwise.
const (
	sqliteUnknownAttempt = `x.kind = 'attempt'
			AND json_extract(x.detail, '$.outcome') IN ('unknown', 'taken')`
	pgUnknownAttempt = `CASE WHEN x.kind = 'attempt' THEN (x.detail::jsonb ->> 'outcome') IN ('unknown', 'taken') ELSE FALSE END`

	sqliteFinalEvents = `e.kind = 'status' AND json_extract(e.detail, '$.to') IN ('success', 'failed')`
	pgFinalEvents     = `CASE WHEN e.kind = 'status' THEN (e.detail::jsonb ->> 'to') IN ('success', 'failed') ELSE FALSE END`

	sqliteUnknownSendsWhere = `e.kind = 'attempt' AND json_extract(e.detail, '$.outcome') IN ('unknown', 'taken')`
	pgUnknownSendsWhere     = `CASE WHEN e.kind = 'attempt' THEN (e.detail::jsonb ->> 'outcome') IN ('unknown', 'taken') ELSE FALSE END`
)

// The SQLite statements that statementsFor rewrites for PostgreSQL.
const (
	// orderColumns are an order as the report reads it, with its flags.
	orderColumns = `o.created_at, o.updated_at, o.status, o.game_id, o.supplier, o.storefront, o.price, COALESCE(o.cost, 0),
		EXISTS (SELECT 1 FROM order_attempts a WHERE a.order_id = o.id AND a.seq = 2),
		EXISTS (SELECT 1 FROM order_events x WHERE x.order_id = o.id AND ` + sqliteUnknownAttempt + `),
		EXISTS (SELECT 1 FROM order_events x WHERE x.order_id = o.id AND x.kind = 'settled')`
	finalEvents = sqliteFinalEvents

	qFoldOrders = `SELECT e.id, ` + orderColumns + `
		FROM order_events e CROSS JOIN orders o ON o.id = e.order_id
		WHERE e.id > ?1 AND e.id <= ?2 AND ` + finalEvents + ` ORDER BY e.id LIMIT ?3`
)

// cellKey names a roll-up row.
type cellKey struct{ hour, dim, key string }

// The advisory locks of the roll-up (syncd.LockTx), on PostgreSQL, where
// several instances share the database: one instance folds at a time
// (foldKey, held through a Fold), and the mark is checked and moved by
// one transaction at a time (markKey) all the same, should the first be
// lost with its connection. Two keys: the fold's own write transaction
// must not wait on the lock its guard holds.
const (
	foldKey = "report fold"
	markKey = "report fold mark"
)

// Fold folds every order that became final since the last fold into the
// roll-up, a chunk per write transaction, and returns how many it folded.
// Reports are exact without it (they read what is not folded from the
// orders); folding keeps them fast. One fold at a time per Store, and on
// PostgreSQL per database: a second instance's Fold waits for the first,
// then folds what is left.
func (s *Store) Fold(ctx context.Context) (int, error) {
	s.foldMu.Lock()
	defer s.foldMu.Unlock()
	release, err := s.foldGuard(ctx)
	if err != nil {
		return 0, fmt.Errorf("report roll-up: %w", err)
	}
	defer release()
	total := 0
	for {
		n, more, err := s.foldChunk(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// foldGuard holds foldKey on PostgreSQL until release: a transaction of
// its own on the writer pool, open through the fold, that takes nothing
// else. On SQLite there is nothing to hold (foldMu, and the mark checked
// in each chunk's write transaction, which runs alone): a transaction on
// the writer there would be the one write lock, held through the fold.
func (s *Store) foldGuard(ctx context.Context) (release func(), err error) {
	if s.db.Dialect() != syncd.Postgres {
		return func() {}, nil
	}
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if err := syncd.LockTx(ctx, tx, foldKey); err != nil {
		tx.Rollback()
		return nil, err
	}
	return func() { tx.Rollback() }, nil
}

// foldLimit is the last order event's id, from where every final status
// event at or below it has committed. On SQLite ids grow in commit order;
// on PostgreSQL a transaction may hold a lower id uncommitted while a
// higher one commits, so the id is read behind the final-events barrier:
// orders holds syncd.FinalEventsKey shared from before it inserts a final
// event until it commits, and this takes it exclusively, which waits for
// those in flight and holds back new ones only while max(id) is read.
// Ids allocated after that are higher.
//
// Not in a snapshot (inReadTx): REPEATABLE READ would fix the view at the
// lock's statement, before the wait, and miss what committed during it.
// READ COMMITTED reads max(id) as of after the wait.
func (s *Store) foldLimit(ctx context.Context) (int64, error) {
	tx, err := s.db.Read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if err := syncd.LockTx(ctx, tx, syncd.FinalEventsKey); err != nil {
		return 0, err
	}
	var to int64
	err = tx.GetContext(ctx, &to, qLastEvent)
	return to, err
}

// foldChunk folds the next chunk: the orders are read, and the rows they
// change merged, in a read transaction; the rows and the mark are written
// in one short write transaction. more is true when events are left.
func (s *Store) foldChunk(ctx context.Context) (n int, more bool, err error) {
	to, err := s.foldLimit(ctx)
	if err != nil {
		return 0, false, err
	}
	var from int64
	changed := map[cellKey]*cell{}
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		if from, err = folded(ctx, tx); err != nil {
			return err
		}
		if to <= from {
			return nil
		}
		deltas := map[cellKey]*cell{}
		last, n2, err := scanFold(ctx, tx, s.q.foldOrders, deltas, from, to)
		if err != nil {
			return err
		}
		if n = n2; n == foldChunk {
			to, more = last, true // the rest after the last order read
		}
		for k, d := range deltas {
			c, err := rollupRow(ctx, tx, k)
			if err != nil {
				return err
			}
			c.merge(d)
			changed[k] = c
		}
		return nil
	})
	if err != nil || to <= from {
		return 0, false, err
	}
	err = s.inWriteTx(ctx, func(tx *sqlx.Tx) error {
		// One fold at a time (foldMu, foldGuard): the mark is still
		// ours. Checked all the same, under markKey, since a second
		// fold would count its orders twice.
		if err := syncd.LockTx(ctx, tx, markKey); err != nil {
			return err
		}
		if now, err := folded(ctx, tx); err != nil {
			return err
		} else if now != from {
			return fmt.Errorf("roll-up folded to event %d meanwhile, not %d", now, from)
		}
		for k, c := range changed {
			if _, err := tx.ExecContext(ctx, qUpsertRollup, k.hour, k.dim, k.key, c.succeeded, c.failed, c.revenue, c.cost,
				c.settled, c.fallbacks, c.unknown, encodeDurations(c.durations)); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, qSetFolded, strconv.FormatInt(to, 10))
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("fold orders into the report roll-up after event %d: %w", from, err)
	}
	return n, more, nil
}

// scanFold reads the orders whose final event is in (from, to], at most
// foldChunk, into deltas by roll-up row. It returns the last event read.
func scanFold(ctx context.Context, tx *sqlx.Tx, q string, deltas map[cellKey]*cell, from, to int64) (last int64, n int, err error) {
	rows, err := tx.QueryContext(ctx, q, from, to, foldChunk)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var r orderRow
	for rows.Next() {
		if err := scanOrder(rows, &r, &last); err != nil {
			return 0, 0, err
		}
		hour, err := hourOf(r.created)
		if err != nil {
			return 0, 0, err
		}
		for _, k := range []cellKey{{hour, dimAll, ""}, {hour, dimGame, string(r.game)},
			{hour, dimSupplier, string(r.supplier)}, {hour, dimStorefront, string(r.storefront)}} {
			c := deltas[k]
			if c == nil {
				c = &cell{}
				deltas[k] = c
			}
			if err := c.add(&r); err != nil {
				return 0, 0, err
			}
		}
		n++
	}
	return last, n, rows.Err()
}

// scanOrder reads one row of orderColumns, after an event id when id is
// not nil.
func scanOrder(rows *sql.Rows, r *orderRow, id *int64) error {
	var created, updated, status, game, supplier, storefront sql.RawBytes
	dest := []any{&created, &updated, &status, &game, &supplier, &storefront, &r.price, &r.cost, &r.fallback, &r.unknown, &r.settled}
	if id != nil {
		dest = append([]any{id}, dest...)
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	r.created, r.updated, r.status, r.game, r.supplier, r.storefront = created, updated, status, game, supplier, storefront
	return nil
}

func folded(ctx context.Context, q sqlx.QueryerContext) (int64, error) {
	var n int64
	err := sqlx.GetContext(ctx, q, &n, qFolded)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

func rollupRow(ctx context.Context, tx *sqlx.Tx, k cellKey) (*cell, error) {
	c := &cell{}
	var blob []byte
	err := tx.QueryRowContext(ctx, qRollupRow, k.hour, k.dim, k.key).Scan(&c.succeeded, &c.failed, &c.revenue, &c.cost,
		&c.settled, &c.fallbacks, &c.unknown, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	c.durations, err = decodeDurations(nil, blob)
	return c, err
}

// encodeDurations writes each duration as an unsigned varint.
func encodeDurations(ds []int64) []byte {
	b := make([]byte, 0, len(ds)*3)
	for _, d := range ds {
		b = binary.AppendUvarint(b, uint64(d))
	}
	return b
}

// decodeDurations appends the durations in b to ds.
func decodeDurations(ds []int64, b []byte) ([]int64, error) {
	for len(b) > 0 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return ds, errors.New("report roll-up: corrupt durations")
		}
		ds = append(ds, int64(v))
		b = b[n:]
	}
	return ds, nil
}

// Run folds now and then every interval until ctx ends, logging failures:
// a report stays exact without the roll-up, only slower.
func (s *Store) Run(ctx context.Context, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		start := time.Now()
		if n, err := s.Fold(ctx); err != nil && ctx.Err() == nil {
			log.Error("report roll-up", "err", err)
		} else if n > 0 {
			log.Debug("report roll-up", "orders", n, "duration", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// inWriteTx runs fn in one write transaction on the writer. The roll-up
// is derived data: it commits with the writer's default durability, and
// a lost tail is folded again (the mark is in the same transaction).
func (s *Store) inWriteTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
