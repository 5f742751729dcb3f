// Package isipay is syncd's adapter for Isipay (isipay.top), a game top-up
// supplier. It owns Isipay's wire format and nothing else: the HTTP client for
// its five POST endpoints, the decoding of its reply envelope into syncd's
// domain types, the classification of every failure as a suppliers.Error,
// FetchCatalog, which makes Client a offers.Source, and Place and Check,
// which make it an orders.Supplier.
//
// The wire format follows Isipay's own API document (version 1.9.0,
// shared/suppliers/isipay-api.txt). Where the document is silent the choice
// made is written beside the code that makes it and pinned by a test.
//
// Descriptor registers it (suppliers.Descriptor): its ISIPAY_* settings,
// its balance, its one game setting (data_format, the template building
// its free-form "data" string, default "{user_id}({server})") and its
// simulator hooks (sim.go).
//
// The package may import suppliers, catalog (for the Source types),
// orders (for the Supplier types) and its simulator, isipaysim. It must
// not import senpay, orders' internals, inbox, api or cmd.
package isipay
