// Package auth owns syncd's API tokens and the roles they carry: creating a
// token (whose secret is shown once and stored only as its SHA-256), listing
// and revoking tokens, the price tiers a storefront token may use, and
// resolving a bearer secret to the Principal making a request. A token's
// name is its party (a storefront's orders belong to it), so a name is
// given once unless a new token is made to rotate it.
//
// Authentication is answered from memory, never from SQLite per request:
// the Store keeps every live token's hash and tiers in a map, loaded at
// start and changed by this process's Create, Revoke and SetTiers. Changes
// made by another process (the syncd token command beside a running syncd
// serve) arrive by a reload that is rate limited, so a flood of bad tokens
// cannot turn into a flood of queries.
//
// auth imports only the root syncd package; api and cmd import auth. Its
// SQL reads the tiers table (rules owns it) only to check that a tier
// granted exists, as the schema's foreign key does.
package auth
