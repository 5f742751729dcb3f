// Package auth owns syncd's API tokens and the roles they carry: creating a
// token (whose secret is shown once and stored only as its SHA-256), listing
// and revoking tokens, and resolving a bearer secret to the Principal making
// a request.
//
// Authentication is answered from memory, never from SQLite per request:
// the Store keeps every live token's hash in a map, loaded at start and
// changed by this process's Create and Revoke. Tokens created or revoked by
// another process (the syncd token command beside a running syncd serve)
// arrive by a reload that is rate limited, so a flood of bad tokens cannot
// turn into a flood of queries.
//
// auth imports only the root syncd package; api and cmd import auth.
package auth
