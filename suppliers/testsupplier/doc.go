// Package testsupplier is an adapter for a supplier that exists only for
// syncd's tests: the proof that a supplier is its own package plus one
// registration line. Its wire format is its own and tiny (JSON over HTTP,
// see testsuppliersim, its simulator): a whole catalog in one GET, orders
// by POST, their status and the account's balance by GET, credentials in
// an X-Api-Key header. It has a balance and posts no webhooks.
//
// Only tests import it (a test in cmd/syncd checks that no other file
// does). Like every adapter it may import suppliers, catalog and orders,
// never another adapter, api or cmd.
package testsupplier
