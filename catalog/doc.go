// Package catalog owns the suppliers' offers as syncd stores them: the
// supplier-neutral types a source delivers, the sync that diffs a fetched
// catalog against SQLite and writes only what changed, the cost guard that
// holds a supplier cost moving too far on one word (a sync's or a webhook's)
// until it is confirmed, and the per-supplier sync status operators rely
// on.
//
// catalog may import rules, pricing and matching (which reads names into
// games and items and derives the review queue; catalog stores what it
// decides); it must not import suppliers, orders, api or cmd. Suppliers
// adapt themselves to the Source interface declared here.
package catalog
