package catalog

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Currency of every price syncd serves.
const Currency = "IDR"

// Snapshot is one immutable version of the merged catalog. Storefront
// bodies are encoded once, when the snapshot is built; requests only copy
// bytes. Nothing in a Snapshot changes after it is published.
type Snapshot struct {
	Version int64
	BuiltAt time.Time

	games    []*Game
	gameByID map[string]*Game
	items    map[string]*Item

	gamesBody Body
	catalog   *lazyBody
	gameBody  map[string]Body
	itemBody  map[string]Body

	changes []change // the versions before this one, oldest first

	full []json.RawMessage // each game's JSON, until seal assembles the catalog
}

// Body is a pre-encoded JSON response with its ETag and, for large bodies,
// a gzipped copy.
type Body struct {
	JSON []byte
	Gzip []byte // nil when not worth compressing
	ETag string
}

// gzipAbove is the size from which a body is also kept gzipped.
const gzipAbove = 1024

// encoder makes Bodies, reusing one gzip writer: a new one allocates about
// a megabyte, and a snapshot has a body per game.
type encoder struct {
	zw  *gzip.Writer
	buf bytes.Buffer
}

func newEncoder() *encoder {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return &encoder{zw: zw}
}

func (e *encoder) marshal(v any) (Body, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return Body{}, err
	}
	return e.body(js)
}

func (e *encoder) body(js []byte) (Body, error) {
	sum := sha256.Sum256(js)
	b := Body{JSON: js, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
	if len(js) >= gzipAbove {
		e.buf.Reset()
		e.zw.Reset(&e.buf)
		e.zw.Write(js)
		if err := e.zw.Close(); err != nil {
			return Body{}, err
		}
		b.Gzip = bytes.Clone(e.buf.Bytes())
	}
	return b, nil
}

// The storefront's view. Prices are whole rupiah; an unavailable item has
// a null price.

// GameSummary is a game in GET /v1/games.
type GameSummary struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	IconURL     string      `json:"icon_url"`
	Form        []FormField `json:"form"`
	ItemCount   int         `json:"item_count"`
	Available   int         `json:"available_count"`
	LowestPrice *int64      `json:"lowest_price"`
}

// ItemView is an item as storefronts see it.
type ItemView struct {
	ID        string `json:"id"`
	Game      string `json:"game"`
	Name      string `json:"name"`
	Price     *int64 `json:"price"`
	Currency  string `json:"currency"`
	Available bool   `json:"available"`
}

// GameView is a game with its items.
type GameView struct {
	GameSummary
	Items []ItemView `json:"items"`
}

// ViewOf is an item as storefronts see it.
func ViewOf(it *Item) ItemView { return itemView(it) }

func itemView(it *Item) ItemView {
	v := ItemView{ID: it.ID, Game: it.GameID, Name: it.Name, Currency: Currency}
	if it.Chosen != nil {
		price := it.Chosen.Cost // cost until margin rules price it
		v.Price, v.Available = &price, true
	}
	return v
}

// build encodes every storefront body but the whole catalog's, which
// carries the version: seal adds it once the version is known.
func build(gameMap map[string]*Game, items []*Item) (*Snapshot, error) {
	s := &Snapshot{
		gameByID: map[string]*Game{},
		items:    make(map[string]*Item, len(items)),
		gameBody: map[string]Body{},
		itemBody: make(map[string]Body, len(items)),
	}
	for _, it := range items {
		g := gameMap[it.GameID]
		if g == nil {
			continue
		}
		g.Items = append(g.Items, it)
		s.items[it.ID] = it
	}
	for _, g := range gameMap {
		if len(g.Items) == 0 {
			continue // a game whose offers all moved elsewhere
		}
		// Cheapest first: the order a buyer scans; stable by id on ties.
		slices.SortFunc(g.Items, func(a, b *Item) int {
			return cmp.Or(cmp.Compare(floorCost(a), floorCost(b)), cmp.Compare(a.ID, b.ID))
		})
		s.games = append(s.games, g)
		s.gameByID[g.ID] = g
	}
	slices.SortFunc(s.games, func(a, b *Game) int { return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID)) })

	enc := newEncoder()
	summaries := make([]GameSummary, 0, len(s.games))
	full := make([]json.RawMessage, 0, len(s.games))
	var buf []byte
	for _, g := range s.games {
		views := make([]ItemView, len(g.Items))
		// Each item is encoded once; its body and its game's body are
		// built from the same bytes.
		encoded := make([][]byte, len(g.Items))
		for i, it := range g.Items {
			views[i] = itemView(it)
			encoded[i] = appendItem(nil, views[i])
			buf = append(append(append(buf[:0], `{"item":`...), encoded[i]...), '}')
			b, err := enc.body(slices.Clone(buf))
			if err != nil {
				return nil, err
			}
			s.itemBody[it.ID] = b
		}
		sum := summary(g, views)
		summaries = append(summaries, sum)
		head, err := json.Marshal(sum)
		if err != nil {
			return nil, err
		}
		js := append(head[:len(head)-1], `,"items":[`...)
		for i, e := range encoded {
			if i > 0 {
				js = append(js, ',')
			}
			js = append(js, e...)
		}
		js = append(js, "]}"...)
		full = append(full, js)
		b, err := enc.body(append(append([]byte(`{"game":`), js...), '}'))
		if err != nil {
			return nil, err
		}
		s.gameBody[g.ID] = b
	}
	var err error
	if s.gamesBody, err = enc.marshal(struct {
		Games []GameSummary `json:"games"`
	}{summaries}); err != nil {
		return nil, err
	}
	s.full = full
	return s, nil
}

// seal gives the snapshot its version. The whole-catalog body is made on
// first request, not here: it is 10 MB and most versions are never
// downloaded whole (storefronts follow the changes feed), and its ETag
// needs no bytes because the version moves exactly when content does. The
// epoch (random per process) keeps a database restored from a backup, whose
// version counter goes back, from reusing an ETag for other content.
func (s *Snapshot) seal(version int64, now time.Time, epoch string) {
	s.Version, s.BuiltAt = version, now
	s.catalog = &lazyBody{etag: `"v` + strconv.FormatInt(version, 10) + "-" + epoch + `"`, games: s.full}
	s.full = nil
}

// lazyBody is the whole-catalog body, assembled once, when first asked for.
type lazyBody struct {
	etag  string
	games []json.RawMessage
	once  sync.Once
	body  Body
	err   error
}

func (l *lazyBody) get(version int64, builtAt time.Time) (Body, error) {
	l.once.Do(func() {
		l.body, l.err = assembleCatalog(version, builtAt, l.games)
		l.body.ETag = l.etag
		l.games = nil
	})
	return l.body, l.err
}

// assembleCatalog builds the catalog body from the game bodies' bytes:
// handing 10 MB of json.RawMessage to json.Marshal would re-validate it.
func assembleCatalog(version int64, now time.Time, games []json.RawMessage) (Body, error) {
	builtAt, err := now.UTC().MarshalJSON()
	if err != nil {
		return Body{}, err
	}
	size := 100
	for _, js := range games {
		size += len(js) + 1
	}
	cat := make([]byte, 0, size)
	cat = append(cat, `{"version":`...)
	cat = strconv.AppendInt(cat, version, 10)
	cat = append(cat, `,"built_at":`...)
	cat = append(cat, builtAt...)
	cat = append(cat, `,"currency":"`+Currency+`","games":[`...)
	for i, js := range games {
		if i > 0 {
			cat = append(cat, ',')
		}
		cat = append(cat, js...)
	}
	cat = append(cat, "]}"...)
	return newEncoder().body(cat)
}

// appendItem encodes an ItemView as encoding/json would, without
// reflection: the catalog has 100,000 of them per snapshot.
func appendItem(b []byte, v ItemView) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"game":`...)
	b = appendString(b, v.Game)
	b = append(b, `,"name":`...)
	b = appendString(b, v.Name)
	b = append(b, `,"price":`...)
	if v.Price == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *v.Price, 10)
	}
	b = append(b, `,"currency":`...)
	b = appendString(b, v.Currency)
	b = append(b, `,"available":`...)
	b = strconv.AppendBool(b, v.Available)
	return append(b, '}')
}

// appendString writes s as a JSON string the way encoding/json does
// (including its escaping of <, > and &), falling back to it for anything
// but plain UTF-8.
func appendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) || strings.ContainsRune(s, '\u2028') || strings.ContainsRune(s, '\u2029') {
		js, _ := json.Marshal(s)
		return append(b, js...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

func summary(g *Game, views []ItemView) GameSummary {
	sum := GameSummary{ID: g.ID, Name: g.Name, IconURL: g.IconURL, Form: g.Form, ItemCount: len(views)}
	for _, v := range views {
		if !v.Available {
			continue
		}
		sum.Available++
		if sum.LowestPrice == nil || *v.Price < *sum.LowestPrice {
			p := *v.Price
			sum.LowestPrice = &p
		}
	}
	return sum
}

// floorCost orders items: by the chosen price, unavailable items last.
func floorCost(it *Item) int64 {
	if it.Chosen == nil {
		return 1 << 62
	}
	return it.Chosen.Cost
}

// Games is the body of GET /v1/games.
func (s *Snapshot) Games() Body { return s.gamesBody }

// Catalog is the body of GET /v1/catalog.
func (s *Snapshot) Catalog() (Body, error) { return s.catalog.get(s.Version, s.BuiltAt) }

// GameBody is the body of GET /v1/games/{id}.
func (s *Snapshot) GameBody(id string) (Body, bool) {
	b, ok := s.gameBody[id]
	return b, ok
}

// ItemBody is the body of GET /v1/items/{id}.
func (s *Snapshot) ItemBody(id string) (Body, bool) {
	b, ok := s.itemBody[id]
	return b, ok
}

// Item returns an item with its offers, for merchandisers.
func (s *Snapshot) Item(id string) (*Item, bool) {
	it, ok := s.items[id]
	return it, ok
}

// Game returns a game with its form and items.
func (s *Snapshot) Game(id string) (*Game, bool) {
	g, ok := s.gameByID[id]
	return g, ok
}

// GameList returns the games, by name.
func (s *Snapshot) GameList() []*Game { return s.games }

// ItemCount is the number of items in the snapshot.
func (s *Snapshot) ItemCount() int { return len(s.items) }
