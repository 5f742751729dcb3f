// Package senpay is syncd's adapter for Senpay (senpay.id), a prepaid game
// top-up supplier. It owns Senpay's wire format: the HTTP client for the
// provider, product and transaction endpoints, the decoding of every reply
// into syncd's types, the conversion of Senpay's catalog into a
// offers.SupplierCatalog, the parsing of the webhooks Senpay posts, and
// the reading of its transactions as orders.Supplier (Place, Check) and
// orders.Update (Webhook.OrderUpdate) for the order router.
//
// Every failure is a classified *suppliers.Error, so sync and order routing
// can act on it: in particular a create-transaction call that may have
// reached Senpay is never reported as anything but KindUnknownOutcome.
//
// Descriptor registers it (suppliers.Descriptor): its SENPAY_* settings,
// its webhook capability (hook.go: parser, allow list and optional
// signature, Senpay's reply shape and wording) and its simulator hooks
// (sim.go). The simulator in senpaysim speaks the same protocol for tests,
// the demo and the benchmark. This package may import catalog, orders (for
// its Supplier types), suppliers and its simulator; it must not import
// api, cmd, inbox or the other supplier adapters.
package senpay
