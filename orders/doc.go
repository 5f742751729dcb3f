// Package orders owns storefront orders: intake with idempotency on the
// storefront's reference, routing to the cheapest supplier that can still
// deliver at a profit, safe fallback, status tracking and reconciliation,
// and notifications to the storefront.
//
// The one rule everything here serves: an order is never bought twice. A
// supplier is tried next only when the previous one definitely did not
// take the order; an unknown outcome is reconciled at the same supplier,
// with the same supplier reference, or handed to an operator.
//
// Several instances may share one PostgreSQL database. A reference is
// taken once by the unique (storefront, reference), checked under an
// advisory lock (syncd.LockTx); each routing step runs under the order's
// lease in the database, so one instance at a time sends, checks or
// decides an order, and another resumes it when the lease of one that
// died runs out (lease.go); the outboxes are claimed row by row with
// FOR UPDATE SKIP LOCKED (store_notify.go).
//
// It imports catalog and pricing; suppliers import it (for Supplier and
// its types), never the other way round.
package orders
