// Package reports owns what operators read about the business: profit by
// period, game, supplier and storefront, and supplier scorecards. It is
// read-only: it aggregates the rows orders writes (orders, order_attempts,
// order_events) and the supplier balance reads, in one read transaction
// per report, and never writes.
//
// It imports only the root package (the database) and internal/fault
// (its refusals are fault.Validation errors). It must not import orders,
// catalog, api or console: it reads orders' tables, not its service, so a
// report never takes an order's lock or the writer.
//
// On PostgreSQL several instances share the roll-up (rollup.go): one
// folds at a time (an advisory lock), and reads how far it may fold
// behind a barrier that orders holds while it writes an order's final
// event (syncd.FinalEventsKey), since ids there are not allocated in
// commit order. The statements that read events' JSON are spelt per
// dialect, once per Store (statementsFor).
package reports
