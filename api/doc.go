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
// Supplier webhooks (POST /v1/webhooks/senpay) take no bearer token (the
// sender's address and an optional signature decide) and answer in the
// supplier's shape, {"status": 400, "message": "..."}, not in syncd's
// error envelope: the sender is Senpay, and its document fixes that shape.
package api
