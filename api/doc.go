// Package api is syncd's HTTP interface: the chi router with every route in
// one table, bearer-token auth with roles, the JSON error envelope, and the
// OpenAPI document that describes it all.
//
// Handlers parse, call one domain method and encode. api imports auth,
// catalog, rules and orders; nothing imports api but cmd.
package api
