// Package isipaysim is a simulator of Isipay's API: a real http.Handler that
// speaks the wire protocol of Isipay's API document, for syncd's tests and
// for `syncd demo`, which serves it on loopback.
//
// It owns the simulated account (catalog, balance, orders) and the steering
// tests need: price and stock changes, order outcomes per customer target,
// latency, and faults such as 5xx, 429, garbage bodies, hangs and dropped
// connections. What Isipay's document leaves open (how refusals look, what
// happens to a reused referenceNumber, statuses other than "Success") is
// decided here, once, and documented where it is decided; the client in
// package isipay must cope with these choices without relying on them.
//
// It imports suppliers (for the tolerant JSON readings of its own catalog)
// and nothing else of syncd's.
package isipaysim
