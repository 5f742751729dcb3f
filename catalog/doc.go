// Package catalog owns the merged catalog syncd sells: it links the
// offers the offers package stores to canonical games and items, chooses
// each item's offer, prices it with the rules, and publishes immutable
// snapshots (with their pre-encoded bodies) that the API serves without
// touching SQLite. Beside the snapshot it keeps the merchandisers'
// operations on it: links and review, game settings, rule saving and
// preview, price history, and the reprices that follow a sync, a price
// webhook or an accepted cost hold.
//
// catalog may import offers, rules, pricing and matching (which reads
// names into games and items and derives the review queue; catalog stores
// what it decides); it must not import suppliers, orders, api or cmd.
package catalog
