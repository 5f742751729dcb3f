// Package inbox owns the supplier webhook deliveries syncd has received.
// Each accepted delivery is stored raw in webhook_inbox before it is
// applied, applied once (a redelivery of the same body is answered with
// what the first one did), and applied after a crash by Replay, which
// start-up runs before serving.
//
// Several instances may share one PostgreSQL database: a delivery is
// stored by whichever instance the supplier reached and applied by one
// instance only, which claims it (claim.go: a row lock, SKIP LOCKED for
// Replay) until it is marked processed.
//
// Each supplier's deliveries are read by its webhook capability
// (suppliers.Webhook, from its registered descriptor). A body that
// cannot be read is refused whole (ErrInvalid) and stored nowhere: the
// inbox keeps what was accepted, for replay and audit, not what a sender
// got wrong; the refusal goes to the log. A cost update becomes
// catalog.ApplyCosts; an order status goes to the order service
// (WithOrders), and one for a transaction that is not syncd's is kept and
// answered in the supplier's words for an unknown transaction.
//
// inbox imports catalog, orders (its Update type) and the suppliers
// registry (suppliers, never an adapter): an adapter cannot import inbox,
// since inbox's tests run a real adapter and its simulator. Nothing
// imports inbox but api and cmd.
package inbox
