// Package senpaysim simulates Senpay's prepaid API for tests and the demo.
// It owns a catalog of providers and products, the orders placed against
// it, and the faults tests inject; it speaks Senpay's wire protocol over
// real HTTP (Sim is an http.Handler) and posts Senpay's webhooks.
//
// It deliberately shares no code with the senpay client: a decoding mistake
// made twice would pass every test. It imports nothing of syncd's.
//
// Protocol choices where Senpay's document is silent, made to exercise a
// client rather than to flatter it:
//   - a refusal is HTTP 200 with {"status": 400, "message": ...}, as the
//     document's examples suggest (Options.ErrorHTTPStatus changes the HTTP
//     status);
//   - partner_reference is unique for 24 hours, as documented; a reuse is
//     refused with "Partner reference sudah digunakan" (the real wording is
//     not documented);
//   - every form key of the provider is required and dropdown values must
//     be one of the option codes;
//   - an order is "processing" when created and reaches its final status
//     OrderDelay later, decided lazily when it is next read; a failed,
//     refunded or expired order gives its price back to the balance.
package senpaysim
