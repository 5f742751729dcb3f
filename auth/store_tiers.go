package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// The statements of tokens' price tiers (token_tiers), run inside the
// caller's write transaction.

// tierExists reports whether price tier t exists.
func tierExists(ctx context.Context, tx *sqlx.Tx, t string) (bool, error) {
	const q = `SELECT count(*) FROM tiers WHERE id = ?`
	var n int
	if err := tx.GetContext(ctx, &n, q, t); err != nil {
		return false, fmt.Errorf("look up tier %q: %w", t, err)
	}
	return n > 0, nil
}

// grantTiers stores token id's tiers, as checkTiers returned them.
func grantTiers(ctx context.Context, tx *sqlx.Tx, id int64, tiers []string) error {
	const q = `INSERT INTO token_tiers (token_id, tier) VALUES (?, ?)`
	for _, t := range tiers {
		if _, err := tx.ExecContext(ctx, q, id, t); err != nil {
			return fmt.Errorf("grant tier %s to token %d: %w", t, id, err)
		}
	}
	return nil
}

// tiersOf is token id's tiers, public first.
func tiersOf(ctx context.Context, tx *sqlx.Tx, id int64) ([]string, error) {
	const q = `SELECT tier FROM token_tiers WHERE token_id = ? ORDER BY tier != 'public', tier`
	var out []string
	if err := tx.SelectContext(ctx, &out, q, id); err != nil {
		return nil, fmt.Errorf("tiers of token %d: %w", id, err)
	}
	return out, nil
}

// dropTiers removes every tier of token id.
func dropTiers(ctx context.Context, tx *sqlx.Tx, id int64) error {
	const q = `DELETE FROM token_tiers WHERE token_id = ?`
	_, err := tx.ExecContext(ctx, q, id)
	return err
}

// tokenByID reads token id, revoked or not; ErrNotFound if there is none.
func tokenByID(ctx context.Context, tx *sqlx.Tx, id int64) (tokenRow, error) {
	const q = `SELECT id, name, role, created_at, revoked_at FROM tokens WHERE id = ?`
	var r tokenRow
	// Locked until commit on PostgreSQL: two instances changing one
	// token's tiers, or revoking it meanwhile, take turns.
	err := tx.GetContext(ctx, &r, q+syncd.ForUpdate(tx), id)
	if errors.Is(err, sql.ErrNoRows) {
		return tokenRow{}, ErrNotFound
	}
	return r, err
}
