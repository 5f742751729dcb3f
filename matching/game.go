package matching

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// GameID returns the canonical game id of a supplier's game name, a slug of
// [a-z0-9-] such as "mobile-legends" or "mobile-legends-my".
//
// Marketing tags, version tags and supplier channel codes are dropped
// ("Mobile Legends [PROMO TERMURAH] V3" and "MOBILE LEGENDS BJ" are both
// "mobile-legends"), as are case, punctuation and the difference between
// "&" and "and". Well-known abbreviations are expanded (MLBB, FF, PUBGM,
// HSR, GI, CODM).
//
// What changes the product is kept:
//   - A region or server family at the end of the name becomes a suffix in
//     one vocabulary (id, my, ph, sg, th, vn, global, sea, asia, ...):
//     "Mobile Legends Malaysia" is "mobile-legends-my", "MLBB PH" and
//     "Mobile Legends PH" are "mobile-legends-ph". Indonesia is the market
//     the suppliers sell in and what an unqualified name means (a bare
//     "Mobile Legends" product sells MLBB_ID_ codes), so "id" alone is dropped:
//     "Valorant Indonesia" is "valorant".
//   - "Global" is a region family like any other: "PUBG Mobile (Global)"
//     is "pubg-mobile-global", never "pubg-mobile". The global and the
//     Indonesian listing of a game are often different top-up channels;
//     when in doubt they are kept apart.
//   - Free Fire MAX is "free-fire-max", not "free-fire". The two clients
//     share accounts, but suppliers list them as separate products with
//     their own codes, prices and denominations (FF MAX has 10 and 1000
//     diamonds), and an order must name the right one.
//   - Platform words (PC, Mobile, Android, iOS) are ordinary words of the
//     name and so already keep products apart.
func GameID(name string) string {
	id, _, _ := gameIdentity(name)
	return id
}

// BaseName is a game name as GameID reads it, without its region: lower-case
// words joined by spaces, abbreviations expanded ("mobile legends" for
// "MLBB PH"). Games of one base name are siblings: the review shows their
// offers side by side.
func BaseName(name string) string {
	_, base, _ := gameIdentity(name)
	return base
}

// defaultRegion is what a game name without a region means.
const defaultRegion = "id"

// gameIdentity returns GameID, the game's name without its region (words
// joined by spaces), and the regions the game is sold for: those its name
// states, or the default region.
func gameIdentity(name string) (id, base string, regions []string) {
	identityMu.Lock()
	c, ok := identities[name]
	identityMu.Unlock()
	if ok {
		return c.id, c.base, c.regions
	}
	id, base, regions = parseGameIdentity(name)
	identityMu.Lock()
	if len(identities) < maxIdentities {
		identities[name] = identity{id, base, regions, gamePhrases(base)}
	}
	identityMu.Unlock()
	return id, base, regions
}

// gameNamePhrases are the ways an offer name may repeat its game's name:
// the base name and every abbreviation or alias of it or of its family
// ("mlbb", "mobile legends bang bang"), as word lists, longest first.
func gameNamePhrases(name string) [][]string {
	identityMu.Lock()
	c, ok := identities[name]
	identityMu.Unlock()
	if ok {
		return c.phrases
	}
	_, base, _ := parseGameIdentity(name)
	return gamePhrases(base)
}

func gamePhrases(base string) [][]string {
	if base == "" {
		return nil
	}
	seen := map[string]bool{base: true}
	for alias, full := range gameAliases {
		if full == base || strings.HasPrefix(base, full+" ") {
			seen[alias], seen[full] = true, true
		}
	}
	out := make([][]string, 0, len(seen))
	for p := range seen {
		out = append(out, strings.Fields(p))
	}
	slices.SortFunc(out, func(a, b []string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(strings.Join(a, " "), strings.Join(b, " "))
	})
	return out
}

// Matching asks for the identity of the same few hundred game names once
// per offer; parsing is cached. The cap keeps hostile input (a fuzzer, a
// broken catalog) from growing the cache without bound. Callers must not
// modify the returned regions.
var (
	identityMu sync.Mutex
	identities = map[string]identity{}
)

const maxIdentities = 10_000

type identity struct {
	id, base string
	regions  []string
	phrases  [][]string
}

func parseGameIdentity(name string) (id, base string, regions []string) {
	words := gameWords(name)
	for len(words) > 1 {
		r, ok := regionCode(words[len(words)-1])
		if !ok {
			break
		}
		regions = append(regions, r)
		words = words[:len(words)-1]
	}
	if len(regions) > 0 && len(words) > 1 && words[len(words)-1] == "server" {
		words = words[:len(words)-1] // "Mobile Legends Server PH"
	}
	base = strings.Join(words, " ")
	if alias, ok := gameAliases[base]; ok {
		base = alias
	}
	slices.Sort(regions)
	regions = slices.Compact(regions)
	if len(regions) == 1 && regions[0] == defaultRegion {
		regions = nil
	}
	id = strings.Join(append(strings.Fields(base), regions...), "-")
	if len(regions) == 0 {
		regions = []string{defaultRegion}
	}
	return id, base, regions
}

// gameWords lower-cases a name, folds accents, reads "&" as "and", drops
// apostrophes and noise words, and splits on everything else.
func gameWords(name string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			if w := b.String(); !isNoise(w) {
				words = append(words, w)
			}
			b.Reset()
		}
	}
	for _, r := range name {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '\'' || r == '’':
		case r == '&':
			flush()
			words = append(words, "and")
		default:
			if c := foldLetter(r); c != 0 {
				b.WriteRune(c)
			} else {
				flush()
			}
		}
	}
	flush()
	// Two-word region names read as one.
	for i := 0; i+1 < len(words); i++ {
		if pair := words[i] + " " + words[i+1]; pair == "southeast asia" || pair == "asia tenggara" {
			words = slices.Replace(words, i, i+2, "sea")
		}
	}
	return words
}

var (
	bracketed  = regexp.MustCompile(`\[[^\]]*\]|\([^)]*\)`)
	channelTag = regexp.MustCompile(`(?i)^(v\d+|q\d+|bj|rcf|promo|termurah|murah)$`)
)

// DisplayName is a supplier game name without marketing tags and channel
// codes: "Free Fire MAX [PROMO TERMURAH] V3" → "Free Fire MAX". A region
// or "Global" that only a bracket said is kept, so that two games never
// show the same name: "PUBG Mobile (Global) [PROMO]" → "PUBG Mobile
// (Global)", beside "PUBG Mobile".
func DisplayName(name string) string {
	words := strings.Fields(bracketed.ReplaceAllString(name, " "))
	for len(words) > 1 && channelTag.MatchString(words[len(words)-1]) {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return strings.TrimSpace(name)
	}
	shown := map[string]bool{}
	for _, w := range gameWords(strings.Join(words, " ")) {
		if r, ok := regionCode(w); ok {
			shown[r] = true
		}
	}
	_, _, regions := gameIdentity(name)
	for _, r := range regions {
		if r != defaultRegion && !shown[r] {
			words = append(words, "("+regionLabel(r)+")")
		}
	}
	return strings.Join(words, " ")
}

func regionLabel(r string) string {
	switch r {
	case "global", "asia":
		return strings.ToUpper(r[:1]) + r[1:]
	}
	return strings.ToUpper(r)
}
