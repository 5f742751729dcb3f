package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// Queries of the balance book. The spend of an attempt is booked when its
// first send is answered (record), and refunded when a supplier reports it
// not delivered (applyReceipt).
const (
	qSpendBalance  = `UPDATE supplier_balances SET balance = balance - ? WHERE supplier = ? AND balance IS NOT NULL`
	qRefundBalance = `UPDATE supplier_balances SET balance = balance + ? WHERE supplier = ? AND balance IS NOT NULL`
	// A refusal for want of deposit proves the balance is below the cost.
	qShortBalance = `UPDATE supplier_balances SET balance = ? WHERE supplier = ? AND balance >= ?`
	// Bought since a moment: sent and maybe charged, not refunded.
	qSpentSince = `SELECT COALESCE(SUM(cost), 0) FROM order_attempts
		WHERE supplier = ? AND created_at >= ? AND state IN ('unknown', 'taken', 'accepted', 'succeeded')`
)

// spendBalance books a purchase the supplier may have charged: a known
// balance is lowered until the next balance check.
func spendBalance(ctx context.Context, ex execer, supplier string, cost int64) error {
	if _, err := ex.ExecContext(ctx, qSpendBalance, cost, supplier); err != nil {
		return fmt.Errorf("balance of %s: %w", supplier, err)
	}
	return nil
}

// shortOfBalance books a refusal for want of deposit: the estimate is
// now below the cost, whatever it was.
func shortOfBalance(ctx context.Context, ex execer, supplier string, cost int64) error {
	if _, err := ex.ExecContext(ctx, qShortBalance, cost-1, supplier, cost); err != nil {
		return fmt.Errorf("balance of %s: %w", supplier, err)
	}
	return nil
}

// refundBalance books a purchase the supplier did not deliver: its cost
// is back in the deposit.
func refundBalance(ctx context.Context, ex execer, supplier string, cost int64) error {
	if _, err := ex.ExecContext(ctx, qRefundBalance, cost, supplier); err != nil {
		return fmt.Errorf("balance of %s: %w", supplier, err)
	}
	return nil
}

// spentSince is what was sent to supplier since a moment and maybe
// charged (qSpentSince). The caller names the operation in the error.
func spentSince(ctx context.Context, q sqlx.QueryerContext, supplier string, since time.Time) (int64, error) {
	var spent int64
	err := sqlx.GetContext(ctx, q, &spent, qSpentSince, supplier, syncd.FormatTime(since))
	return spent, err
}

// lockBalance locks supplier's balance row until tx ends, where other
// writers run beside tx (PostgreSQL); SQLite's writer is alone already.
func lockBalance(ctx context.Context, tx *sqlx.Tx, supplier string) error {
	lock := syncd.ForUpdate(tx)
	if lock == "" {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM supplier_balances WHERE supplier = ?`+lock, supplier); err != nil {
		return fmt.Errorf("lock balance of %s: %w", supplier, err)
	}
	return nil
}

// storeBalanceRead stores an estimate and the read it came from, and
// clears the supplier's error.
func storeBalanceRead(ctx context.Context, tx execer, supplier string, estimate, read int64, at string) error {
	const q = `INSERT INTO supplier_balances (supplier, balance, read_balance, error, checked_at) VALUES (?, ?, ?, '', ?)
			ON CONFLICT (supplier) DO UPDATE SET balance = excluded.balance, read_balance = excluded.read_balance,
				error = '', checked_at = excluded.checked_at`
	if _, err := tx.ExecContext(ctx, q, supplier, estimate, read, at); err != nil {
		return fmt.Errorf("record balance of %s: %w", supplier, err)
	}
	return nil
}

// storeBalanceError stores the error of asking supplier for its balance,
// keeping the last known balance.
func storeBalanceError(ctx context.Context, tx execer, supplier, msg, at string) error {
	const q = `INSERT INTO supplier_balances (supplier, balance, error, checked_at) VALUES (?, NULL, ?, ?)
			ON CONFLICT (supplier) DO UPDATE SET error = excluded.error, checked_at = excluded.checked_at`
	if _, err := tx.ExecContext(ctx, q, supplier, msg, at); err != nil {
		return fmt.Errorf("record balance of %s: %w", supplier, err)
	}
	return nil
}

// balanceSuppliers lists the suppliers with a stored balance.
func balanceSuppliers(ctx context.Context, q sqlx.QueryerContext) ([]string, error) {
	const sel = `SELECT supplier FROM supplier_balances ORDER BY supplier`
	var suppliers []string
	if err := sqlx.SelectContext(ctx, q, &suppliers, sel); err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	return suppliers, nil
}

// estimateRow is what passBalance reads of a supplier's balance.
type estimateRow struct {
	Balance      sql.NullInt64  `db:"balance"`
	LowSince     sql.NullString `db:"low_since"`
	LowThreshold sql.NullInt64  `db:"low_threshold"`
}

// getEstimate reads supplier's estimate and warning; false when its
// balance was never read.
func getEstimate(ctx context.Context, q sqlx.QueryerContext, supplier string) (estimateRow, bool, error) {
	const sel = `SELECT balance, low_since, low_threshold FROM supplier_balances WHERE supplier = ?`
	var row estimateRow
	err := sqlx.GetContext(ctx, q, &row, sel, supplier)
	if errors.Is(err, sql.ErrNoRows) {
		return row, false, nil
	}
	if err != nil {
		return row, false, fmt.Errorf("balance of %s: %w", supplier, err)
	}
	return row, true, nil
}

// markLow starts (low) or ends a low-balance warning, judged on the
// estimate est. It reports whether the row was on the other side and
// still holds est: a second mark of the same crossing changes nothing, and
// neither does a pass that read the estimate before it moved again. That
// pass's verdict may be stale (it read 505,000 and "recovered" while a
// newer estimate of 499,999 is already marked low), and every move of the
// estimate is judged by a pass of its own after it.
func markLow(ctx context.Context, tx execer, supplier string, low bool, at time.Time, threshold, est int64) (bool, error) {
	q := `UPDATE supplier_balances SET low_since = NULL, low_threshold = NULL
		WHERE supplier = ? AND low_since IS NOT NULL AND balance = ?`
	args := []any{supplier, est}
	if low {
		q = `UPDATE supplier_balances SET low_since = ?, low_threshold = ?
			WHERE supplier = ? AND low_since IS NULL AND balance = ?`
		args = []any{syncd.FormatTime(at), threshold, supplier, est}
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("low balance of %s: %w", supplier, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// listBalances reads every stored balance, without thresholds.
func listBalances(ctx context.Context, q sqlx.QueryerContext) ([]Balance, error) {
	const sel = `SELECT supplier, balance, read_balance, error, checked_at, low_since, low_threshold
		FROM supplier_balances ORDER BY supplier`
	rows, err := q.QueryContext(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	defer rows.Close()
	var out []Balance
	for rows.Next() {
		var b Balance
		var bal, read, lowThreshold sql.NullInt64
		var at string
		var lowSince sql.NullString
		if err := rows.Scan(&b.Supplier, &bal, &read, &b.Error, &at, &lowSince, &lowThreshold); err != nil {
			return nil, fmt.Errorf("balances: %w", err)
		}
		if bal.Valid {
			b.Balance = &bal.Int64
		}
		if read.Valid {
			b.Read = &read.Int64
		}
		b.CheckedAt, _ = syncd.ParseTime(at)
		if lowSince.Valid {
			since, _ := syncd.ParseTime(lowSince.String)
			b.Low = &LowWarning{Since: since, Threshold: lowThreshold.Int64}
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// trustedBalances are the balances routing may trust: known, and not in
// error.
func trustedBalances(ctx context.Context, q sqlx.QueryerContext) (map[string]int64, error) {
	const sel = `SELECT supplier, balance FROM supplier_balances WHERE balance IS NOT NULL AND error = ''`
	rows, err := q.QueryContext(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var sup string
		var b int64
		if err := rows.Scan(&sup, &b); err != nil {
			return nil, fmt.Errorf("balances: %w", err)
		}
		out[sup] = b
	}
	return out, rows.Err()
}
