package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/printable"
	"github.com/syncd/syncd/offers"
)

// Errors of the merchandiser's matching operations, with their codes.
var (
	ErrNotFound = offers.ErrNotFound // one not-found for offers and the catalog
	ErrInvalid  = fault.New(fault.Validation, "invalid")
	// ErrNotReady: no snapshot has been built yet.
	ErrNotReady = errors.New("catalog not built yet")
)

// LinkOffer makes offer part of item, by a merchandiser's decision that no
// sync will undo. The item must be of the offer's game.
func (c *Catalog) LinkOffer(ctx context.Context, offerID int64, itemID, by string) error {
	return c.decide(ctx, func(tx *sqlx.Tx, now string) error {
		game, err := offerGame(ctx, tx, offerID)
		if err != nil {
			return err
		}
		var itemGame string
		err = tx.GetContext(ctx, &itemGame, `SELECT game_id FROM items WHERE id = ?`, itemID)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("item %s: %w", itemID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if itemGame != game {
			return fmt.Errorf("%w: item %s is in game %s, the offer in %s", ErrInvalid, itemID, itemGame, game)
		}
		return setLink(ctx, tx, offerID, itemID, by, now)
	})
}

// SplitOffer takes an offer out of its item into a new item of its own,
// named after the offer, and returns the new item's id.
func (c *Catalog) SplitOffer(ctx context.Context, offerID int64, by string) (string, error) {
	var id string
	err := c.decide(ctx, func(tx *sqlx.Tx, now string) error {
		game, err := offerGame(ctx, tx, offerID)
		if err != nil {
			return err
		}
		var name string
		if err := tx.GetContext(ctx, &name, `SELECT name FROM offers WHERE id = ?`, offerID); err != nil {
			return err
		}
		var taken []string
		if err := tx.SelectContext(ctx, &taken, `SELECT id FROM items WHERE game_id = ?`, game); err != nil {
			return err
		}
		set := map[string]bool{}
		for _, t := range taken {
			set[t] = true
		}
		id = uniqueID(set, ItemID(game, name))
		if _, err := tx.ExecContext(ctx, `INSERT INTO items (id, game_id, match_key, name, created_at, updated_at)
			VALUES (?, ?, '', ?, ?, ?)`, id, game, name, now, now); err != nil {
			return fmt.Errorf("create item %s: %w", id, err)
		}
		return setLink(ctx, tx, offerID, id, by, now)
	})
	return id, err
}

// RenameItem sets the name storefronts show for an item.
func (c *Catalog) RenameItem(ctx context.Context, itemID, name, by string) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return fmt.Errorf("%w: a name must have 1 to 200 characters", ErrInvalid)
	}
	// Storefronts show the name to buyers as it is.
	if err := printable.Line(name); err != nil {
		return fmt.Errorf("%w: a name %w", ErrInvalid, err)
	}
	return c.decide(ctx, func(tx *sqlx.Tx, now string) error {
		r, err := tx.ExecContext(ctx, `UPDATE items SET name = ?, renamed = 1, updated_at = ? WHERE id = ?`, name, now, itemID)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return fmt.Errorf("item %s: %w", itemID, ErrNotFound)
		}
		return nil
	})
}

// decide runs a merchandiser's change in one transaction and publishes a
// new snapshot, so the decision takes effect at once.
func (c *Catalog) decide(ctx context.Context, fn func(tx *sqlx.Tx, now string) error) error {
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx, syncd.FormatTime(c.now())); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err = c.refreshLocked(ctx, "matching")
	return err
}

func offerGame(ctx context.Context, tx *sqlx.Tx, offerID int64) (string, error) {
	var game string
	err := tx.GetContext(ctx, &game, `SELECT gl.game_id FROM offers o
		JOIN game_links gl ON gl.supplier = o.supplier AND gl.game_code = o.game_code WHERE o.id = ?`, offerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("offer %d: %w", offerID, ErrNotFound)
	}
	return game, err
}

func setLink(ctx context.Context, tx *sqlx.Tx, offerID int64, itemID, by, now string) error {
	const q = `UPDATE offers SET item_id = ?, link_method = 'manual', link_confidence = '1.00', link_manual = 1,
		link_review = 0, link_decided_by = ?, link_updated_at = ? WHERE id = ? AND item_id IS NOT NULL`
	r, err := tx.ExecContext(ctx, q, itemID, by, now, offerID)
	if err != nil {
		return fmt.Errorf("link offer %d to %s: %w", offerID, itemID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("offer %d: %w", offerID, ErrNotFound)
	}
	return nil
}
