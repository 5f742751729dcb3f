// Package api is syncd's HTTP interface: the chi router with every route in
// one table, bearer-token auth with roles, the JSON error envelope, and the
// OpenAPI document that describes it all.
//
// Handlers parse, call one domain method and encode, and return an error
// for the one adapter (handle) to answer: an error with a fault code is
// sent in the envelope with the status fault's table gives it, anything
// else is logged and answered 500. api imports auth, catalog, rules,
// inbox, orders, reports and internal/fault; nothing imports api but cmd.
//
// Supplier webhooks (POST /v1/webhooks/{supplier}, for each registered
// supplier that posts them) take no bearer token (the sender's address
// and an optional signature decide) and answer in the supplier's shape,
// not in syncd's error envelope: the sender is the supplier, and its
// document fixes that shape. api never imports an adapter: Config.Webhooks
// carries what each supplier's descriptor says.
package api
