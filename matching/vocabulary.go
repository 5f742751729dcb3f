package matching

import (
	"slices"
	"strings"
	"unicode"
)

// The vocabulary of matching: every word list the normalisers use, kept
// together so that extending it (a new currency, pass, alias or region) is a
// change to this file and a labelled pair in testdata/matching.

// units maps what suppliers write to a normalised unit. Anything else made
// only of unknown words becomes its own unit ("60 Nyan Berry" is
// "nyan-berry"); unknown words beside a known unit make the name unparseable.
var units = map[string]string{
	"diamond": "diamonds", "diamonds": "diamonds", "dm": "diamonds", "dms": "diamonds",
	"uc": "uc", "unknown cash": "uc",
	"genesis crystal": "genesis-crystals", "genesis crystals": "genesis-crystals",
	"oneiric shard": "oneiric-shards", "oneiric shards": "oneiric-shards",
	"vp": "vp", "valorant point": "vp", "valorant points": "vp",
	"cp": "cp", "cod point": "cp", "cod points": "cp",
	"shell": "shells", "shells": "shells", "garena shell": "shells", "garena shells": "shells",
	"token": "tokens", "tokens": "tokens",
	"coin": "coins", "coins": "coins",
	"gem": "gems", "gems": "gems",
	"crystal": "crystals", "crystals": "crystals",
	"aeos gem": "aeos-gems", "aeos gems": "aeos-gems",
	"radianite point": "radianite-points", "radianite points": "radianite-points",
	// Currencies of other games Indonesian resellers sell.
	"voucher": "vouchers", "vouchers": "vouchers",
	"candy": "candy", "candies": "candy",
	"cash": "cash", "pb cash": "cash",
	"monochrome": "monochrome", "monochrome film": "monochrome", "monochrome films": "monochrome",
	"ruby": "rubies", "rubies": "rubies",
	"nyan berry": "nyan-berries", "nyan berries": "nyan-berries",
	"big cat coin": "big-cat-coins", "big cat coins": "big-cat-coins",
	"eggy coin": "eggy-coins", "eggy coins": "eggy-coins",
	"bond": "bonds", "bonds": "bonds",
	// Indonesian word order, after synonyms ("Kristal Genesis").
	"crystal genesis": "genesis-crystals", "crystals genesis": "genesis-crystals",
}

// unitWords are the single words that, beside unknown words, make a unit
// phrase doubtful ("86 Diamonds Spesial").
var unitWords = map[string]bool{
	"diamond": true, "diamonds": true, "uc": true, "vp": true, "cp": true,
	"crystal": true, "crystals": true, "shard": true, "shards": true,
	"shell": true, "shells": true, "point": true, "points": true,
	"token": true, "tokens": true, "coin": true, "coins": true, "gem": true, "gems": true,
}

// passes maps pass and membership names to a normalised name. A name is
// read as the set of its words (order is not identity: "Membership
// Mingguan" is "Weekly Membership"), after synonyms and passWordForms, so
// the keys here are looked up the same way. Other names with a pass word
// become the slug of their sorted words, so "Elite Pass Plus" never equals
// "Elite Pass".
var passes = map[string]string{
	"weekly diamond pass": "weekly-diamond-pass", "wdp": "weekly-diamond-pass",
	"twilight pass":               "twilight-pass",
	"blessing of the welkin moon": "welkin-moon", "blessing of welkin moon": "welkin-moon",
	"welkin moon": "welkin-moon", "welkin": "welkin-moon",
	"express supply pass": "express-supply-pass", "express supply": "express-supply-pass",
	"weekly membership": "weekly-membership", "monthly membership": "monthly-membership",
	"starlight membership": "starlight-member",
	"booyah pass":          "booyah-pass",
}

// passWords mark a name as a pass or membership rather than a currency.
var passWords = map[string]bool{
	"pass": true, "membership": true, "member": true, "welkin": true, "wdp": true,
	"blessing": true, "subscription": true, "langganan": true, "card": true,
}

// passWordForms are the forms of a word that name the same pass; the stop
// words go.
var passWordForms = map[string]string{
	"member": "membership", "diamonds": "diamond", "passes": "pass", "langganan": "subscription",
}

var passStopWords = map[string]bool{"of": true, "the": true, "de": true}

// usualDays is how long a pass lasts when its name says nothing; a name
// that states this duration is the same pass ("Welkin Moon (30 Hari)").
var usualDays = map[string]int64{
	"welkin-moon": 30, "express-supply-pass": 30, "weekly-diamond-pass": 7,
	"weekly-membership": 7, "monthly-membership": 30,
}

// dayWords follow a pass's duration.
var dayWords = map[string]bool{"hari": true, "day": true, "days": true}

// passIndex is passes keyed by their sorted canonical words.
var passIndex = func() map[string]string {
	m := make(map[string]string, len(passes))
	for k, v := range passes {
		m[strings.Join(passWordSet(strings.Fields(k)), " ")] = v
	}
	return m
}()

// passWordSet is the sorted canonical words of a pass name.
func passWordSet(words []string) []string {
	out := make([]string, 0, len(words))
	for _, w := range words {
		if passStopWords[w] {
			continue
		}
		if f, ok := passWordForms[w]; ok {
			w = f
		}
		out = append(out, w)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// passName normalises the words of a pass name.
func passName(words []string) (string, bool) {
	set := passWordSet(words)
	if len(set) == 0 || len(set) > 6 {
		return "", false
	}
	if p, ok := passIndex[strings.Join(set, " ")]; ok {
		return p, true
	}
	return strings.Join(set, "-"), true
}

// synonyms are Indonesian (and other) words read as the English word for
// the same thing, everywhere in an offer name.
var synonyms = map[string]string{
	"berlian": "diamond", "mingguan": "weekly", "bulanan": "monthly", "harian": "daily",
	"kristal": "crystal", "koin": "coin", "poin": "point", "permata": "gem", "tiket": "ticket",
	"kartu": "card", "pekanan": "weekly",
}

// firstWords mark a first-top-up promotion; firstFiller are the words that
// come with them ("Pembelian Pertama", "First Purchase").
var firstWords = map[string]bool{"first": true, "pertama": true}
var firstFiller = map[string]bool{"purchase": true, "pembelian": true, "recharge": true, "isi": true, "ulang": true}

// doubleWords mark a double-bonus promotion.
var doubleWords = map[string]bool{"double": true, "dobel": true, "ganda": true}

var knownUnits, knownPasses = valueSet(units), valueSet(passes)

func valueSet(m map[string]string) map[string]bool {
	s := make(map[string]bool, len(m))
	for _, v := range m {
		s[v] = true
	}
	return s
}

// noiseWords are marketing tags and supplier channel codes that never change
// the product. Version tags (v3, q2) are recognised by shape in isNoise.
var noiseWords = map[string]bool{
	"promo": true, "termurah": true, "murah": true, "hemat": true, "diskon": true,
	"resmi": true, "official": true, "topup": true, "bj": true, "rcf": true,
}

func isNoise(w string) bool {
	if noiseWords[w] {
		return true
	}
	// Version and batch suffixes: v3, V10, Q2.
	if len(w) >= 2 && (w[0] == 'v' || w[0] == 'q') {
		for _, r := range w[1:] {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	return false
}

// foldLetter lower-cases a letter, folding common Latin accents to ASCII
// ("é" to "e"); it returns 0 for digits, punctuation and other scripts.
func foldLetter(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z':
		return r
	case r >= 'A' && r <= 'Z':
		return r + 'a' - 'A'
	case r < 0x80:
		return 0
	}
	if f, ok := accents[unicode.ToLower(r)]; ok {
		return f
	}
	return 0
}

var accents = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a',
	'ç': 'c', 'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ñ': 'n',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o',
	'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ý': 'y', 'ÿ': 'y',
}

// gameAliases expands well-known abbreviations and alternative names. Keys
// are whole names (words joined by spaces, region removed), never parts of
// one, so "GI" expands but "GI Joe" does not.
var gameAliases = map[string]string{
	"mlbb":                       "mobile legends",
	"mobile legends bang bang":   "mobile legends",
	"mobile legend":              "mobile legends",
	"ff":                         "free fire",
	"garena free fire":           "free fire",
	"ffmax":                      "free fire max",
	"ff max":                     "free fire max",
	"garena free fire max":       "free fire max",
	"pubgm":                      "pubg mobile",
	"pubg m":                     "pubg mobile",
	"hsr":                        "honkai star rail",
	"gi":                         "genshin impact",
	"genshin":                    "genshin impact",
	"codm":                       "call of duty mobile",
	"cod mobile":                 "call of duty mobile",
	"valo":                       "valorant",
	"aov":                        "arena of valor",
	"hok":                        "honor of kings",
	"akv":                        "astra knights of veda",
	"rox":                        "ragnarok x next generation",
	"ragnarok x next gen":        "ragnarok x next generation",
	"honkai starrail":            "honkai star rail",
	"call of duty mobile garena": "call of duty mobile",
	"zzz":                        "zenless zone zero",
	"pb":                         "point blank",
	"lm":                         "lords mobile",
	"msa":                        "metal slug awakening",
	"rom":                        "ragnarok m eternal love",
	"rxng":                       "ragnarok x next generation",
	"eggy":                       "eggy party",
	"sausage":                    "sausage man",
	"sm":                         "sausage man",
}

// regions maps region words, in names and codes, to one vocabulary. Words
// that are also common English ("us", "in") are left out on purpose.
var regions = map[string]string{
	"id": "id", "indo": "id", "indonesia": "id",
	"my": "my", "malaysia": "my",
	"ph": "ph", "phil": "ph", "philippines": "ph", "philippine": "ph", "pilipinas": "ph",
	"sg": "sg", "singapore": "sg",
	"th": "th", "thailand": "th",
	"vn": "vn", "vietnam": "vn",
	"br": "br", "brazil": "br", "brasil": "br",
	"kr": "kr", "korea": "kr",
	"jp": "jp", "japan": "jp",
	"tw": "tw", "taiwan": "tw",
	"global": "global", "sea": "sea", "asia": "asia",
}

func regionCode(word string) (string, bool) {
	r, ok := regions[strings.ToLower(word)]
	return r, ok
}

// skuPasses are the pass codes suppliers use in SKUs.
var skuPasses = map[string]string{
	"WDP": "weekly-diamond-pass", "TP": "twilight-pass", "TWILIGHT": "twilight-pass",
	"WELKIN": "welkin-moon", "BLESSING": "welkin-moon",
	"EXPRESS": "express-supply-pass", "ESP": "express-supply-pass",
	"MM": "weekly-membership", "MB": "monthly-membership",
}

// skuUnits are the unit codes suppliers glue to an SKU's amount ("60UC").
var skuUnits = map[string]string{
	"UC": "uc", "DM": "diamonds", "DIA": "diamonds", "VP": "vp", "CP": "cp",
}
