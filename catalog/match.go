package catalog

import (
	"strings"

	"github.com/syncd/syncd/matching"
)

// prefixedCodes lists the suppliers whose offer codes start with their
// game's code: a Senpay product code is the provider code followed by the
// SKU ("FFMAX-BJ-V3" + "FFMAX_ID_10").
var prefixedCodes = map[string]bool{"senpay": true}

// matchInput is an offer as matching reads it. Whether its code carries
// its game's code as a prefix is the supplier's to say (prefixedCodes):
// matching takes the answer, never the supplier's name.
func matchInput(supplier, gameCode, gameName, code, name string) matching.Offer {
	return matching.Offer{Supplier: supplier, GameCode: gameCode, GameName: gameName, Code: code, Name: name,
		Prefixed: prefixedCodes[strings.ToLower(supplier)]}
}
