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
// It imports catalog and pricing; suppliers import it (for Supplier and
// its types), never the other way round.
package orders
