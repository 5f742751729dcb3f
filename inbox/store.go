package inbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The statements of webhook_inbox. A delivery is one row per supplier and
// body digest; processed_at is set once it has been applied.

// pendingRow is a stored delivery not yet processed.
type pendingRow struct {
	ID         int64  `db:"id"`
	Supplier   string `db:"supplier"`
	Body       string `db:"body"`
	ReceivedAt string `db:"received_at"`
}

// The claims' statements: the next delivery never marked processed after
// an id, in the order received, and a delivery's state. On PostgreSQL
// they run in the claim's transaction and lock the row they read: the
// next pending one skipping those another instance holds, a given one
// waiting for its holder.
const (
	qNextPending = `SELECT id, supplier, body, received_at FROM webhook_inbox
		WHERE processed_at IS NULL AND id > ? ORDER BY id LIMIT 1`
	qDeliveryState = `SELECT processed_at, outcome FROM webhook_inbox WHERE id = ?`
)

// pruneProcessed deletes the processed deliveries received before before,
// and returns how many.
func pruneProcessed(ctx context.Context, tx *sqlx.Tx, before string) (int64, error) {
	const q = `DELETE FROM webhook_inbox WHERE processed_at IS NOT NULL AND received_at < ?`
	r, err := tx.ExecContext(ctx, q, before)
	if err != nil {
		return 0, fmt.Errorf("prune webhook inbox: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, nil
}

// insertDelivery stores a delivery and returns its id; false when the
// supplier already sent this body, and nothing is stored.
func insertDelivery(ctx context.Context, tx *sqlx.Tx, supplier, kind, digest string, body []byte, remote, at string) (int64, bool, error) {
	const q = `INSERT INTO webhook_inbox (supplier, kind, digest, body, remote, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (supplier, digest) DO NOTHING RETURNING id`
	var id int64
	err := tx.QueryRowContext(ctx, q, supplier, kind, digest, string(body), remote, at).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store webhook %s: %w", supplier, err)
	}
	return id, true, nil
}

// earlierRow is the stored delivery of a body sent again.
type earlierRow struct {
	ID         int64
	ReceivedAt string
	Processed  sql.NullString
	Outcome    string
}

// earlierDelivery reads the delivery of supplier's body with digest.
func earlierDelivery(ctx context.Context, tx *sqlx.Tx, supplier, digest string) (earlierRow, error) {
	const q = `SELECT id, received_at, processed_at, outcome FROM webhook_inbox
		WHERE supplier = ? AND digest = ?`
	var r earlierRow
	if err := tx.QueryRowContext(ctx, q, supplier, digest).Scan(&r.ID, &r.ReceivedAt, &r.Processed, &r.Outcome); err != nil {
		return earlierRow{}, fmt.Errorf("webhook %s %s: %w", supplier, digest, err)
	}
	return r, nil
}

// markProcessed records a delivery's outcome (JSON) and when it was
// processed.
func markProcessed(ctx context.Context, ex sqlx.ExecerContext, id int64, at, outcome string) error {
	const q = `UPDATE webhook_inbox SET processed_at = ?, outcome = ? WHERE id = ?`
	if _, err := ex.ExecContext(ctx, q, at, outcome, id); err != nil {
		return fmt.Errorf("mark webhook %d processed: %w", id, err)
	}
	return nil
}
