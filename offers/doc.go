// Package offers owns the suppliers' offers as syncd stores them: the
// supplier-neutral types a Source delivers, the Syncer that diffs a
// fetched catalog against SQLite and writes only what changed, the cost
// guard that holds a supplier cost moving too far on one word (a sync's or
// a webhook's) until it is confirmed, the Store that writes a webhook's
// costs and a merchandiser's accepted hold through that guard, and each
// supplier's sync status and health, which decide whether its offers may
// be sold.
//
// offers imports only the root package and internal packages; it must not
// import catalog, matching, rules, pricing, suppliers, orders, api or cmd.
// Suppliers adapt themselves to the Source interface declared here; the
// catalog reads what is stored here to build what it sells.
package offers
