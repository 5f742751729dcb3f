package catalog

import (
	"context"
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
		itemGame, err := gameOfItem(ctx, tx, itemID)
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
		name, err := offerName(ctx, tx, offerID)
		if err != nil {
			return err
		}
		taken, err := itemsOfGame(ctx, tx, game)
		if err != nil {
			return err
		}
		set := map[string]bool{}
		for _, t := range taken {
			set[t] = true
		}
		id = uniqueID(set, ItemID(game, name))
		if err := createItem(ctx, tx, id, game, name, now); err != nil {
			return err
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
		return renameItem(ctx, tx, itemID, name, now)
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
