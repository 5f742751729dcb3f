package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
)

// The catalog's storage beside the snapshot's load (store_load.go) and
// linking's (store_link.go): the snapshot version, the chosen offers,
// stored prices and their history, and the helpers of a merchandiser's
// link decisions. The rest of the package decides; these files talk to
// the database.

// tiers lists the storefront price tiers, public first.
func (c *Catalog) tiers(ctx context.Context) ([]string, error) {
	var tiers []string
	if err := c.db.Read.SelectContext(ctx, &tiers, `SELECT id FROM tiers ORDER BY id != 'public', id`); err != nil {
		return nil, fmt.Errorf("load tiers: %w", err)
	}
	return tiers, nil
}

// nextVersion bumps the persisted snapshot version, so versions keep
// growing across restarts and a storefront's old version is never mistaken
// for a new one.
func (c *Catalog) nextVersion(ctx context.Context) (int64, error) {
	const q = `INSERT INTO meta (key, value) VALUES ('snapshot_version', '1')
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)
		RETURNING value`
	var v string
	if err := c.db.Write.GetContext(ctx, &v, q); err != nil {
		return 0, fmt.Errorf("snapshot version: %w", err)
	}
	return strconv.ParseInt(v, 10, 64)
}

// rememberChoices stores each item's chosen offer where it changed, so the
// switch margin still holds after a restart.
func (c *Catalog) rememberChoices(ctx context.Context, in *input, items []*Item) error {
	type choice struct {
		item   string
		chosen *int64
	}
	var moved []choice
	for _, it := range items {
		var chosen *int64
		if it.Chosen != nil {
			chosen = &it.Chosen.ID
		}
		before := in.items[it.ID].ChosenOfferID
		if (chosen == nil) == (before == nil) && (chosen == nil || *chosen == *before) {
			continue
		}
		moved = append(moved, choice{it.ID, chosen})
	}
	if len(moved) == 0 {
		return nil // no write transaction to wait for the writer for
	}
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE items SET chosen_offer_id = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, m := range moved {
		if _, err := stmt.ExecContext(ctx, m.chosen, m.item); err != nil {
			return fmt.Errorf("remember choice of %s: %w", m.item, err)
		}
	}
	return tx.Commit()
}

// recordPrices writes each (item, tier) whose price changed to prices and
// price_history. After a restart (no previous snapshot) the stored prices
// are the comparison, so history has no gap across restarts.
func (c *Catalog) recordPrices(ctx context.Context, prev, snap *Snapshot, ch change, cause string) error {
	type key struct{ item, tier string }
	type stored struct {
		price   *int64
		blocked string
	}
	var before map[key]stored
	candidates := ch.Items
	if prev == nil {
		before = map[key]stored{}
		rows, err := c.db.Read.QueryContext(ctx, `SELECT item_id, tier, price, blocked FROM prices`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var k key
			var st stored
			if err := rows.Scan(&k.item, &k.tier, &st.price, &st.blocked); err != nil {
				rows.Close()
				return err
			}
			before[k] = st
		}
		rows.Close()
		candidates = nil
		for _, e := range snap.games {
			for _, it := range e.game.Items {
				candidates = append(candidates, it.ID)
			}
		}
	}
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	upsert, err := tx.PrepareContext(ctx, `INSERT INTO prices (item_id, tier, price, blocked, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (item_id, tier) DO UPDATE SET price = excluded.price, blocked = excluded.blocked, updated_at = excluded.updated_at`)
	if err != nil {
		return err
	}
	defer upsert.Close()
	hist, err := tx.PrepareContext(ctx, `INSERT INTO price_history (item_id, tier, old_price, new_price, cause, at) VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer hist.Close()
	now := syncd.FormatTime(c.now())
	for _, id := range candidates {
		it, _ := snap.Item(id)
		var old *Item
		if prev != nil {
			old, _ = prev.Item(id)
		}
		for _, tier := range snap.tiers {
			var cur Price
			if it != nil {
				cur = it.PriceIn(tier)
			}
			var was stored
			switch {
			case prev == nil:
				st, ok := before[key{id, tier}]
				if ok && samePrice(st.price, cur.Amount) && st.blocked == cur.Blocked {
					continue
				}
				was = st
			case old != nil:
				p := old.PriceIn(tier)
				was = stored{p.Amount, p.Blocked}
			}
			if samePrice(was.price, cur.Amount) && was.blocked == cur.Blocked {
				continue
			}
			if _, err := upsert.ExecContext(ctx, id, tier, cur.Amount, cur.Blocked, now); err != nil {
				return fmt.Errorf("store price %s/%s: %w", id, tier, err)
			}
			if samePrice(was.price, cur.Amount) {
				continue // only the reason for being blocked changed
			}
			if _, err := hist.ExecContext(ctx, id, tier, was.price, cur.Amount, cause, now); err != nil {
				return fmt.Errorf("price history %s/%s: %w", id, tier, err)
			}
		}
	}
	return tx.Commit()
}

func samePrice(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// PriceHistory returns the latest limit price changes of an item, in
// every tier, oldest first. It reads the database: history is not part
// of the snapshot.
func (c *Catalog) PriceHistory(ctx context.Context, itemID string, limit int) ([]PriceChange, error) {
	const q = `SELECT tier, old_price, new_price, cause, at FROM (
		SELECT id, tier, old_price, new_price, cause, at FROM price_history
		WHERE item_id = ? ORDER BY id DESC LIMIT ?) AS recent ORDER BY id`
	var rows []struct {
		Tier  string `db:"tier"`
		Old   *int64 `db:"old_price"`
		New   *int64 `db:"new_price"`
		Cause string `db:"cause"`
		At    string `db:"at"`
	}
	if err := c.db.Read.SelectContext(ctx, &rows, q, itemID, limit); err != nil {
		return nil, fmt.Errorf("price history of %s: %w", itemID, err)
	}
	out := make([]PriceChange, len(rows))
	for i, r := range rows {
		at, err := syncd.ParseTime(r.At)
		if err != nil {
			return nil, fmt.Errorf("price history of %s: %w", itemID, err)
		}
		out[i] = PriceChange{Tier: r.Tier, Old: r.Old, New: r.New, Cause: r.Cause, At: at}
	}
	return out, nil
}

func offerGame(ctx context.Context, tx *sqlx.Tx, offerID int64) (string, error) {
	var game string
	err := tx.GetContext(ctx, &game, `SELECT gl.game_id FROM offers o
		JOIN game_links gl ON gl.supplier = o.supplier AND gl.game_code = o.game_code WHERE o.id = ?`, offerID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("offer %d: %w", offerID, ErrNotFound)
	}
	return game, err
}

func setLink(ctx context.Context, tx *sqlx.Tx, offerID int64, itemID, by, now string) error {
	const q = `UPDATE offers SET item_id = ?, link_method = 'manual', link_confidence = '1.00', link_manual = TRUE,
		link_review = FALSE, link_decided_by = ?, link_updated_at = ? WHERE id = ? AND item_id IS NOT NULL`
	r, err := tx.ExecContext(ctx, q, itemID, by, now, offerID)
	if err != nil {
		return fmt.Errorf("link offer %d to %s: %w", offerID, itemID, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("offer %d: %w", offerID, ErrNotFound)
	}
	return nil
}

// currentOffer is an offer and its supplier game as stored now.
type currentOffer struct {
	gameCode, form                    string
	cost                              int64
	confirmed                         sql.NullInt64 // set while the cost is held
	active, removed, gActive, gRemove bool
}

// currentOffers reads the offers ids as stored now, in one query: it runs
// for every order, with the statement prepared once for each number of
// offers up to maxPreparedOffers (parsing it was 7% of an order's CPU).
func (c *Catalog) currentOffers(ctx context.Context, ids []any) (map[int64]currentOffer, error) {
	q := `SELECT o.id, o.game_code, o.cost, o.active, o.removed_at IS NOT NULL, o.confirmed_cost,
			sg.form, sg.active, sg.removed_at IS NOT NULL
		FROM offers o JOIN supplier_games sg ON sg.supplier = o.supplier AND sg.code = o.game_code
		WHERE o.id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	var rows *sql.Rows
	var err error
	if st := c.offerReads.get(ctx, c.db.Read, len(ids), q); st != nil {
		rows, err = st.QueryContext(ctx, ids...)
	} else {
		rows, err = c.db.Read.QueryContext(ctx, q, ids...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := make(map[int64]currentOffer, len(ids))
	for rows.Next() {
		var id int64
		var c currentOffer
		if err := rows.Scan(&id, &c.gameCode, &c.cost, &c.active, &c.removed, &c.confirmed, &c.form, &c.gActive, &c.gRemove); err != nil {
			return nil, err
		}
		now[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return now, nil
}

// maxPreparedOffers bounds the statements offerReads keeps: an item has
// an offer or two per supplier; a longer list is parsed each time.
const maxPreparedOffers = 16

// offerReads keeps currentOffers' statements, by number of offers.
type offerReads struct {
	mu sync.Mutex
	m  map[int]*sqlx.Stmt
}

// get returns the statement for n offers, prepared on db; nil when n is
// past the bound or preparing failed (the caller then runs q unprepared).
func (r *offerReads) get(ctx context.Context, db *sqlx.DB, n int, q string) *sqlx.Stmt {
	if n > maxPreparedOffers {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.m[n]; ok {
		return st
	}
	st, err := db.PreparexContext(ctx, q)
	if err != nil {
		return nil
	}
	if r.m == nil {
		r.m = map[int]*sqlx.Stmt{}
	}
	r.m[n] = st
	return st
}

func (r *offerReads) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for n, st := range r.m {
		st.Close()
		delete(r.m, n)
	}
}

// gameSetting is one setting of a game to store.
type gameSetting struct{ supplier, key, value string }

// storeGameSettings upserts a game's settings.
func storeGameSettings(ctx context.Context, tx *sqlx.Tx, gameID string, rows []gameSetting, now string) error {
	const q = `INSERT INTO game_supplier_settings (game_id, supplier, key, value, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (game_id, supplier, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`
	for _, r := range rows {
		if _, err := tx.ExecContext(ctx, q, gameID, r.supplier, r.key, r.value, now); err != nil {
			return fmt.Errorf("game %s setting %s.%s: %w", gameID, r.supplier, r.key, err)
		}
	}
	return nil
}

// gameOfItem is the game of an item.
func gameOfItem(ctx context.Context, tx *sqlx.Tx, itemID string) (string, error) {
	const q = `SELECT game_id FROM items WHERE id = ?`
	var game string
	err := tx.GetContext(ctx, &game, q, itemID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	return game, err
}

// offerName is the name of an offer as its supplier gives it.
func offerName(ctx context.Context, tx *sqlx.Tx, offerID int64) (string, error) {
	const q = `SELECT name FROM offers WHERE id = ?`
	var name string
	err := tx.GetContext(ctx, &name, q, offerID)
	return name, err
}

// itemsOfGame lists the ids of a game's items.
func itemsOfGame(ctx context.Context, tx *sqlx.Tx, game string) ([]string, error) {
	const q = `SELECT id FROM items WHERE game_id = ?`
	var ids []string
	err := tx.SelectContext(ctx, &ids, q, game)
	return ids, err
}

// createItem inserts an item a merchandiser made, with no match key.
func createItem(ctx context.Context, tx *sqlx.Tx, id, game, name, now string) error {
	const q = `INSERT INTO items (id, game_id, match_key, name, created_at, updated_at)
			VALUES (?, ?, '', ?, ?, ?)`
	if _, err := tx.ExecContext(ctx, q, id, game, name, now, now); err != nil {
		return fmt.Errorf("create item %s: %w", id, err)
	}
	return nil
}

// renameItem sets the name storefronts show for an item.
func renameItem(ctx context.Context, tx *sqlx.Tx, itemID, name, now string) error {
	const q = `UPDATE items SET name = ?, renamed = TRUE, updated_at = ? WHERE id = ?`
	r, err := tx.ExecContext(ctx, q, name, now, itemID)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	return nil
}

// supplierGameLink is a supplier game's name and the game it is linked to.
func supplierGameLink(ctx context.Context, tx *sqlx.Tx, supplier, code string) (name, game string, err error) {
	const q = `SELECT sg.name, gl.game_id FROM supplier_games sg
		JOIN game_links gl ON gl.supplier = sg.supplier AND gl.game_code = sg.code
		WHERE sg.supplier = ? AND sg.code = ?`
	err = tx.QueryRowxContext(ctx, q, supplier, code).Scan(&name, &game)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", fmt.Errorf("supplier game %s/%s: %w", supplier, code, ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("supplier game %s/%s: %w", supplier, code, err)
	}
	return name, game, nil
}

// setGameLink links a supplier game to game by a merchandiser's decision.
func setGameLink(ctx context.Context, tx *sqlx.Tx, supplier, code, game, by, now string) error {
	const q = `UPDATE game_links SET game_id = ?, method = 'manual', manual = TRUE, decided_by = ?, updated_at = ?
		WHERE supplier = ? AND game_code = ?`
	if _, err := tx.ExecContext(ctx, q, game, by, now, supplier, code); err != nil {
		return fmt.Errorf("link supplier game %s/%s to %s: %w", supplier, code, game, err)
	}
	return nil
}

// recordGameDecision appends d to the game decisions' audit and returns
// its id.
func recordGameDecision(ctx context.Context, tx *sqlx.Tx, d GameDecision, now string) (int64, error) {
	const q = `INSERT INTO game_decisions (supplier, game_code, name, action, from_game, to_game, actor, at, items)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	items, err := json.Marshal(d.Items)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.GetContext(ctx, &id, q, d.Supplier, d.Code, d.Name, d.Action, d.From, d.To, d.By, now, string(items))
	if err != nil {
		return 0, fmt.Errorf("audit game decision on %s/%s: %w", d.Supplier, d.Code, err)
	}
	return id, nil
}

// gameDecisionRow is a game decision as stored.
type gameDecisionRow struct {
	ID       int64  `db:"id"`
	Supplier string `db:"supplier"`
	Code     string `db:"game_code"`
	Name     string `db:"name"`
	Action   string `db:"action"`
	From     string `db:"from_game"`
	To       string `db:"to_game"`
	Actor    string `db:"actor"`
	At       string `db:"at"`
	Items    string `db:"items"`
}

// readGameDecisions reads the latest limit game decisions, newest first:
// every one when supplier is "", else that supplier game's.
func readGameDecisions(ctx context.Context, db sqlx.QueryerContext, supplier, code string, limit int) ([]gameDecisionRow, error) {
	q := `SELECT id, supplier, game_code, name, action, from_game, to_game, actor, at, items FROM game_decisions`
	args := []any{}
	if supplier != "" {
		q += ` WHERE supplier = ? AND game_code = ?`
		args = append(args, supplier, code)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	var rows []gameDecisionRow
	if err := sqlx.SelectContext(ctx, db, &rows, q, args...); err != nil {
		return nil, err
	}
	return rows, nil
}
