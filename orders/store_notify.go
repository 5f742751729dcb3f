package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// The outboxes' statements: notify_outbox (storefront notifications) and
// alert_outbox (operator alerts). A row is pending while next_at is set.

// insertDelivery stores a notification, due at once, in tx.
func insertDelivery(ctx context.Context, tx sqlx.ExecerContext, id, orderID, status string, body []byte, now string) error {
	const q = `INSERT INTO notify_outbox (delivery_id, order_id, status, body, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, q, id, orderID, status, string(body), now, now); err != nil {
		return fmt.Errorf("enqueue notification of order %s %s: %w", orderID, status, err)
	}
	return nil
}

// headsOfOrders is each order's oldest pending delivery: the only one of
// the order that may be sent. It reads only the pending rows (the partial
// index), however long the outbox grows.
const headsOfOrders = `SELECT MIN(id) FROM notify_outbox WHERE next_at IS NOT NULL GROUP BY order_id`

// dueDeliveries are the deliveries due at now that head their order,
// oldest first, at most limit.
func dueDeliveries(ctx context.Context, q sqlx.QueryerContext, now string, limit int) ([]outboxRow, error) {
	const sel = `SELECT id, delivery_id, order_id, status, body, attempts FROM notify_outbox
		WHERE id IN (` + headsOfOrders + `) AND next_at <= ? ORDER BY id LIMIT ?`
	var rows []outboxRow
	if err := sqlx.SelectContext(ctx, q, &rows, sel, now, limit); err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	return rows, nil
}

// claim is how an outbox row is sent once by one of several instances:
// where the database has other writers (PostgreSQL), the row is read
// again in a transaction that locks it, skipping it if another instance
// holds it, and only if it is still due (q says what due means). The
// transaction is held while the row is sent and its outcome is recorded
// in it, so no other instance can send it meanwhile, and one that died
// mid-send lets go of it with its connection: delivery stays at least
// once. It returns nil when the row is not this instance's to send. On
// SQLite, one instance, it returns nil with ok true: the caller sends
// as it read the row and records on the writer.
func claim(ctx context.Context, db *syncd.DB, dest any, q string, args ...any) (tx *sqlx.Tx, ok bool, err error) {
	if db.Dialect() != syncd.Postgres {
		return nil, true, nil
	}
	tx, err = db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	err = tx.GetContext(ctx, dest, q+` FOR UPDATE SKIP LOCKED`, args...)
	if err != nil {
		tx.Rollback()
		if errors.Is(err, sql.ErrNoRows) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return tx, true, nil
}

// claimDelivery is claim of a storefront notification that is still due
// at now and still the oldest pending of its order.
func claimDelivery(ctx context.Context, db *syncd.DB, r *outboxRow, now string) (*sqlx.Tx, bool, error) {
	const sel = `SELECT id, delivery_id, order_id, status, body, attempts FROM notify_outbox o
		WHERE id = ? AND next_at IS NOT NULL AND next_at <= ? AND id = (
			SELECT MIN(id) FROM notify_outbox h WHERE h.order_id = o.order_id AND h.next_at IS NOT NULL)`
	tx, ok, err := claim(ctx, db, r, sel, r.ID, now)
	if err != nil {
		return nil, false, fmt.Errorf("claim notification %s: %w", r.Delivery, err)
	}
	return tx, ok, nil
}

// claimAlert is claim of an operator alert that is still due at now.
func claimAlert(ctx context.Context, db *syncd.DB, r *alertRow, now string) (*sqlx.Tx, bool, error) {
	const sel = `SELECT id, delivery_id, event, body, attempts FROM alert_outbox
		WHERE id = ? AND next_at IS NOT NULL AND next_at <= ?`
	tx, ok, err := claim(ctx, db, r, sel, r.ID, now)
	if err != nil {
		return nil, false, fmt.Errorf("claim alert %s: %w", r.Delivery, err)
	}
	return tx, ok, nil
}

// nextDelivery is the earliest next_at of a sendable delivery, if any.
func nextDelivery(ctx context.Context, q sqlx.QueryerContext) (sql.NullString, error) {
	const sel = `SELECT MIN(next_at) FROM notify_outbox WHERE id IN (` + headsOfOrders + `)`
	var next sql.NullString
	if err := sqlx.GetContext(ctx, q, &next, sel); err != nil {
		return next, fmt.Errorf("next due notification: %w", err)
	}
	return next, nil
}

// recordDelivery stores the outcome of a delivery's attempt: delivered at
// at, given up at at with msg, or retried at at with msg.
func recordDelivery(ctx context.Context, ex sqlx.ExecerContext, id int64, attempt int, outcome, at, msg string) error {
	return recordAttempt(ctx, ex, "notify_outbox", id, attempt, outcome, at, msg)
}

// recordAttempt stores an attempt's outcome in outbox (notify_outbox or
// alert_outbox, which share these columns).
func recordAttempt(ctx context.Context, ex sqlx.ExecerContext, outbox string, id int64, attempt int, outcome, at, msg string) error {
	var err error
	switch outcome {
	case DeliveryDelivered:
		_, err = ex.ExecContext(ctx, `UPDATE `+outbox+` SET attempts = ?, next_at = NULL, delivered_at = ?, last_error = '' WHERE id = ?`, attempt, at, id)
	case DeliveryFailed:
		_, err = ex.ExecContext(ctx, `UPDATE `+outbox+` SET attempts = ?, next_at = NULL, failed_at = ?, last_error = ? WHERE id = ?`, attempt, at, msg, id)
	default:
		_, err = ex.ExecContext(ctx, `UPDATE `+outbox+` SET attempts = ?, next_at = ?, last_error = ? WHERE id = ?`, attempt, at, msg, id)
	}
	return err
}

// deliveryRow is a delivery as operators list it.
type deliveryRow struct {
	ID          string         `db:"delivery_id"`
	Order       string         `db:"order_id"`
	Status      string         `db:"status"`
	Attempts    int            `db:"attempts"`
	NextAt      sql.NullString `db:"next_at"`
	DeliveredAt sql.NullString `db:"delivered_at"`
	FailedAt    sql.NullString `db:"failed_at"`
	LastError   string         `db:"last_error"`
	CreatedAt   string         `db:"created_at"`
}

// listDeliveries returns the deliveries f selects, newest first, at most
// limit.
func listDeliveries(ctx context.Context, q sqlx.QueryerContext, f DeliveryFilter, limit int) ([]deliveryRow, error) {
	const sel = `SELECT delivery_id, order_id, status, attempts, next_at, delivered_at, failed_at, last_error, created_at
		FROM notify_outbox WHERE `
	var where []string
	var args []any
	switch f.State {
	case "":
	case DeliveryPending:
		where = append(where, "next_at IS NOT NULL")
	case DeliveryDelivered:
		where = append(where, "delivered_at IS NOT NULL")
	case DeliveryFailed:
		where = append(where, "failed_at IS NOT NULL")
	default:
		return nil, fmt.Errorf("%w: state %q, want pending, delivered or failed", ErrDeliveryFilter, f.State)
	}
	if f.Order != "" {
		where = append(where, "order_id = ?")
		args = append(args, f.Order)
	}
	if len(where) == 0 {
		where = append(where, "TRUE")
	}
	args = append(args, limit)
	var rows []deliveryRow
	if err := sqlx.SelectContext(ctx, q, &rows, sel+strings.Join(where, " AND ")+" ORDER BY id DESC LIMIT ?", args...); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return rows, nil
}

// deliveryStats counts the deliveries pending and given up.
func deliveryStats(ctx context.Context, q sqlx.QueryerContext) (pending, failed int, err error) {
	const sel = `SELECT
		(SELECT COUNT(*) FROM notify_outbox WHERE next_at IS NOT NULL),
		(SELECT COUNT(*) FROM notify_outbox WHERE failed_at IS NOT NULL)`
	if err := q.QueryRowxContext(ctx, sel).Scan(&pending, &failed); err != nil {
		return 0, 0, fmt.Errorf("notification stats: %w", err)
	}
	return pending, failed, nil
}

// insertAlert stores an operator alert, due at once, in tx.
func insertAlert(ctx context.Context, tx sqlx.ExecerContext, id, event string, body []byte, now string) error {
	const q = `INSERT INTO alert_outbox (delivery_id, event, body, next_at, created_at) VALUES (?, ?, ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, q, id, event, string(body), now, now); err != nil {
		return fmt.Errorf("enqueue alert %s: %w", event, err)
	}
	return nil
}

// dueAlerts are the alerts due at now, oldest first, at most limit.
func dueAlerts(ctx context.Context, q sqlx.QueryerContext, now string, limit int) ([]alertRow, error) {
	const sel = `SELECT id, delivery_id, event, body, attempts FROM alert_outbox
		WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY id LIMIT ?`
	var rows []alertRow
	if err := sqlx.SelectContext(ctx, q, &rows, sel, now, limit); err != nil {
		return nil, fmt.Errorf("due alerts: %w", err)
	}
	return rows, nil
}

// nextAlert is the earliest next_at of a pending alert, if any.
func nextAlert(ctx context.Context, q sqlx.QueryerContext) (sql.NullString, error) {
	const sel = `SELECT MIN(next_at) FROM alert_outbox WHERE next_at IS NOT NULL`
	var next sql.NullString
	if err := sqlx.GetContext(ctx, q, &next, sel); err != nil {
		return next, fmt.Errorf("next due alert: %w", err)
	}
	return next, nil
}

// recordAlert stores the outcome of an alert's attempt, as recordDelivery.
func recordAlert(ctx context.Context, ex sqlx.ExecerContext, id int64, attempt int, outcome, at, msg string) error {
	return recordAttempt(ctx, ex, "alert_outbox", id, attempt, outcome, at, msg)
}

// pendingAlerts counts the alerts waiting to be delivered.
func pendingAlerts(ctx context.Context, q sqlx.QueryerContext) (int, error) {
	const sel = `SELECT COUNT(*) FROM alert_outbox WHERE next_at IS NOT NULL`
	var n int
	err := sqlx.GetContext(ctx, q, &n, sel)
	return n, err
}
