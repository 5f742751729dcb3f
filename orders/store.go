package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// orderRow is an order as stored.
type orderRow struct {
	ID          string        `db:"id"`
	Reference   string        `db:"reference"`
	RequestHash string        `db:"request_hash"`
	Storefront  string        `db:"storefront"`
	ItemID      string        `db:"item_id"`
	GameID      string        `db:"game_id"`
	ItemName    string        `db:"item_name"`
	Tier        string        `db:"tier"`
	Fields      string        `db:"fields"`
	Price       int64         `db:"price"`
	Status      Status        `db:"status"`
	Reason      string        `db:"reason"`
	Supplier    string        `db:"supplier"`
	Cost        sql.NullInt64 `db:"cost"`
	SN          string        `db:"sn"`
	Version     int64         `db:"version"`
	CreatedAt   string        `db:"created_at"`
	UpdatedAt   string        `db:"updated_at"`
	SettleBy    string        `db:"settle_by"`
}

const orderColumns = `id, reference, request_hash, storefront, item_id, game_id, item_name, tier, fields,
	price, status, reason, supplier, cost, sn, version, created_at, updated_at, settle_by`

// dest is r's fields in orderColumns' order, to Scan into. An order is
// read several times on its way, and sqlx's reflection (the columns
// matched to fields again at every read) cost more than the read itself
// (issue 17; TestRowsScanInColumnOrder keeps the two lists in step).
func (r *orderRow) dest() []any {
	return []any{&r.ID, &r.Reference, &r.RequestHash, &r.Storefront, &r.ItemID, &r.GameID, &r.ItemName, &r.Tier,
		&r.Fields, &r.Price, &r.Status, &r.Reason, &r.Supplier, &r.Cost, &r.SN, &r.Version, &r.CreatedAt,
		&r.UpdatedAt, &r.SettleBy}
}

func (r *orderRow) view() (*Order, error) {
	o := &Order{ID: r.ID, Reference: r.Reference, Item: r.ItemID, Game: r.GameID, ItemName: r.ItemName,
		Tier: r.Tier, Price: r.Price, Currency: catalog.Currency, Status: r.Status, Reason: r.Reason,
		Supplier: r.Supplier, SN: r.SN, Version: r.Version}
	if err := json.Unmarshal([]byte(r.Fields), &o.Fields); err != nil {
		return nil, fmt.Errorf("order %s fields: %w", r.ID, err)
	}
	var err1, err2 error
	o.CreatedAt, err1 = syncd.ParseTime(r.CreatedAt)
	o.UpdatedAt, err2 = syncd.ParseTime(r.UpdatedAt)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("order %s times: %w", r.ID, err)
	}
	return o, nil
}

func (r *orderRow) settleBy() time.Time {
	t, _ := syncd.ParseTime(r.SettleBy)
	return t
}

func getOrder(ctx context.Context, q sqlx.QueryerContext, id string) (*orderRow, error) {
	var r orderRow
	err := q.QueryRowxContext(ctx, qOrderByID, id).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("order %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get order %s: %w", id, err)
	}
	return &r, nil
}

// orderByReference returns a storefront's order by its reference, or nil,
// nil when it has none.
func orderByReference(ctx context.Context, q sqlx.QueryerContext, storefront, ref string) (*orderRow, error) {
	var r orderRow
	err := q.QueryRowxContext(ctx, qOrderByReference, storefront, ref).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get order by reference %q: %w", ref, err)
	}
	return &r, nil
}

// Attempt states; see the order_attempts table.
const (
	statePrepared  = "prepared"
	stateRejected  = "rejected"
	stateUnknown   = "unknown"
	stateTaken     = "taken"
	stateAccepted  = "accepted"
	stateSucceeded = "succeeded"
	stateFailed    = "failed"
)

// attemptRow is one try at one supplier.
type attemptRow struct {
	OrderID        string         `db:"order_id" json:"-"`
	Seq            int            `db:"seq" json:"seq"`
	Supplier       string         `db:"supplier" json:"supplier"`
	OfferID        int64          `db:"offer_id" json:"offer"`
	ProductCode    string         `db:"product_code" json:"product_code"`
	Cost           int64          `db:"cost" json:"cost"`
	Ref            string         `db:"supplier_ref" json:"supplier_ref"`
	State          string         `db:"state" json:"state"`
	Purchase       string         `db:"purchase" json:"-"`
	Txn            string         `db:"supplier_txn" json:"supplier_txn,omitempty"`
	SupplierStatus string         `db:"supplier_status" json:"supplier_status,omitempty"`
	Message        string         `db:"message" json:"message,omitempty"`
	SN             string         `db:"sn" json:"sn,omitempty"`
	Checks         int            `db:"checks" json:"checks"`
	NextCheckAt    sql.NullString `db:"next_check_at" json:"-"`
	CreatedAt      string         `db:"created_at" json:"created_at"`
	UpdatedAt      string         `db:"updated_at" json:"updated_at"`
}

const attemptColumns = `order_id, seq, supplier, offer_id, product_code, cost, supplier_ref, state, purchase,
	supplier_txn, supplier_status, message, sn, checks, next_check_at, created_at, updated_at`

// dest is a's fields in attemptColumns' order, to Scan into (see
// orderRow.dest).
func (a *attemptRow) dest() []any {
	return []any{&a.OrderID, &a.Seq, &a.Supplier, &a.OfferID, &a.ProductCode, &a.Cost, &a.Ref, &a.State,
		&a.Purchase, &a.Txn, &a.SupplierStatus, &a.Message, &a.SN, &a.Checks, &a.NextCheckAt, &a.CreatedAt,
		&a.UpdatedAt}
}

// open reports whether the attempt may still deliver.
func (a *attemptRow) open() bool {
	switch a.State {
	case statePrepared, stateUnknown, stateTaken, stateAccepted:
		return true
	}
	return false
}

func (a *attemptRow) created() time.Time {
	t, _ := syncd.ParseTime(a.CreatedAt)
	return t
}

func attemptsOf(ctx context.Context, q sqlx.QueryerContext, orderID string) ([]attemptRow, error) {
	rows, err := q.QueryxContext(ctx, qAttempts, orderID)
	if err != nil {
		return nil, fmt.Errorf("attempts of order %s: %w", orderID, err)
	}
	defer rows.Close()
	var out []attemptRow
	for rows.Next() {
		out = append(out, attemptRow{})
		if err := rows.Scan(out[len(out)-1].dest()...); err != nil {
			return nil, fmt.Errorf("attempts of order %s: %w", orderID, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("attempts of order %s: %w", orderID, err)
	}
	return out, nil
}

func insertAttempt(ctx context.Context, tx execer, a *attemptRow) error {
	_, err := tx.ExecContext(ctx, qInsertAttempt, a.OrderID, a.Seq, a.Supplier, a.OfferID, a.ProductCode, a.Cost,
		a.Ref, a.State, a.Purchase, a.Txn, a.SupplierStatus, a.Message, a.SN, a.Checks, a.NextCheckAt,
		a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("store attempt %s: %w", a.Ref, err)
	}
	return nil
}

func getAttempt(ctx context.Context, q sqlx.QueryerContext, orderID string, seq int) (*attemptRow, error) {
	var a attemptRow
	if err := q.QueryRowxContext(ctx, qAttempt, orderID, seq).Scan(a.dest()...); err != nil {
		return nil, fmt.Errorf("attempt %d of order %s: %w", seq, orderID, err)
	}
	return &a, nil
}

// parkAttempt stops polling an attempt, saying why: nothing is left to ask
// its supplier, only a webhook or a person can settle it.
func parkAttempt(ctx context.Context, tx execer, a *attemptRow, why string, at time.Time) error {
	const q = `UPDATE order_attempts SET next_check_at = NULL, message = ?, updated_at = ?
				WHERE order_id = ? AND seq = ?`
	if _, err := tx.ExecContext(ctx, q, why, syncd.FormatTime(at), a.OrderID, a.Seq); err != nil {
		return fmt.Errorf("attempt %s: %w", a.Ref, err)
	}
	return nil
}

// saveAttempt writes an attempt's mutable columns.
func saveAttempt(ctx context.Context, tx execer, a *attemptRow) error {
	_, err := tx.ExecContext(ctx, qSaveAttempt, a.State, a.Txn, a.SupplierStatus, a.Message, a.SN, a.Checks,
		a.NextCheckAt, a.UpdatedAt, a.OrderID, a.Seq)
	if err != nil {
		return fmt.Errorf("update attempt %s: %w", a.Ref, err)
	}
	return nil
}

// Event is one entry of an order's history.
type Event struct {
	At     time.Time       `json:"at"`
	Kind   string          `json:"kind"`
	Actor  string          `json:"actor"`
	Detail json.RawMessage `json:"detail"`
}

func addEvent(ctx context.Context, tx execer, orderID, kind, actor string, at time.Time, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("event %s of order %s: %w", kind, orderID, err)
	}
	if _, err := tx.ExecContext(ctx, qInsertEvent, orderID, syncd.FormatTime(at), kind, actor, string(b)); err != nil {
		return fmt.Errorf("event %s of order %s: %w", kind, orderID, err)
	}
	return nil
}

func eventsOf(ctx context.Context, q sqlx.QueryerContext, orderID string) ([]Event, error) {
	rows, err := q.QueryxContext(ctx, `SELECT at, kind, actor, detail FROM order_events WHERE order_id = ? ORDER BY id`, orderID)
	if err != nil {
		return nil, fmt.Errorf("events of order %s: %w", orderID, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var at, detail string
		if err := rows.Scan(&at, &e.Kind, &e.Actor, &detail); err != nil {
			return nil, fmt.Errorf("events of order %s: %w", orderID, err)
		}
		e.At, _ = syncd.ParseTime(at)
		e.Detail = json.RawMessage(detail)
		out = append(out, e)
	}
	return out, rows.Err()
}

// The statements an order runs, prepared once (see stmts). Those a write
// transaction runs are listed in writeQueries and prepared before the
// first one.
const (
	qOrderByID        = `SELECT ` + orderColumns + ` FROM orders WHERE id = ?`
	qOrderByReference = `SELECT ` + orderColumns + ` FROM orders WHERE storefront = ? AND reference = ?`
	qAttempts         = `SELECT ` + attemptColumns + ` FROM order_attempts WHERE order_id = ? ORDER BY seq`
	qAttempt          = `SELECT ` + attemptColumns + ` FROM order_attempts WHERE order_id = ? AND seq = ?`
	qInsertAttempt    = `INSERT INTO order_attempts (` + attemptColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qSaveAttempt = `UPDATE order_attempts SET state = ?, supplier_txn = ?, supplier_status = ?, message = ?, sn = ?,
		checks = ?, next_check_at = ?, updated_at = ? WHERE order_id = ? AND seq = ?`
	qInsertEvent = `INSERT INTO order_events (order_id, at, kind, actor, detail) VALUES (?, ?, ?, ?, ?)`
	qInsertOrder = `INSERT INTO orders (id, reference, request_hash, storefront, item_id, game_id,
		item_name, tier, fields, price, status, explain_hash, catalog_version, version, created_at, updated_at, settle_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`
	qMoveOrder = `UPDATE orders SET status = ?, reason = ?, supplier = ?, cost = ?, sn = ?,
		version = ?, updated_at = ? WHERE id = ? AND status = ? AND version = ?`
)

var writeQueries = []string{qOrderByID, qOrderByReference, qAttempts, qAttempt, qInsertAttempt, qSaveAttempt,
	qInsertEvent, qInsertOrder, qMoveOrder, qStoreExplain, qSpendBalance, qTakeLease, qRenewLease, qReleaseLease}

// r runs reads on the reader pool; w runs statements inside tx.
func (s *Service) r() runner            { return runner{c: &s.stmts, db: s.db.Read} }
func (s *Service) w(tx *sqlx.Tx) runner { return runner{c: &s.stmts, db: s.db.Write, tx: tx} }

// inTx runs fn in one write transaction.
func (s *Service) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	s.warm.Do(func() {
		// No transaction is open here: the writer's connection is free
		// to prepare on. A failure only means slower statements.
		for _, q := range append(writeQueries, s.qFence) {
			if _, err := s.stmts.get(ctx, s.db.Write, q, false); err != nil {
				s.log.Warn("prepare order statement", "err", err)
			}
		}
	})
	// Durable: an order, attempt or status a storefront or supplier may
	// have been told of must survive a power cut.
	return s.db.InDurableTx(ctx, fn)
}

// errReferenceTaken is an order refused by the unique (storefront,
// reference): another request stored it first.
var errReferenceTaken = errors.New("reference taken")

// isUniqueViolation reports whether err is a unique constraint's refusal,
// by the driver's code, never its message: SQLSTATE 23505 from PostgreSQL,
// SQLITE_CONSTRAINT_UNIQUE or _PRIMARYKEY from SQLite. The drivers are
// matched by the methods their errors have, so that this package imports
// neither.
func isUniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		const constraintUnique, constraintPrimaryKey = 2067, 1555
		c := lite.Code()
		return c == constraintUnique || c == constraintPrimaryKey
	}
	return false
}

// insertOrder stores a new order as pending, at version 1, with the hash
// of its price explanation (stored apart, in price_explains; "" for none)
// and the catalog version it was taken at.
func insertOrder(ctx context.Context, tx execer, row *orderRow, explainHash string, catalogVersion int64) error {
	_, err := tx.ExecContext(ctx, qInsertOrder, row.ID, row.Reference, row.RequestHash, row.Storefront, row.ItemID, row.GameID,
		row.ItemName, row.Tier, row.Fields, row.Price, Pending, explainHash, catalogVersion, row.CreatedAt, row.UpdatedAt, row.SettleBy)
	if isUniqueViolation(err) {
		// The unique key it broke is (storefront, reference): an id
		// repeats only if two orders of one millisecond drew the same 40
		// random bits (newOrderID). Then Create finds no order with the
		// reference and fails the request, and its retry gets a new id.
		return fmt.Errorf("store order %s: %w: %w", row.Reference, errReferenceTaken, err)
	}
	if err != nil {
		return fmt.Errorf("store order %s: %w", row.Reference, err)
	}
	return nil
}

// moveOrder writes up over row, only if row is still as read: same status
// and version.
func moveOrder(ctx context.Context, tx execer, row, up *orderRow) error {
	res, err := tx.ExecContext(ctx, qMoveOrder, up.Status, up.Reason, up.Supplier, up.Cost, up.SN, up.Version, up.UpdatedAt,
		row.ID, row.Status, row.Version)
	if err != nil {
		return fmt.Errorf("order %s to %s: %w", row.ID, up.Status, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("order %s to %s: changed meanwhile", row.ID, up.Status)
	}
	return nil
}

// ordersByReference returns the orders with a reference, oldest first: a
// storefront's (zero or one), or with storefront "" every storefront's.
func ordersByReference(ctx context.Context, q sqlx.QueryerContext, storefront, ref string) ([]orderRow, error) {
	sel, args := `SELECT `+orderColumns+` FROM orders WHERE reference = ?`, []any{ref}
	if storefront != "" {
		sel, args = sel+` AND storefront = ?`, append(args, storefront)
	}
	var rows []orderRow
	if err := sqlx.SelectContext(ctx, q, &rows, sel+` ORDER BY created_at`, args...); err != nil {
		return nil, fmt.Errorf("orders with reference %q: %w", ref, err)
	}
	return rows, nil
}

// listOrders returns orders newest first, attention orders first.
func listOrders(ctx context.Context, q sqlx.QueryerContext, f Filter) ([]orderRow, error) {
	sel := `SELECT ` + orderColumns + ` FROM orders WHERE 1=1`
	var args []any
	if f.Status != "" {
		sel += ` AND status = ?`
		args = append(args, f.Status)
	}
	if !f.Since.IsZero() {
		sel += ` AND created_at >= ?`
		args = append(args, syncd.FormatTime(f.Since))
	}
	if !f.Until.IsZero() {
		sel += ` AND created_at < ?`
		args = append(args, syncd.FormatTime(f.Until))
	}
	sel += ` ORDER BY status = 'attention' DESC, created_at DESC LIMIT ?`
	args = append(args, f.Limit)
	var rows []orderRow
	if err := sqlx.SelectContext(ctx, q, &rows, sel, args...); err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return rows, nil
}

// countOrders counts the orders in each status that has any.
func countOrders(ctx context.Context, q sqlx.QueryerContext, out map[Status]int) error {
	const sel = `SELECT status, count(*) FROM orders GROUP BY status`
	rows, err := q.QueryContext(ctx, sel)
	if err != nil {
		return fmt.Errorf("count orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st Status
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return fmt.Errorf("count orders: %w", err)
		}
		out[st] = n
	}
	return rows.Err()
}

// attemptKey names one attempt.
type attemptKey struct {
	OrderID string `db:"order_id"`
	Seq     int    `db:"seq"`
}

// dueAttempts are the attempts whose next check is due at now, soonest
// first, at most 500.
func dueAttempts(ctx context.Context, q sqlx.QueryerContext, now string) ([]attemptKey, error) {
	const sel = `SELECT order_id, seq FROM order_attempts
		WHERE next_check_at IS NOT NULL AND next_check_at <= ? ORDER BY next_check_at LIMIT 500`
	var rows []attemptKey
	if err := sqlx.SelectContext(ctx, q, &rows, sel, now); err != nil {
		return nil, fmt.Errorf("due attempts: %w", err)
	}
	return rows, nil
}

// unrouted are the open orders untouched since before that no attempt
// carries: a crash left them between two steps. At most 500.
func unrouted(ctx context.Context, q sqlx.QueryerContext, before string) ([]string, error) {
	const sel = `SELECT id FROM orders o
		WHERE status IN ('pending', 'processing') AND updated_at <= ? AND NOT EXISTS (
			SELECT 1 FROM order_attempts a WHERE a.order_id = o.id AND a.state IN ('prepared', 'unknown', 'taken', 'accepted'))
		LIMIT 500`
	var ids []string
	if err := sqlx.SelectContext(ctx, q, &ids, sel, before); err != nil {
		return nil, fmt.Errorf("orders to route: %w", err)
	}
	return ids, nil
}

// toResume are the open orders with no attempt in flight: a previous run
// left them mid-way.
func toResume(ctx context.Context, q sqlx.QueryerContext) ([]string, error) {
	const sel = `SELECT id FROM orders o
		WHERE status IN ('pending', 'processing') AND NOT EXISTS (
			SELECT 1 FROM order_attempts a WHERE a.order_id = o.id AND a.state IN ('unknown', 'taken', 'accepted'))`
	var ids []string
	if err := sqlx.SelectContext(ctx, q, &ids, sel); err != nil {
		return nil, fmt.Errorf("orders to resume: %w", err)
	}
	return ids, nil
}

// postponeAttempt writes an attempt's check count, next check and message.
func postponeAttempt(ctx context.Context, tx execer, a *attemptRow, next sql.NullString, msg, at string) error {
	const q = `UPDATE order_attempts SET checks = ?, next_check_at = ?, message = ?, updated_at = ?
			WHERE order_id = ? AND seq = ?`
	_, err := tx.ExecContext(ctx, q, a.Checks, next, msg, at, a.OrderID, a.Seq)
	return err
}

// findAttempt finds a supplier's attempt by its transaction id, or else by
// our reference; sql.ErrNoRows when neither matches.
func findAttempt(ctx context.Context, q sqlx.QueryerContext, supplier, txn, ref string) (attemptKey, error) {
	const (
		byTxn = `SELECT order_id, seq FROM order_attempts WHERE supplier = ? AND supplier_txn = ?`
		byRef = `SELECT order_id, seq FROM order_attempts WHERE supplier = ? AND supplier_ref = ?`
	)
	var key attemptKey
	err := sql.ErrNoRows
	if txn != "" {
		err = sqlx.GetContext(ctx, q, &key, byTxn, supplier, txn)
	}
	if errors.Is(err, sql.ErrNoRows) && ref != "" {
		err = sqlx.GetContext(ctx, q, &key, byRef, supplier, ref)
	}
	return key, err
}
