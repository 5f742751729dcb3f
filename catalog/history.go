package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd"
)

// PriceChange is one change of an item's price in a tier, as
// recordPrices stored it: nil Old for the first price, nil New when the
// item stopped being sellable there.
type PriceChange struct {
	Tier  string    `json:"tier"`
	Old   *int64    `json:"old_price"`
	New   *int64    `json:"new_price"`
	Cause string    `json:"cause"` // sync, webhook, rule:<id>, window, matching, cost_accept
	At    time.Time `json:"at"`
}

// PriceHistory returns the latest limit price changes of an item, in
// every tier, oldest first. It reads SQLite: history is not part of the
// snapshot.
func (c *Catalog) PriceHistory(ctx context.Context, itemID string, limit int) ([]PriceChange, error) {
	const q = `SELECT tier, old_price, new_price, cause, at FROM (
		SELECT id, tier, old_price, new_price, cause, at FROM price_history
		WHERE item_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id`
	var rows []struct {
		Tier  string `db:"tier"`
		Old   *int64 `db:"old_price"`
		New   *int64 `db:"new_price"`
		Cause string `db:"cause"`
		At    string `db:"at"`
	}
	if err := c.db.Read.SelectContext(ctx, &rows, q, itemID, limit); err != nil {
		return nil, fmt.Errorf("price history of %s: %w", itemID, err)
	}
	out := make([]PriceChange, len(rows))
	for i, r := range rows {
		at, err := syncd.ParseTime(r.At)
		if err != nil {
			return nil, fmt.Errorf("price history of %s: %w", itemID, err)
		}
		out[i] = PriceChange{Tier: r.Tier, Old: r.Old, New: r.New, Cause: r.Cause, At: at}
	}
	return out, nil
}
