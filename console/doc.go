// Package console is syncd's web console for merchandisers and operators,
// served under /console/: the catalog with every price and why, margin
// rules with a preview of their impact before they are saved, the
// matching review queue, the supplier cost moves held for confirmation,
// supplier health and the orders that wait for a person.
//
// Pages are html/template rendered on the server; the stylesheet and the
// one script library (htmx, for the live rule preview) are embedded. The
// console is a client of the same domain methods the API calls
// (catalog.Catalog, catalog.Snapshot, rules.Store, orders.Service,
// auth.Store): it parses forms, calls one method, renders. It holds no
// pricing, matching or routing logic of its own.
//
// Handlers return an error, as the API's do, and one adapter (handle,
// fail) shows it: a refused action as a message on the page it goes back
// to; anything else on the error page, with the status and heading that
// internal/fault's table gives its code, the table the API answers from.
// A form refused for its fields is rendered again by its handler, with
// what was typed and each field's problem, under the status of the
// error's code.
//
// Sign-in takes an API token of the merchandiser or admin role, checked
// by auth.Store.Authenticate. The session lives in this process's memory
// (a restart signs everyone out) behind an HttpOnly, SameSite=Strict
// cookie; it keeps the token's SHA-256, never the token, and every request
// rechecks it, so revoking the token ends the session. Every form carries
// the session's CSRF token.
//
// It imports auth, catalog, rules, orders and internal/fault; nothing
// imports it but cmd/syncd (and api's route table takes it as an
// http.Handler).
package console
