package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
)

// snapshot returns the catalog being served, or a 503 before the first one
// is built.
func (s *Server) snapshot() (*catalog.Snapshot, error) {
	if s.catalog != nil {
		if snap := s.catalog.Snapshot(); snap != nil {
			return snap, nil
		}
	}
	return nil, fault.New(fault.CatalogNotReady, "the catalog has not been built yet; retry shortly")
}

// serveBody writes a pre-encoded body: ETag and If-None-Match, gzip when
// the client takes it. Storefronts revalidate (no-cache) so a price change
// is seen on the next request, at the cost of a 304.
func serveBody(w http.ResponseWriter, r *http.Request, b catalog.Body) {
	// Names in canonical form, set directly (Header.Set would make them so
	// on every request), and the two values made per request in one
	// allocation.
	h := w.Header()
	v := new([2]string)
	v[0] = b.ETag
	h["Etag"] = v[0:1:1]
	h["Cache-Control"], h["Vary"] = noCache, varyEncoding
	if etagMatches(header(r, "If-None-Match"), b.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = jsonType
	body := b.JSON
	if b.Gzip != nil && acceptsGzip(r) {
		h["Content-Encoding"] = gzipEncoding
		body = b.Gzip
	}
	v[1] = strconv.Itoa(len(body))
	h["Content-Length"] = v[1:2:2]
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// header is the first value of r's header of that name, given in its
// canonical form ("If-None-Match"), as net/http stores the names it reads:
// Header.Get would canonicalize the name again on every request.
func header(r *http.Request, canonicalName string) string {
	if v := r.Header[canonicalName]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// The constant header values of every catalog body, shared rather than
// allocated per request. A literal's len is its cap: anything appending a
// value to one of these headers gets a copy, never writes into them.
var (
	noCache      = []string{"private, no-cache"}
	varyEncoding = []string{"Accept-Encoding"}
	jsonType     = []string{"application/json; charset=utf-8"}
	gzipEncoding = []string{"gzip"}
)

// etagMatches implements If-None-Match's weak comparison over a list.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the client takes gzip: listed with a
// q-value above zero ("gzip;q=0", "gzip;q=0.0" and "gzip;q=0.000" all
// refuse it).
func acceptsGzip(r *http.Request) bool {
	for part := range strings.SplitSeq(header(r, "Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		for p := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return err == nil && q > 0
			}
		}
		return true
	}
	return false
}

// tierOf reads ?tier=, public by default: a tier of the snapshot. An
// unknown one's error lists the tiers the caller may use.
func tierOf(r *http.Request, snap *catalog.Snapshot) (string, error) {
	tier := tierParam(r)
	if !snap.HasTier(tier) {
		p, _ := PrincipalFrom(r.Context())
		usable := []string{}
		for _, t := range snap.Tiers() {
			if p.MayUseTier(t) {
				usable = append(usable, t)
			}
		}
		return "", &fault.Error{Code: fault.UnknownTier, Message: "no price tier " + tier,
			Details: map[string]any{"tier": tier, "tiers": usable}}
	}
	return tier, nil
}

// storefront returns the snapshot and the tier a storefront read is for,
// once the caller may read that tier.
func (s *Server) storefront(r *http.Request) (*catalog.Snapshot, string, error) {
	if p, _ := PrincipalFrom(r.Context()); !p.MayUseTier(tierParam(r)) {
		return nil, "", tierForbidden(p, tierParam(r))
	}
	snap, err := s.snapshot()
	if err != nil {
		return nil, "", err
	}
	tier, err := tierOf(r, snap)
	return snap, tier, err
}

func (s *Server) listGames(w http.ResponseWriter, r *http.Request) error {
	snap, tier, err := s.storefront(r)
	if err != nil {
		return err
	}
	b, _, err := snap.Games(tier)
	if err != nil {
		return err
	}
	serveBody(w, r, b)
	return nil
}

func (s *Server) getGame(w http.ResponseWriter, r *http.Request) error {
	snap, tier, err := s.storefront(r)
	if err != nil {
		return err
	}
	id := pathParam(r, "game")
	b, ok := snap.GameBody(id, tier)
	if !ok {
		return fault.New(fault.GameNotFound, "no game "+id)
	}
	serveBody(w, r, b)
	return nil
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) error {
	snap, tier, err := s.storefront(r)
	if err != nil {
		return err
	}
	id := pathParam(r, "item")
	b, ok := snap.ItemBody(id, tier)
	if !ok {
		return fault.New(fault.ItemNotFound, "no item "+id)
	}
	serveBody(w, r, b)
	return nil
}

func (s *Server) getCatalog(w http.ResponseWriter, r *http.Request) error {
	snap, tier, err := s.storefront(r)
	if err != nil {
		return err
	}
	b, _, err := snap.Catalog(tier)
	if err != nil {
		return err
	}
	serveBody(w, r, b)
	return nil
}

func (s *Server) catalogChanges(w http.ResponseWriter, r *http.Request) error {
	raw := r.URL.Query().Get("since")
	since, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || since < 0 {
		return &fault.Error{Code: fault.BadRequest,
			Message: "since must be a catalog version (a non-negative integer)", Details: map[string]any{"since": raw}}
	}
	snap, tier, err := s.storefront(r)
	if err != nil {
		return err
	}
	ch, err := snap.ChangesSince(since, tier)
	if err != nil {
		return &fault.Error{Code: fault.VersionGone,
			Message: "the changes feed no longer reaches that version; download GET /v1/catalog",
			Details: map[string]any{"since": since, "current": snap.Version}}
	}
	writeJSON(w, http.StatusOK, ch)
	return nil
}

// itemDetail is the merchandiser's view of an item: every linked offer,
// which one sells it, and why.
type itemDetail struct {
	catalog.ItemView
	ChosenOffer *int64                `json:"chosen_offer"`
	Reason      string                `json:"reason"`
	Prices      map[string]tierPrice  `json:"prices"`
	Offers      []*catalog.OfferState `json:"offers"`
}

// tierPrice is an item's price in one tier, or why it has none.
type tierPrice struct {
	Price   *int64 `json:"price"`
	Blocked string `json:"blocked,omitempty"`
}

func detailOf(snap *catalog.Snapshot, id string) (*itemDetail, error) {
	it, ok := snap.Item(id)
	if !ok {
		return nil, fault.New(fault.ItemNotFound, "no item "+id)
	}
	// Offers are shared between snapshots: copy them to show each
	// supplier's freshness as this snapshot knows it.
	offers := make([]*catalog.OfferState, len(it.Offers))
	for i, o := range it.Offers {
		cp := *o
		cp.SyncedAt = snap.SyncedAt(o.Supplier)
		offers[i] = &cp
	}
	d := &itemDetail{ItemView: catalog.ViewOf(it, catalog.PublicTier), Reason: it.Reason, Offers: offers,
		Prices: make(map[string]tierPrice, len(snap.Tiers()))}
	for _, tier := range snap.Tiers() {
		p := it.PriceIn(tier)
		d.Prices[tier] = tierPrice{Price: p.Amount, Blocked: p.Blocked}
	}
	if it.Chosen != nil {
		d.ChosenOffer = &it.Chosen.ID
	}
	return d, nil
}

func (s *Server) itemOffers(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	d, err := detailOf(snap, pathParam(r, "item"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"item": d})
	return nil
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	q := snap.Review()
	if q == nil {
		q = []catalog.ReviewEntry{}
	}
	games := snap.GameReview()
	if games == nil {
		games = []catalog.GameReviewEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"offers": q, "games": games, "rules": snap.RuleReview()})
	return nil
}

func offerID(r *http.Request) (int64, error) {
	raw := pathParam(r, "offer")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, fault.New(fault.NotFound, "no offer "+raw)
	}
	return id, nil
}

// fieldError gives a catalog validation failure the per-field details
// DESIGN.md asks of every 422; other errors pass through.
func fieldError(err error, field string) error {
	if errors.Is(err, catalog.ErrInvalid) {
		return &fault.Error{Code: fault.Validation, Message: err.Error(),
			Details: map[string]any{field: err.Error()}}
	}
	return err
}

func who(r *http.Request) string {
	if p, ok := PrincipalFrom(r.Context()); ok {
		return p.Name
	}
	return ""
}

func (s *Server) linkOffer(w http.ResponseWriter, r *http.Request) error {
	id, err := offerID(r)
	if err != nil {
		return err
	}
	var body struct {
		Item string `json:"item"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Item == "" {
		return &fault.Error{Code: fault.Validation, Message: "item is required",
			Details: map[string]any{"item": "required"}}
	}
	if err := s.catalog.LinkOffer(r.Context(), id, body.Item, who(r)); err != nil {
		return fieldError(err, "item")
	}
	return s.writeItem(w, http.StatusOK, body.Item)
}

func (s *Server) splitOffer(w http.ResponseWriter, r *http.Request) error {
	id, err := offerID(r)
	if err != nil {
		return err
	}
	item, err := s.catalog.SplitOffer(r.Context(), id, who(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/items/"+item)
	return s.writeItem(w, http.StatusCreated, item)
}

func (s *Server) patchItem(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	item := pathParam(r, "item")
	if err := s.catalog.RenameItem(r.Context(), item, body.Name, who(r)); err != nil {
		return fieldError(err, "name")
	}
	return s.writeItem(w, http.StatusOK, item)
}

func (s *Server) writeItem(w http.ResponseWriter, status int, id string) error {
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	d, err := detailOf(snap, id)
	if err != nil {
		return err
	}
	writeJSON(w, status, map[string]any{"item": d})
	return nil
}

// gameForm is the merchandiser's view of a game's order form: the form,
// what each supplier that declares game settings needs beyond it (by
// supplier and key), and the supplier games that cannot be ordered.
type gameForm struct {
	Game     string                       `json:"game"`
	Form     []catalog.FormField          `json:"form"`
	Settings map[string]map[string]string `json:"settings"`
	Unfit    map[string]string            `json:"unfit_suppliers"`
}

func (s *Server) getGameForm(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	id := pathParam(r, "game")
	g, ok := snap.Game(id)
	if !ok {
		return fault.New(fault.GameNotFound, "no game "+id)
	}
	unfit := g.Unfit
	if unfit == nil {
		unfit = map[string]string{}
	}
	settings := g.Settings
	if settings == nil {
		settings = map[string]map[string]string{}
	}
	writeJSON(w, http.StatusOK, gameForm{Game: g.ID, Form: g.Form, Settings: settings, Unfit: unfit})
	return nil
}

func (s *Server) patchGameForm(w http.ResponseWriter, r *http.Request) error {
	// Without a snapshot SetGameSettings cannot see the game's form and
	// would call an existing game not found.
	if _, err := s.snapshot(); err != nil {
		return err
	}
	var body struct {
		Settings map[string]map[string]string `json:"settings"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	n := 0
	for _, kv := range body.Settings {
		n += len(kv)
	}
	if n == 0 {
		return &fault.Error{Code: fault.Validation, Message: "settings: nothing to set",
			Details: map[string]any{"settings": "at least one supplier's setting is required"}}
	}
	if err := s.catalog.SetGameSettings(r.Context(), pathParam(r, "game"), body.Settings); err != nil {
		var se *catalog.SettingError
		if errors.As(err, &se) {
			return fieldError(err, se.Field())
		}
		return err
	}
	return s.getGameForm(w, r)
}
