package catalog

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/pricing"
	"github.com/syncd/syncd/rules"
)

// Currency of every price syncd serves.
const Currency = "IDR"

// PublicTier is the price tier every storefront has.
const PublicTier = "public"

// Snapshot is one immutable version of the merged catalog. Storefront
// bodies are encoded once per tier, when the snapshot is built; requests
// only copy bytes. Nothing in a Snapshot changes after it is published.
//
// Bodies are kept per game: a snapshot derived from another for a few
// games shares every other game's entry with it, so a rule edit or a price
// webhook re-encodes only what it touched.
type Snapshot struct {
	Version int64
	BuiltAt time.Time

	tiers    []string
	games    []*gameEntry // by name
	gameByID map[string]*gameEntry
	items    int

	gamesBody map[string]*lazyGames // by tier
	catalog   map[string]*lazyBody  // by tier

	changes []change // the versions before this one, oldest first

	// What the prices were computed from, for explaining them on demand.
	rules    *rules.Set
	pricedAt time.Time
	epoch    string // of the ETags: the publishing instance's
	floor    []pricing.Guard

	// offerItem finds an offer's item, to reprice only what a sync
	// touched; health is the suppliers' as of the last sync.
	offerItem map[int64]string
	health    map[string]offers.Health

	// review is the review queue as of this snapshot's links and names.
	review *reviewQueue
	// aliases maps a merged item id to the item it is now.
	aliases map[string]string
}

// gameEntry is one game's part of a snapshot, in every tier.
type gameEntry struct {
	game *Game
	// byID holds the positions of game.Items (cheapest first) in item id
	// order: finding an item is a binary search, not a map per game.
	byID []int32
	// views by tier. Tiers whose storefronts see the same bytes share one
	// view, and a snapshot built while another is served takes that one's
	// view of every game whose bytes did not change: two snapshots alive at
	// a swap hold one copy of what stayed the same, not two.
	views map[string]*gameView
	// deactivated says why every supplier has deactivated the game ("" if
	// one has not); hidden, the same when no item of it can be bought
	// either: then /v1/games and /v1/catalog leave it out.
	deactivated, hidden string
}

// gameView is a game as one tier's storefronts see it: its summary and
// its body, in which every item's JSON and the game's part of /v1/catalog
// are slices, not copies.
type gameView struct {
	summary GameSummary
	body    Body // {"game": ...}
	// starts[i] is where the JSON of item i (of game.Items) begins in
	// body.JSON; starts[len(items)] is one past the end of the last item,
	// as if a comma followed it too.
	starts []uint32
}

// gamePrefix opens every game body; the game's JSON follows it.
const gamePrefix = `{"game":`

// json is the game as it stands in /v1/catalog.
func (v *gameView) json() json.RawMessage {
	return v.body.JSON[len(gamePrefix) : len(v.body.JSON)-1 : len(v.body.JSON)-1]
}

// item is the JSON of item i.
func (v *gameView) item(i int) []byte {
	end := int(v.starts[i+1]) - 1
	return v.body.JSON[v.starts[i]:end:end]
}

// find is the position of an item in game.Items.
func (e *gameEntry) find(id string) (int, bool) {
	items := e.game.Items
	k, ok := slices.BinarySearchFunc(e.byID, id, func(p int32, id string) int { return strings.Compare(items[p].ID, id) })
	if !ok {
		return 0, false
	}
	return int(e.byID[k]), true
}

// Price is an item's price in one tier.
type Price struct {
	Amount  *int64 // nil: not sellable in this tier
	Blocked string // why not, when it has an offer but no price fits
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

// ViewOf is an item as a storefront of the tier sees it.
func ViewOf(it *Item, tier string) ItemView { return itemView(it, tier) }

func itemView(it *Item, tier string) ItemView {
	v := ItemView{ID: it.ID, Game: it.GameID, Name: it.Name, Currency: Currency}
	if p := it.PriceIn(tier); p.Amount != nil {
		v.Price, v.Available = p.Amount, true
	}
	return v
}

// build makes a snapshot of every game. The version is given by seal.
// deactivated says, per game every supplier has deactivated, why. prev,
// the snapshot being served (nil if none), lends its bytes to every game
// view that reads the same.
func build(prev *Snapshot, gameMap map[string]*Game, items []*Item, tiers []string, deactivated map[string]string) (*Snapshot, error) {
	for _, it := range items {
		if g := gameMap[it.GameID]; g != nil {
			g.Items = append(g.Items, it)
		}
	}
	enc := encoders.Get().(*encoder)
	defer encoders.Put(enc)
	entries := make(map[string]*gameEntry, len(gameMap))
	for id, g := range gameMap {
		if len(g.Items) == 0 {
			continue // a game whose offers all moved elsewhere
		}
		var pe *gameEntry
		if prev != nil {
			pe = prev.gameByID[id]
		}
		e, err := encodeGame(enc, g, tiers, pe)
		if err != nil {
			return nil, err
		}
		e.hide(deactivated[id])
		entries[id] = e
	}
	s := index(entries, tiers, nil)
	s.offerItem = offerItems(prev, items)
	return s, nil
}

// offerItems maps every offer to its item: prev's map when the links are
// the same (they change only when a merchandiser or the matching moves
// an offer), so consecutive snapshots share one map of 100,000 entries.
func offerItems(prev *Snapshot, items []*Item) map[int64]string {
	if prev != nil {
		n, same := 0, true
		for _, it := range items {
			for _, o := range it.Offers {
				n++
				if id, ok := prev.offerItem[o.ID]; !ok || id != it.ID {
					same = false
					break
				}
			}
			if !same {
				break
			}
		}
		if same && n == len(prev.offerItem) {
			return prev.offerItem
		}
	}
	m := make(map[int64]string, len(items))
	for _, it := range items {
		for _, o := range it.Offers {
			m[o.ID] = it.ID
		}
	}
	return m
}

// keptOrder is prev's order of the games with the changed entries in
// place, when no game came, went or was renamed (a reprice): sorting the
// games again would give the same. Otherwise nil.
func keptOrder(prev *Snapshot, entries map[string]*gameEntry, changed map[string]*Game) []*gameEntry {
	if len(entries) != len(prev.games) {
		return nil
	}
	for id := range changed {
		e, pe := entries[id], prev.gameByID[id]
		if e == nil || pe == nil || e.game.Name != pe.game.Name {
			return nil
		}
	}
	order := make([]*gameEntry, len(prev.games))
	for i, pe := range prev.games {
		order[i] = entries[pe.game.ID]
	}
	return order
}

// derive makes a snapshot from prev in which the given games are replaced
// (a nil Game, or one without items, removes it); every other game's
// entry is shared with prev. A replaced game keeps prev's word on whether
// its suppliers deactivated it.
func derive(prev *Snapshot, changed map[string]*Game) (*Snapshot, error) {
	return deriveGames(prev, changed, nil)
}

// deriveGames is derive with the changed games' deactivation reloaded
// (deactivated nil: prev's).
func deriveGames(prev *Snapshot, changed map[string]*Game, deactivated map[string]string) (*Snapshot, error) {
	enc := encoders.Get().(*encoder)
	defer encoders.Put(enc)
	entries := make(map[string]*gameEntry, len(prev.gameByID)+len(changed))
	for id, e := range prev.gameByID {
		entries[id] = e
	}
	for id, g := range changed {
		delete(entries, id)
		if g == nil || len(g.Items) == 0 {
			continue
		}
		e, err := encodeGame(enc, g, prev.tiers, prev.gameByID[id])
		if err != nil {
			return nil, err
		}
		why := deactivated[id]
		if pe, ok := prev.gameByID[id]; ok && deactivated == nil {
			why = pe.deactivated
		}
		e.hide(why)
		entries[id] = e
	}
	s := index(entries, prev.tiers, keptOrder(prev, entries, changed))
	// Links do not change without a full rebuild, so neither do these.
	s.offerItem, s.health = prev.offerItem, prev.health
	s.review, s.aliases = prev.review.carry(changed), prev.aliases
	return s, nil
}

// index orders the games and readies the game list of each tier, to be
// encoded when first asked for. order, when not nil, is the games in
// their order already (prev's, with the changed entries in place).
func index(entries map[string]*gameEntry, tiers []string, order []*gameEntry) *Snapshot {
	s := &Snapshot{
		tiers:     tiers,
		gameByID:  entries,
		gamesBody: make(map[string]*lazyGames, len(tiers)),
		games:     order,
	}
	if s.games == nil {
		s.games = make([]*gameEntry, 0, len(entries))
		for _, e := range entries {
			s.games = append(s.games, e)
		}
		slices.SortFunc(s.games, byName)
	}
	for _, e := range s.games {
		s.items += len(e.game.Items)
	}
	for _, tier := range tiers {
		s.gamesBody[tier] = &lazyGames{games: s.games, tier: tier}
	}
	return s
}

// byName is the games' order: by name, then id.
func byName(a, b *gameEntry) int {
	return cmp.Or(cmp.Compare(a.game.Name, b.game.Name), cmp.Compare(a.game.ID, b.game.ID))
}

// encodeGame encodes one game and its items in every tier. Each item is
// encoded once per tier, into the game's body; a view whose bytes equal
// one already made (another tier's, or prev's: the same game in the
// snapshot being served) is shared instead of kept twice.
func encodeGame(enc *encoder, g *Game, tiers []string, prev *gameEntry) (*gameEntry, error) {
	// Cheapest first: the order a buyer scans; stable by id on ties.
	slices.SortFunc(g.Items, func(a, b *Item) int {
		return cmp.Or(cmp.Compare(floorCost(a), floorCost(b)), cmp.Compare(a.ID, b.ID))
	})
	e := &gameEntry{
		game:  g,
		byID:  make([]int32, len(g.Items)),
		views: make(map[string]*gameView, len(tiers)),
	}
	for i := range e.byID {
		e.byID[i] = int32(i)
	}
	slices.SortFunc(e.byID, func(a, b int32) int { return strings.Compare(g.Items[a].ID, g.Items[b].ID) })
	views := make([]ItemView, len(g.Items))
	starts := make([]uint32, len(g.Items)+1)
	for _, tier := range tiers {
		for i, it := range g.Items {
			views[i] = itemView(it, tier)
		}
		sum := summary(g, views)
		head, err := json.Marshal(sum)
		if err != nil {
			return nil, err
		}
		// Encoded into the encoder's scratch buffer: most views are
		// shared, and the kept ones are copied at their exact size.
		b := append(enc.scratch[:0], gamePrefix...)
		b = append(append(b, head[:len(head)-1]...), `,"items":[`...)
		for i := range views {
			if i > 0 {
				b = append(b, ',')
			}
			starts[i] = uint32(len(b))
			b = appendItem(b, views[i])
		}
		starts[len(views)] = uint32(len(b)) + 1
		b = append(b, "]}}"...)
		enc.scratch = b
		if v := e.same(b, prev); v != nil {
			e.views[tier] = v
			continue
		}
		body, err := enc.body(bytes.Clone(b))
		if err != nil {
			return nil, err
		}
		e.views[tier] = &gameView{summary: sum, body: body, starts: slices.Clone(starts)}
	}
	return e, nil
}

// same finds a view whose body is js: one of e's other tiers, or any of
// prev's. Equal bytes are an equal view: the body names every item in
// order, and the summary is part of it.
func (e *gameEntry) same(js []byte, prev *gameEntry) *gameView {
	for _, v := range e.views {
		if bytes.Equal(v.body.JSON, js) {
			return v
		}
	}
	if prev == nil {
		return nil
	}
	for _, v := range prev.views {
		if bytes.Equal(v.body.JSON, js) {
			return v
		}
	}
	return nil
}

// seal gives the snapshot its version. Whole-catalog bodies are made on
// first request, not here: each is 10 MB and most versions are never
// downloaded whole (storefronts follow the changes feed). Their ETag needs
// no bytes because the version moves exactly when content does; the epoch
// (random per process) keeps a database restored from a backup, whose
// version counter goes back, from reusing an ETag for other content.
func (s *Snapshot) seal(version int64, now time.Time, epoch string) {
	s.Version, s.BuiltAt, s.epoch = version, now, epoch
	s.catalog = make(map[string]*lazyBody, len(s.tiers))
	for _, tier := range s.tiers {
		games := make([]json.RawMessage, 0, len(s.games))
		for _, e := range s.games {
			if e.hidden == "" {
				games = append(games, e.views[tier].json())
			}
		}
		etag := `"v` + strconv.FormatInt(version, 10) + "-" + tier + "-" + epoch + `"`
		s.catalog[tier] = &lazyBody{etag: etag, games: games}
	}
}

// hide records why every supplier deactivated the game, and hides it
// from storefront lists when, besides, none of its items can be bought.
func (e *gameEntry) hide(deactivated string) {
	e.deactivated, e.hidden = deactivated, ""
	if deactivated == "" {
		return
	}
	for _, it := range e.game.Items {
		if it.Chosen != nil {
			return
		}
	}
	e.hidden = deactivated
}

// Hidden says why a game is left out of GET /v1/games and /v1/catalog
// (every supplier deactivated it and none of its items can be bought), or
// "" when storefronts list it. Merchandiser views show every game.
func (s *Snapshot) Hidden(game string) string {
	if e, ok := s.gameByID[game]; ok {
		return e.hidden
	}
	return ""
}

// deactivatedGames says, for every game of in whose supplier games are
// all inactive or gone, why.
func deactivatedGames(in *input) map[string]string {
	by := map[string][]*supplierGameRow{}
	for _, sg := range in.supplierGames {
		by[sg.GameID] = append(by[sg.GameID], sg)
	}
	out := map[string]string{}
	for game, sgs := range by {
		why := make([]string, 0, len(sgs))
		for _, sg := range sgs {
			if sg.Active && !sg.Removed {
				why = nil
				break
			}
			state := "inactive"
			if sg.Removed {
				state = "gone"
			}
			why = append(why, sg.Supplier+" "+sg.Code+" "+state)
		}
		if why != nil {
			slices.Sort(why)
			out[game] = "every supplier has deactivated it (" + strings.Join(why, ", ") + ")"
		}
	}
	return out
}

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

// floorCost orders items: by the chosen offer's cost, unavailable last.
func floorCost(it *Item) int64 {
	if it.Chosen == nil {
		return 1 << 62
	}
	return it.Chosen.Cost
}

// SyncedAt is the supplier's last successful sync as the snapshot knows
// it, nil if it never synced successfully.
func (s *Snapshot) SyncedAt(supplier string) *time.Time {
	h, ok := s.health[supplier]
	if !ok || h.LastSuccess.IsZero() {
		return nil
	}
	t := h.LastSuccess
	return &t
}

// Tiers lists the price tiers the snapshot has bodies for.
func (s *Snapshot) Tiers() []string { return s.tiers }

// HasTier reports whether tier is one of the snapshot's.
func (s *Snapshot) HasTier(tier string) bool { return slices.Contains(s.tiers, tier) }

// Games is the body of GET /v1/games for a tier.
func (s *Snapshot) Games(tier string) (Body, bool, error) {
	l, ok := s.gamesBody[tier]
	if !ok {
		return Body{}, false, nil
	}
	b, err := l.get()
	return b, true, err
}

// Catalog is the body of GET /v1/catalog for a tier.
func (s *Snapshot) Catalog(tier string) (Body, bool, error) {
	l, ok := s.catalog[tier]
	if !ok {
		return Body{}, false, nil
	}
	b, err := l.get(s.Version, s.BuiltAt)
	return b, true, err
}

// GameBody is the body of GET /v1/games/{id} for a tier.
func (s *Snapshot) GameBody(id, tier string) (Body, bool) {
	e, ok := s.gameByID[id]
	if !ok {
		return Body{}, false
	}
	v, ok := e.views[tier]
	if !ok {
		return Body{}, false
	}
	return v.body, true
}

// ItemBody is the body of GET /v1/items/{id} for a tier. An id merged
// into another item (an alias) answers with that item's body, which names
// its own id: a storefront that kept the old id keeps working and can
// learn the new one.
func (s *Snapshot) ItemBody(id, tier string) (Body, bool) {
	id = s.Canonical(id)
	e, ok := s.gameByID[gameOf(id)]
	if !ok {
		return Body{}, false
	}
	v, ok := e.views[tier]
	if !ok {
		return Body{}, false
	}
	i, ok := e.find(id)
	if !ok {
		return Body{}, false
	}
	raw := v.item(i)
	// Made per request: 200 bytes and a hash cost less than keeping
	// 80,000 bodies per tier around.
	js := make([]byte, 0, len(raw)+9)
	js = append(append(append(js, `{"item":`...), raw...), '}')
	sum := sha256.Sum256(js)
	return Body{JSON: js, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}, true
}

// item is the snapshot's item of that id (not following aliases), nil if
// it has none or the snapshot is nil.
func (s *Snapshot) item(id string) *Item {
	if s == nil {
		return nil
	}
	e, ok := s.gameByID[gameOf(id)]
	if !ok {
		return nil
	}
	i, ok := e.find(id)
	if !ok {
		return nil
	}
	return e.game.Items[i]
}

// offerState is the snapshot's state of an offer, nil if it has none or
// the snapshot is nil.
func (s *Snapshot) offerState(id int64) *OfferState {
	if s == nil {
		return nil
	}
	it := s.item(s.offerItem[id])
	if it == nil {
		return nil
	}
	for _, o := range it.Offers {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// Canonical is the id an item id stands for now: itself, or for an id
// merged into another item, that item's.
func (s *Snapshot) Canonical(id string) string {
	if to, ok := s.aliases[id]; ok {
		return to
	}
	return id
}

// Item returns an item with its offers, for merchandisers. An alias finds
// the item it was merged into (orders and rules placed under the old id
// resolve through it).
func (s *Snapshot) Item(id string) (*Item, bool) {
	id = s.Canonical(id)
	e, ok := s.gameByID[gameOf(id)]
	if !ok {
		return nil, false
	}
	i, ok := e.find(id)
	if !ok {
		return nil, false
	}
	return e.game.Items[i], true
}

// gameOf is the game part of an item id ("mobile-legends" of
// "mobile-legends.diamonds-86-78-8").
func gameOf(item string) string {
	if i := strings.IndexByte(item, '.'); i >= 0 {
		return item[:i]
	}
	return ""
}

// Game returns a game with its form and items.
func (s *Snapshot) Game(id string) (*Game, bool) {
	e, ok := s.gameByID[id]
	if !ok {
		return nil, false
	}
	return e.game, true
}

// GameList returns the games, by name.
func (s *Snapshot) GameList() []*Game {
	out := make([]*Game, len(s.games))
	for i, e := range s.games {
		out[i] = e.game
	}
	return out
}

// ItemCount is the number of items in the snapshot.
func (s *Snapshot) ItemCount() int { return s.items }
