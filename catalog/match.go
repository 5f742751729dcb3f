package catalog

import "github.com/syncd/syncd/matching"

// matchInput is an offer as matching reads it. Whether its code carries
// its game's code as a prefix is the supplier's to say (its descriptor's
// PrefixedCodes, in Config.PrefixedCodes): matching takes the answer,
// never the supplier's name.
func matchInput(supplier, gameCode, gameName, code, name string, prefixed bool) matching.Offer {
	return matching.Offer{Supplier: supplier, GameCode: gameCode, GameName: gameName, Code: code, Name: name,
		Prefixed: prefixed}
}
