// Package suppliers is the supplier registry and what every adapter
// shares.
//
// The registry: each adapter package (suppliers/<name>) exports one
// Descriptor: its name, its settings (environment variables and flags,
// what enables it), Open (its offers.Source and orders.Supplier, an
// optional balance) and its optional capabilities: a Webhook (parser,
// sender access, reply shape), per-game settings (catalog.GameSetting,
// such as a Template joining a buyer's answers into one string), product
// codes prefixed by their game's code, and a Sim for the demo and the
// benchmark. cmd/syncd lists the descriptors in one file; catalog,
// orders, inbox, api and console loop over what it passes them and never
// name a supplier.
//
// Shared: the classification of supplier failures (Error, Kind, and
// PlaceOutcome, which turns a failed send into the order router's terms),
// an HTTP caller with rate limiting and safe retries, JSON types that
// tolerate the loose encodings suppliers send (numbers as strings,
// booleans as 1/"1"/"active"), and checks of setting values.
//
// It imports catalog and orders (the ports adapters implement) and
// nothing else of syncd's; inbox imports it, never the reverse. The
// simulators (suppliers/<name>/<name>sim) import nothing of syncd's, so
// that any package's tests, catalog's included, may run them. The
// conformance suite every adapter passes is supplierstest.
package suppliers
