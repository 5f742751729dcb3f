package isipaysim

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// games seed Generate: real titles with their currency and a typical cost
// per unit in rupiah.
var games = []struct {
	slug, name, prefix, unit string
	perUnit                  float64
}{
	{"mobile-legends", "Mobile Legends", "MLBB", "Diamonds", 236},
	{"free-fire", "Free Fire", "FF", "Diamonds", 128},
	{"genshin-impact", "Genshin Impact", "GI", "Genesis Crystals", 215},
	{"pubg-mobile", "PUBG Mobile", "PUBGM", "UC", 213},
	{"valorant", "Valorant", "VALO", "VP", 97},
	{"honkai-star-rail", "Honkai: Star Rail", "HSR", "Oneiric Shards", 214},
	{"call-of-duty-mobile", "Call of Duty Mobile", "CODM", "CP", 152},
	{"arena-of-valor", "Arena of Valor", "AOV", "Vouchers", 248},
	{"honor-of-kings", "Honor of Kings", "HOK", "Tokens", 171},
	{"sausage-man", "Sausage Man", "SM", "Candy", 158},
	{"ragnarok-m", "Ragnarok M: Eternal Love", "ROM", "Big Cat Coins", 296},
	{"stumble-guys", "Stumble Guys", "SG", "Gems", 92},
	{"lords-mobile", "Lords Mobile", "LM", "Diamonds", 187},
	{"eggy-party", "Eggy Party", "EGGY", "Eggy Coins", 176},
	{"zenless-zone-zero", "Zenless Zone Zero", "ZZZ", "Monochrome Films", 215},
	{"point-blank", "Point Blank", "PB", "Cash", 11},
}

var regions = []struct{ slug, name, code string }{
	{"", "", "ID"},
	{"-my", " Malaysia", "MY"},
	{"-ph", " PH", "PH"},
	{"-sg", " Singapore", "SG"},
	{"-th", " Thailand", "TH"},
	{"-global", " Global", "GL"},
	{"-vn", " Vietnam", "VN"},
	{"-br", " Brazil", "BR"},
}

// Generate builds a catalog of products × variantsPerProduct variants for
// benchmarks: real game names per region, SKU-style codes, rupiah costs that
// grow with the amount, and the encoding quirks of the demo catalog (prices
// as strings, flags as "active" or true, a few inactive items). The same
// seed gives the same catalog.
func Generate(products, variantsPerProduct int, seed int64) *Catalog {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x15_1ba7))
	cat := &Catalog{
		Account:  Account{Name: "Syncd Bench Store", Email: "bench@syncd.example", Telp: "6281200000000", Membership: "Platinum"},
		Products: make([]Product, 0, products),
	}
	id := 10000
	for i := range products {
		g := games[i%len(games)]
		round := i / len(games)
		r := regions[round%len(regions)]
		slug, name, sku := g.slug+r.slug, g.name+r.name, g.prefix+"_"+r.code
		if n := round / len(regions); n > 0 {
			// Past every real region, numbered storefront copies keep codes unique.
			slug += "-" + strconv.Itoa(n+1)
			name += " " + strconv.Itoa(n+1)
			sku += strconv.Itoa(n + 1)
		}
		p := Product{Code: slug, Name: name, IsActive: json.RawMessage("true"), Variants: make([]Variant, 0, variantsPerProduct)}
		if rng.IntN(50) == 0 {
			p.IsActive = json.RawMessage("false")
		}
		amount := 0
		for j := range variantsPerProduct {
			amount = max(amount+1, int(math.Round(5*math.Pow(1.09, float64(j)))))
			cost := float64(amount) * g.perUnit * (0.97 + 0.06*rng.Float64())
			price := max(10, int64(math.Round(cost/10))*10)
			v := Variant{
				ID:              json.RawMessage(strconv.Itoa(id)),
				Code:            fmt.Sprintf("%s_%d", sku, amount),
				Name:            thousands(amount) + " " + g.unit,
				IsActive:        json.RawMessage(`"active"`),
				Price:           json.RawMessage(strconv.FormatInt(price, 10)),
				ProcessDuration: json.RawMessage(`"0"`),
			}
			id++
			switch q := rng.IntN(100); {
			case q < 3:
				v.IsActive = json.RawMessage(`"inactive"`)
			case q < 13:
				v.IsActive = json.RawMessage("true")
			case q < 23:
				v.Price = json.RawMessage(strconv.Quote(strconv.FormatInt(price, 10)))
			case q < 28:
				v.ProcessDuration = json.RawMessage(strconv.Itoa(rng.IntN(30)))
			}
			p.Variants = append(p.Variants, v)
		}
		cat.Products = append(cat.Products, p)
	}
	return cat
}

// thousands writes n the Indonesian way: 1.412.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	return b.String()
}
