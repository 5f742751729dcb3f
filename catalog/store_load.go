package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/offers"
)

// input is everything a snapshot is built from, read in one pass.
type input struct {
	games         map[string]*gameRow
	supplierGames map[string]*supplierGameRow // by supplier + "/" + code
	items         map[string]*itemRow
	offers        []offerRow
	suppliers     map[string]offers.Health
	aliases       map[string]string // merged item id → the item it is now
}

type gameRow struct {
	ID      string `db:"id"`
	Name    string `db:"name"`
	IconURL string `db:"icon_url"`
	// settings are those stored, by supplier and key.
	settings map[string]map[string]string
}

type supplierGameRow struct {
	Supplier string
	Code     string
	Name     string
	Active   bool
	Removed  bool
	Form     []offers.Field
	GameID   string
	Manual   bool // placed in its game by a person (LinkGame, SplitGame)
}

type itemRow struct {
	ID            string `db:"id"`
	GameID        string `db:"game_id"`
	Name          string `db:"name"`
	ChosenOfferID *int64 `db:"chosen_offer_id"`
}

// offerRow is an offer as loaded: its state, which choose judges and
// gives to its item (one allocation per offer, made here), and what only
// the load knows. Slim, because 100,000 of them are alive at once beside
// the snapshot being served.
type offerRow struct {
	*OfferState
	GameCode string
	ItemID   string
}

// loadGameSettings reads the stored settings of games (filter and args
// select them, as for the games themselves).
func loadGameSettings(ctx context.Context, tx *sqlx.Tx, games map[string]*gameRow, filter string, args []any) error {
	rows, err := tx.QueryContext(ctx, `SELECT game_id, supplier, key, value FROM game_supplier_settings`+filter, args...)
	if err != nil {
		return fmt.Errorf("load game settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var game, supplier, key, value string
		if err := rows.Scan(&game, &supplier, &key, &value); err != nil {
			return fmt.Errorf("load game settings: %w", err)
		}
		g := games[game]
		if g == nil {
			continue
		}
		if g.settings == nil {
			g.settings = map[string]map[string]string{}
		}
		if g.settings[supplier] == nil {
			g.settings[supplier] = map[string]string{}
		}
		g.settings[supplier][key] = value
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load game settings: %w", err)
	}
	return nil
}

// load reads what a snapshot is built from: every game's items and offers,
// or with games given, those games' alone (games, supplier games and
// supplier health are always read whole: they are small).
func (c *Catalog) load(ctx context.Context, games []string) (*input, error) {
	return c.loadInput(ctx, games, nil)
}

// loadChunk bounds the items loadItems reads in one statement, one bind
// variable each; more are read in several.
const loadChunk = 500

// loadItems reads games as load does, but of their items and offers only
// items' (ids of those games' items): what a cost webhook's reprice needs.
func (c *Catalog) loadItems(ctx context.Context, games, items []string) (*input, error) {
	return c.loadInput(ctx, games, items)
}

func (c *Catalog) loadInput(ctx context.Context, games, itemIDs []string) (*input, error) {
	in := &input{
		games:         map[string]*gameRow{},
		supplierGames: map[string]*supplierGameRow{},
		items:         map[string]*itemRow{},
		suppliers:     map[string]offers.Health{},
	}
	prev := c.current.Load() // nil before the first snapshot: its methods answer nil
	// One read transaction: every table as of one moment.
	tx, err := c.db.Read.BeginTxx(ctx, syncd.ReadSnapshot)
	if err != nil {
		return nil, fmt.Errorf("load catalog: %w", err)
	}
	defer tx.Rollback()

	// With games given, only those games and their suppliers' games: a
	// price webhook on one game must not decode every game's form.
	gameFilter, sgFilter, args := "", "", []any{}
	switch {
	case games != nil && len(games) == 0:
		// SQLite takes IN (), PostgreSQL does not.
		gameFilter, sgFilter = " WHERE FALSE", " WHERE FALSE"
	case games != nil:
		marks := strings.TrimSuffix(strings.Repeat("?,", len(games)), ",")
		gameFilter, sgFilter = " WHERE id IN ("+marks+")", " WHERE gl.game_id IN ("+marks+")"
		for _, g := range games {
			args = append(args, g)
		}
	}
	var gameRows []*gameRow
	if err := tx.SelectContext(ctx, &gameRows, `SELECT id, name, icon_url FROM games`+gameFilter, args...); err != nil {
		return nil, fmt.Errorf("load games: %w", err)
	}
	for _, g := range gameRows {
		in.games[g.ID] = g
	}
	if err := loadGameSettings(ctx, tx, in.games, strings.Replace(gameFilter, " id IN", " game_id IN", 1), args); err != nil {
		return nil, err
	}

	rows, err := tx.QueryContext(ctx, `SELECT sg.supplier, sg.code, sg.name, sg.active, sg.removed_at IS NOT NULL, sg.form, gl.game_id, gl.manual
		FROM supplier_games sg JOIN game_links gl ON gl.supplier = sg.supplier AND gl.game_code = sg.code`+sgFilter, args...)
	if err != nil {
		return nil, fmt.Errorf("load supplier games: %w", err)
	}
	for rows.Next() {
		var g supplierGameRow
		var form string
		if err := rows.Scan(&g.Supplier, &g.Code, &g.Name, &g.Active, &g.Removed, &form, &g.GameID, &g.Manual); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load supplier games: %w", err)
		}
		if err := json.Unmarshal([]byte(form), &g.Form); err != nil {
			rows.Close()
			return nil, fmt.Errorf("form of %s/%s: %w", g.Supplier, g.Code, err)
		}
		in.supplierGames[g.Supplier+"/"+g.Code] = &g
	}
	rows.Close()

	// An item id starts with its game id and a dot: a game's items and
	// offers are the id range [game+".", game+"/").
	// Or, with items given, those items alone, by id: a span is then a
	// chunk of ids.
	type span struct {
		from, to string
		ids      []any
	}
	spans := []span{{from: "", to: "\U0010ffff"}}
	if games != nil {
		spans = spans[:0]
		for _, g := range games {
			spans = append(spans, span{from: g + ".", to: g + "/"})
		}
	}
	if itemIDs != nil {
		spans = spans[:0]
		for chunk := range slices.Chunk(itemIDs, loadChunk) {
			sp := span{ids: make([]any, len(chunk))}
			for i, id := range chunk {
				sp.ids[i] = id
			}
			spans = append(spans, sp)
		}
	}
	spanArgs := func(sp span) []any {
		if sp.ids != nil {
			return sp.ids
		}
		return []any{sp.from, sp.to}
	}
	marks := func(n int) string { return strings.TrimSuffix(strings.Repeat("?,", n), ",") }
	for _, sp := range spans {
		q := `SELECT id, game_id, name, chosen_offer_id FROM items WHERE id >= ? AND id < ?`
		if sp.ids != nil {
			q = `SELECT id, game_id, name, chosen_offer_id FROM items WHERE id IN (` + marks(len(sp.ids)) + `)`
		}
		rows, err = tx.QueryContext(ctx, q, spanArgs(sp)...)
		if err != nil {
			return nil, fmt.Errorf("load items: %w", err)
		}
		var gameID sql.RawBytes
		for rows.Next() {
			it := &itemRow{}
			if err := rows.Scan(&it.ID, &gameID, &it.Name, &it.ChosenOfferID); err != nil {
				rows.Close()
				return nil, fmt.Errorf("load items: %w", err)
			}
			// The game's id, not one copy of it per item.
			if g, ok := in.games[string(gameID)]; ok {
				it.GameID = g.ID
			} else {
				it.GameID = string(gameID)
			}
			// The served snapshot's strings where they are the same: the
			// copies just read are garbage at once rather than a second
			// copy of every id and name, alive beside the first until the
			// swap and then in the new snapshot.
			if old := prev.item(it.ID); old != nil {
				if old.ID == it.ID {
					it.ID = old.ID
				}
				if old.Name == it.Name {
					it.Name = old.Name
				}
			}
			in.items[it.ID] = it
		}
		rows.Close()
	}

	// Supplier, game code, method and confidence repeat across 100,000
	// rows; interning them saves a third of the load's allocations.
	intern := map[string]string{}
	in1 := func(b sql.RawBytes) string {
		if s, ok := intern[string(b)]; ok {
			return s
		}
		s := string(b)
		intern[s] = s
		return s
	}
	const allOffers = `SELECT id, supplier, code, game_code, name, cost, active,
			removed_at IS NOT NULL, updated_at, item_id, link_method, link_confidence, link_manual,
			confirmed_cost, held_since, held_source
		FROM offers NOT INDEXED WHERE item_id IS NOT NULL AND item_id >= ? AND item_id < ?`
	// A few games: through offers_item, not a scan of the whole table.
	const someOffers = `SELECT id, supplier, code, game_code, name, cost, active,
			removed_at IS NOT NULL, updated_at, item_id, link_method, link_confidence, link_manual,
			confirmed_cost, held_since, held_source
		FROM offers INDEXED BY offers_item WHERE item_id >= ? AND item_id < ?`
	// Some items: through offers_item, by id.
	const itemOffers = `SELECT id, supplier, code, game_code, name, cost, active,
			removed_at IS NOT NULL, updated_at, item_id, link_method, link_confidence, link_manual,
			confirmed_cost, held_since, held_source
		FROM offers INDEXED BY offers_item WHERE item_id IN (`
	q := allOffers
	if games != nil {
		q = someOffers
	}
	var supplier, gameCode, method, confidence, updatedAt, itemID sql.RawBytes
	var lastUpdated string
	var confirmed sql.NullInt64
	var heldSince, heldSource sql.NullString
	// Sized from the snapshot being served: grown by appending, the slice
	// of 100,000 rows is copied a dozen times and peaks at twice its size
	// while that snapshot is still alive.
	if games == nil && prev != nil {
		in.offers = make([]offerRow, 0, len(prev.offerItem)+len(prev.offerItem)/16)
	}
	for _, sp := range spans {
		if sp.ids != nil {
			q = itemOffers + marks(len(sp.ids)) + `)`
		}
		rows, err = tx.QueryContext(ctx, q, spanArgs(sp)...)
		if err != nil {
			return nil, fmt.Errorf("load offers: %w", err)
		}
		for rows.Next() {
			o := offerRow{OfferState: &OfferState{}}
			if err := rows.Scan(&o.ID, &supplier, &o.Code, &gameCode, &o.Name, &o.Cost, &o.Active, &o.Removed,
				&updatedAt, &itemID, &method, &confidence, &o.Manual,
				&confirmed, &heldSince, &heldSource); err != nil {
				rows.Close()
				return nil, fmt.Errorf("load offers: %w", err)
			}
			if confirmed.Valid {
				if o.Hold, err = offers.NewCostHold(confirmed.Int64, o.Cost, heldSource.String, heldSince.String); err != nil {
					rows.Close()
					return nil, fmt.Errorf("load offer %d: %w", o.ID, err)
				}
			}
			o.Supplier, o.GameCode, o.Method, o.Confidence = in1(supplier), in1(gameCode), in1(method), in1(confidence)
			// A sync stamps every row it writes alike, and rows come in
			// id order: the previous row's time is usually this one's.
			if lastUpdated != string(updatedAt) {
				lastUpdated = string(updatedAt)
			}
			o.UpdatedAt = lastUpdated
			// The item's id as loaded above, not a copy per offer.
			if it, ok := in.items[string(itemID)]; ok {
				o.ItemID = it.ID
			} else {
				o.ItemID = string(itemID)
			}
			// The served snapshot's code and name, as for items above.
			if old := prev.offerState(o.ID); old != nil {
				if old.Code == o.Code {
					o.Code = old.Code
				}
				if old.Name == o.Name {
					o.Name = old.Name
				}
			}
			in.offers = append(in.offers, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("load offers: %w", err)
		}
	}

	if in.suppliers, err = offers.LoadHealth(ctx, tx); err != nil {
		return nil, err
	}
	var aliases []struct {
		Alias string `db:"alias_id"`
		Item  string `db:"item_id"`
	}
	if err := tx.SelectContext(ctx, &aliases, `SELECT alias_id, item_id FROM item_aliases`); err != nil {
		return nil, fmt.Errorf("load item aliases: %w", err)
	}
	in.aliases = make(map[string]string, len(aliases))
	for _, a := range aliases {
		in.aliases[a.Alias] = a.Item
	}
	return in, nil
}

// loadHealth reads the suppliers' health from the reader pool.
func (c *Catalog) loadHealth(ctx context.Context) (map[string]offers.Health, error) {
	return offers.LoadHealth(ctx, c.db.Read)
}
