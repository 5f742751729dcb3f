// Package rules owns the margin rule model: strict decoding and encoding of
// the rule contract, validation, specificity (which rule wins for an item
// and tier, and on what the others lost), the compiled rule set that
// decides a price's rule, grid and guards, and lint that refuses ambiguous
// rule sets before they are saved.
//
// The package is pure: no I/O in the core, no logging, no clock (callers
// pass now). Among syncd's packages it imports only pricing, whose types the
// conversions in pricing.go produce, and internal/fault, the error
// vocabulary (standard library only): a rule refused for its fields is a
// validation error (ErrInvalid) naming each field by its JSON path. Money follows DESIGN.md: amounts are
// whole rupiah as decimal.Decimal (JSON integers), rates are decimals (JSON
// strings); never float64.
package rules
