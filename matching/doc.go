// Package matching decides what a supplier's listing is: names in,
// identity out. It owns the vocabulary of top-up names; canonical game ids
// and display names (GameID, DisplayName); the denomination an offer name
// states (ParseDenomination: game, kind, unit and total quantity, or pass
// and count); the link of one offer to its canonical item with the method
// and confidence (Match, SameItem, Groups); and the review derivation
// (Review): which linked offers and games a merchandiser should look at,
// why, and which items an offer might be (Family).
//
// matching is a leaf like pricing. It imports only the standard library:
// no other syncd package, no I/O, no database, no clock and no logging.
// The same names always give the same answer, in a test or in production.
// Readings of names are memoised behind a mutex (bounded caches); that is
// the only state. catalog imports it to link what it stores and to derive
// each snapshot's review queue; nothing else needs to.
//
// It never names a supplier. A supplier is an opaque string that tells
// two listings apart; what a supplier's codes look like reaches it as data
// (Offer.Prefixed: the product code begins with the supplier game's code).
//
// The policy (docs/design.md, "Merged catalog"): an item is what the
// player receives, and when in doubt nothing is linked automatically.
package matching
