package catalog

import "time"

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
