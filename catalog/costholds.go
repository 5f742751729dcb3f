package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/syncd/syncd/internal/printable"
	"github.com/syncd/syncd/offers"
)

// maxNoteRunes bounds the note of an accept.
const maxNoteRunes = 1000

// CostHolds lists the offers whose cost is held, longest held first. It
// reads SQLite, not the snapshot: a hold a sync began is listed before
// the catalog is repriced.
func (c *Catalog) CostHolds(ctx context.Context) ([]offers.HeldOffer, error) {
	return c.offers.CostHolds(ctx)
}

// CostHoldEvents returns the latest limit entries of the guard's audit,
// newest first; offer > 0 keeps that offer's alone.
func (c *Catalog) CostHoldEvents(ctx context.Context, offer int64, limit int) ([]offers.CostHoldEvent, error) {
	return c.offers.CostHoldEvents(ctx, offer, limit)
}

// AcceptCost releases the hold on an offer's cost on a merchandiser's
// word: cost is the held cost they saw (if the supplier has named
// another since, nothing changes and the error says what is held now).
// The accept is audited with by, the old and new cost and the note, and
// the offer's game is repriced before it returns. A cost of 0 accepted is
// still no price: the offer stays ineligible for its zero cost.
func (c *Catalog) AcceptCost(ctx context.Context, offerID, cost int64, by, note string) (*offers.CostHoldEvent, error) {
	note = strings.TrimSpace(note)
	if err := checkNote(note); err != nil {
		return nil, err
	}
	ev, err := c.offers.AcceptCost(ctx, offerID, cost, by, note)
	if err != nil {
		return nil, err
	}
	return ev, c.repriceOffer(ctx, offerID, "cost_accept")
}

// checkNote refuses a note too long or with control or bidirectional
// formatting characters, which would make the audit read other than it
// was written.
func checkNote(note string) error {
	if utf8.RuneCountInString(note) > maxNoteRunes {
		return fmt.Errorf("%w: a note has at most %d characters", ErrInvalid, maxNoteRunes)
	}
	// The same test as every other note's: line breaks are allowed (the
	// console's note is a text area), what hides or reorders text is not.
	if err := printable.Text(note); err != nil {
		return fmt.Errorf("%w: note %v", ErrInvalid, err)
	}
	return nil
}

// repriceOffer reprices the game of one offer (everything, if the offer
// is not in the served snapshot yet) and publishes the result.
func (c *Catalog) repriceOffer(ctx context.Context, offerID int64, cause string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.current.Load()
	if prev == nil {
		return nil // the first build will see it
	}
	item, ok := prev.offerItem[offerID]
	if !ok {
		_, err := c.refreshLocked(ctx, cause)
		return err
	}
	health, err := c.loadHealth(ctx)
	if err != nil {
		return err
	}
	_, err = c.repriceGamesLocked(ctx, prev, map[string]bool{gameOf(item): true}, health, c.now(), cause)
	return err
}
