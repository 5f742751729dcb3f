package matching

import (
	"slices"
	"strconv"
	"sync"
)

// readKey caches readings by canonical game and name: the same few
// thousand names recur across games, across a game's supplier channels
// ("[PROMO TERMURAH] V3", "BJ") and across every snapshot.
type readKey struct{ game, name string }

// reading is an offer name as read in its supplier game, with what the
// review derivation compares precomputed, so that a refresh allocates
// nothing per offer for it.
type reading struct {
	d      Denomination
	ok     bool
	key    string    // d.Key()
	split  string    // d.Split()
	compat compatKey // without the game's base
	what   int32     // compat.what as a small number, for cheap map keys
}

var (
	readingsMu sync.Mutex
	// plain holds the names that read the same in every game ("86
	// Diamonds": a known unit, no region), most of them; readings the
	// rest, by game.
	plain    = map[string]*reading{}
	readings = map[readKey]*reading{}
	whats    = map[string]int32{} // unit or "pass:" + pass → its number
)

const maxReadings = 200_000

// readOf reads an offer name as Match does, in its supplier game (the
// game's own name ignored, a region that agrees with the game dropped),
// without the SKU; readings are cached.
func readOf(gameName, name string) *reading {
	id, _, _ := gameIdentity(gameName)
	readingsMu.Lock()
	defer readingsMu.Unlock()
	return readLocked(id, gameName, name)
}

// readLocked is readOf with readingsMu held and the game's id known:
// Review reads 100,000 names under one lock. A reading depends on the
// game only through its id (its base name and regions).
func readLocked(id, gameName, name string) *reading {
	if r, ok := plain[name]; ok {
		return r
	}
	k := readKey{id, name}
	if r, ok := readings[k]; ok {
		return r
	}
	r := &reading{}
	r.d, r.ok = ParseDenomination(name)
	isPlain := r.ok && r.d.known() && r.d.Region == ""
	if !isPlain {
		// What parseDenomination does with a known reading is to return
		// it: only the others need the game.
		_, _, regions := gameIdentity(gameName)
		r.d, r.ok = parseDenomination(name, gameNamePhrases(gameName))
		if r.ok && r.d.Region != "" && slices.Contains(regions, r.d.Region) {
			r.d.Region = ""
		}
	}
	if r.ok {
		r.key, r.split, r.compat = r.d.Key(), r.d.Split(), compatOf("", r.d)
	}
	if r.ok {
		w := r.compat.what
		if r.compat.pass {
			w = "pass:" + w
		}
		id, ok := whats[w]
		if !ok && len(whats) < maxReadings {
			id = int32(len(whats) + 1)
			whats[w] = id
		}
		r.what = id // 0 only past the cap: then nothing is compatible with it
	}
	switch {
	case isPlain && len(plain) < maxReadings:
		plain[name] = r
	case !isPlain && len(readings) < maxReadings:
		readings[k] = r
	}
	return r
}

// compatKey is what makes offers of two suppliers worth showing side by
// side: the base name of their game (siblings share it) and the unit and
// total, or the pass and count.
type compatKey struct {
	base   string
	what   string // unit or pass
	pass   bool
	amount int64
}

func compatOf(base string, d Denomination) compatKey {
	if d.Pass != "" {
		return compatKey{base, d.Pass, true, d.Count}
	}
	return compatKey{base, d.Unit, false, d.Quantity}
}

func (k compatKey) String() string {
	if k.pass {
		return "pass:" + k.what + ":x" + strconv.FormatInt(k.amount, 10)
	}
	return k.what + ":" + strconv.FormatInt(k.amount, 10)
}
