// Package testenv is the environment syncd's tests run in: a real SQLite
// file in the test's directory, the suppliers' simulators served over real
// HTTP with real clients of them, the catalog synced from them, an order
// service on a movable clock. Each package's tests keep a small wrapper of
// what only they need (the API router, the console, a webhook endpoint).
//
// It names no supplier: the simulators arrive as Supplier values, which
// the real suppliers' package suppliers/testsims makes. It imports the
// domain (catalog, orders) and never api or console, whose tests use it;
// only tests import it.
package testenv
