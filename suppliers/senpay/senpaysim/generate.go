package senpaysim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// games seeds generated catalogs: a name, a code stem, the currency and its
// rough cost per unit in IDR.
var games = []struct {
	name, stem, unit string
	perUnit          float64
	server           bool
}{
	{"Mobile Legends", "MLBB", "Diamonds", 265, true},
	{"Free Fire", "FF", "Diamonds", 149, false},
	{"Free Fire MAX", "FFMAX", "Diamonds", 149, false},
	{"Genshin Impact", "GI", "Genesis Crystals", 195, true},
	{"Honkai: Star Rail", "HSR", "Oneiric Shards", 195, true},
	{"PUBG Mobile", "PUBGM", "UC", 217, false},
	{"Valorant", "VALO", "VP", 97, false},
	{"Call of Duty Mobile", "CODM", "CP", 168, false},
	{"Arena of Valor", "AOV", "Vouchers", 225, false},
	{"Ragnarok X: Next Generation", "RXNG", "Nyan Berry", 242, true},
	{"Honor of Kings", "HOK", "Tokens", 148, false},
	{"Zenless Zone Zero", "ZZZ", "Monochrome", 196, true},
	{"Sausage Man", "SM", "Candy", 203, false},
	{"Point Blank", "PB", "Cash", 9.8, false},
	{"Stumble Guys", "SG", "Gems", 58, false},
	{"Eggy Party", "EGGY", "Coins", 175, false},
	{"Lords Mobile", "LM", "Diamonds", 28, false},
	{"Metal Slug: Awakening", "MSA", "Rubies", 215, true},
}

var channels = []string{"BJ", "BJ-V3", "RCF", "Q2", "ALL"}

// Generate builds a catalog of providers × productsPerProvider products for
// benchmarks, deterministic for a seed. Names, codes and prices look like
// Senpay's, quirks included: about one price in ten is a string, one in
// fifty has a fraction, one product in thirty and one provider in twenty
// are inactive, and active flags come as 1, "1" or true.
func Generate(providers, productsPerProvider int, seed int64) *Catalog {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5e9a7))
	cat := &Catalog{Providers: make([]Provider, 0, providers)}
	id := int64(1000)
	for i := range providers {
		g := games[i%len(games)]
		ch := channels[(i/len(games))%len(channels)]
		code := fmt.Sprintf("%s%d-%s", g.stem, i/len(games)+1, ch)
		p := Provider{
			ID:     int64(i + 1),
			Code:   code,
			Name:   fmt.Sprintf("%s [PROMO TERMURAH] %s", g.name, strings.ReplaceAll(ch, "-", " ")),
			Active: activeFlag(rng, 20),
			Icon:   fmt.Sprintf("17%08d%s.png", rng.IntN(1e8), strings.ToLower(g.stem)),
			Forms:  []Form{{Label: "User ID", Key: "id", Type: "text"}},
		}
		if g.server {
			p.Forms = append(p.Forms, Form{Label: "Server", Key: "server", Type: "dropdown", Options: []Option{
				{Name: "Asia", Code: json.RawMessage(`"asia"`)},
				{Name: "America", Code: json.RawMessage(`"america"`)},
				{Name: "Europe", Code: json.RawMessage(`"europe"`)},
			}})
		}
		// Unit counts grow so that codes stay unique within the provider.
		units := 5
		for j := range productsPerProvider {
			units += 3 + j*j/20 + rng.IntN(3)
			discount := 1 - 0.06*float64(j)/float64(max(productsPerProvider, 1))
			price := int64(float64(units)*g.perUnit*discount*(0.97+0.06*rng.Float64())) + 100
			id++
			p.Products = append(p.Products, Product{
				ID:     id,
				Code:   fmt.Sprintf("%s%s_ID_%d", code, g.stem, units),
				Name:   fmt.Sprintf("%d %s", units, g.unit),
				Active: activeFlag(rng, 30),
				Price:  priceRaw(rng, price),
			})
		}
		cat.Providers = append(cat.Providers, p)
	}
	return cat
}

// activeFlag is inactive one time in oneIn, otherwise a varied "on".
func activeFlag(rng *rand.Rand, oneIn int) json.RawMessage {
	if rng.IntN(oneIn) == 0 {
		return json.RawMessage("0")
	}
	return json.RawMessage([]string{"1", `"1"`, "true", "1"}[rng.IntN(4)])
}

func priceRaw(rng *rand.Rand, price int64) json.RawMessage {
	switch n := rng.IntN(50); {
	case n == 0:
		return json.RawMessage(fmt.Sprintf(`"%d.50"`, price))
	case n < 5:
		return json.RawMessage(`"` + strconv.FormatInt(price, 10) + `"`)
	default:
		return json.RawMessage(strconv.FormatInt(price, 10))
	}
}
