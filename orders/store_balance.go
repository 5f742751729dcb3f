package orders

import (
	"context"
	"fmt"
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
