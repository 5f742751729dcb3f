// Package catalogtest makes supplier catalogs of any size for the
// benchmarks and tests of the packages above catalog: the same generated
// catalog wherever a 100,000-offer figure is measured.
package catalogtest

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/matching"
	"github.com/syncd/syncd/offers"
)

// UserID is a one-field form, the buyer's account id, as some suppliers'
// games carry.
var UserID = []offers.Field{{Key: "id", Label: "User ID", Type: "text"}}

// PerGame is how many offers each supplier has per game.
const PerGame = 100

// games are the names and units generated games cycle through.
var games = []struct{ name, unit string }{
	{"Mobile Legends", "Diamonds"}, {"Free Fire", "Diamonds"}, {"PUBG Mobile", "UC"},
	{"Genshin Impact", "Genesis Crystals"}, {"Valorant", "VP"}, {"Honkai Star Rail", "Oneiric Shards"},
}

// GameName is the supplier's name of game g ("Valorant 4"); GameID is its
// canonical id.
func GameName(g int) string { return fmt.Sprintf("%s %d", games[g%len(games)].name, g) }

// GameID is the canonical id catalog gives game g ("valorant-4").
func GameID(g int) string { return matching.GameID(GameName(g)) }

// Generate is one supplier's catalog of n games × PerGame offers: every
// game its own canonical game, each offer the same item at every
// supplier, so every game has PerGame items whatever the catalog's size.
// Every game carries form, which may be nil (a supplier that sends none).
func Generate(supplier string, n int, form []offers.Field) *offers.SupplierCatalog {
	cat := &offers.SupplierCatalog{}
	for g := range n {
		unit := games[g%len(games)].unit
		code := fmt.Sprintf("G%d", g)
		sg := offers.SupplierGame{Code: code, Name: GameName(g), Active: true, Form: form}
		cat.Games = append(cat.Games, sg)
		for i := range PerGame {
			cost := int64(1000 + 137*i + len(supplier))
			cat.Offers = append(cat.Offers, offers.Offer{
				Code: fmt.Sprintf("%sX_%d", code, 10*(i+1)), GameCode: code, Name: fmt.Sprintf("%d %s", 10*(i+1), unit),
				Cost: decimal.NewFromInt(cost), CostRaw: strconv.FormatInt(cost, 10), Active: true,
			})
		}
	}
	return cat
}

// Fixed is a offers.Source that always serves Catalog.
type Fixed struct{ Catalog *offers.SupplierCatalog }

// FetchCatalog returns the fixed catalog.
func (f Fixed) FetchCatalog(context.Context) (*offers.SupplierCatalog, error) { return f.Catalog, nil }
