// Package suppliers holds what every supplier adapter shares: the
// classification of supplier failures, an HTTP caller with rate limiting and
// safe retries, and JSON types that tolerate the loose encodings suppliers
// send (numbers as strings, booleans as 1/"1"/"active").
//
// The adapters live in subpackages (senpay, isipay). This package imports
// nothing of syncd's, so any layer that must act on a classified failure
// (sync, order routing) can depend on it without cycles.
package suppliers
