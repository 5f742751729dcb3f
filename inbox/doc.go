// Package inbox owns the supplier webhook deliveries syncd has received.
// Each accepted delivery is stored raw in webhook_inbox before it is
// applied, applied once (a redelivery of the same body is answered with
// what the first one did), and applied after a crash by Replay, which
// start-up runs before serving.
//
// A body that cannot be read as the supplier's webhook is refused whole
// (ErrInvalid) and stored nowhere: the inbox keeps what was accepted, for
// replay and audit, not what a sender got wrong; the refusal goes to the
// log. A price_update becomes catalog.ApplyCosts; a transaction_status
// goes to the order service (WithOrders), and one for a transaction that
// is not syncd's is kept and answered "Transaksi tidak ditemukan".
//
// inbox imports catalog, orders (its Update type) and suppliers/senpay;
// nothing imports it but api and cmd.
package inbox
