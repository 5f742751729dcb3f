package catalog

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// The SQL of linking (link.go), the matching policy's rekey and merge
// (merge.go) and a merchandiser's game decisions (gamelink.go). Each
// helper runs in the transaction its algorithm opened, in the order the
// algorithm calls it; callers add the context to an error.

// unlinkedGame is a supplier game without a canonical game yet.
type unlinkedGame struct {
	Supplier string `db:"supplier"`
	Code     string `db:"code"`
	Name     string `db:"name"`
	IconURL  string `db:"icon_url"`
}

// unlinkedGames lists the supplier games without a game link, by
// supplier and code.
func unlinkedGames(ctx context.Context, tx *sqlx.Tx) ([]unlinkedGame, error) {
	const q = `SELECT sg.supplier, sg.code, sg.name, sg.icon_url FROM supplier_games sg
		LEFT JOIN game_links gl ON gl.supplier = sg.supplier AND gl.game_code = sg.code
		WHERE gl.game_id IS NULL ORDER BY sg.supplier, sg.code`
	var rows []unlinkedGame
	err := tx.SelectContext(ctx, &rows, q)
	return rows, err
}

// ensureGame creates game id, or gives an existing one without an icon
// this icon: two supplier games may name the same game.
func ensureGame(ctx context.Context, tx *sqlx.Tx, id, name, iconURL, now string) error {
	const q = `INSERT INTO games (id, name, icon_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET icon_url = excluded.icon_url WHERE games.icon_url = ''`
	_, err := tx.ExecContext(ctx, q, id, name, iconURL, now, now)
	return err
}

// linkGameByName links supplier game (supplier, code) to game, as
// matching by name decided.
func linkGameByName(ctx context.Context, tx *sqlx.Tx, supplier, code, game, now string) error {
	const q = `INSERT INTO game_links (supplier, game_code, game_id, method, updated_at) VALUES (?, ?, ?, 'name', ?)`
	_, err := tx.ExecContext(ctx, q, supplier, code, game, now)
	return err
}

// unlinkedOffers lists the offers without an item whose supplier game
// has a game, by supplier and code.
func unlinkedOffers(ctx context.Context, tx *sqlx.Tx) ([]linkRow, error) {
	const q = `SELECT o.id, o.supplier, o.code, o.game_code, o.name, gl.game_id, sg.name AS game_name
		FROM offers o INDEXED BY offers_unlinked
		JOIN game_links gl ON gl.supplier = o.supplier AND gl.game_code = o.game_code
		JOIN supplier_games sg ON sg.supplier = o.supplier AND sg.code = o.game_code
		WHERE o.item_id IS NULL
		ORDER BY o.supplier, o.code`
	var offers []linkRow
	err := tx.SelectContext(ctx, &offers, q)
	return offers, err
}

// eachItemKey calls fn with every item's id, game and match key ("" for
// an item nothing links to by key).
func eachItemKey(ctx context.Context, tx *sqlx.Tx, fn func(id, game, key string)) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, game_id, match_key FROM items`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, game, key string
		if err := rows.Scan(&id, &game, &key); err != nil {
			return err
		}
		fn(id, game, key)
	}
	return rows.Err()
}

// linkedOffersQuery reads offers linked automatically, with their games;
// the callers narrow it.
const linkedOffersQuery = `SELECT o.id, o.supplier, o.code, o.game_code, o.name, o.item_id, gl.game_id, sg.name AS game_name
		FROM offers o
		JOIN game_links gl ON gl.supplier = o.supplier AND gl.game_code = o.game_code
		JOIN supplier_games sg ON sg.supplier = o.supplier AND sg.code = o.game_code
		WHERE o.item_id IS NOT NULL AND o.removed_at IS NULL AND o.link_method != 'unmatched'`

// linkedOffersOfGame lists the live offers of supplier game (supplier,
// code) that matching linked.
func linkedOffersOfGame(ctx context.Context, tx *sqlx.Tx, supplier, code string) ([]linkRow, error) {
	var rows []linkRow
	err := tx.SelectContext(ctx, &rows, linkedOffersQuery+` AND o.supplier = ? AND o.game_code = ?`, supplier, code)
	return rows, err
}

// linkedOffersOfItem lists the live offers of item that matching linked.
func linkedOffersOfItem(ctx context.Context, tx *sqlx.Tx, item string) ([]linkRow, error) {
	var rows []linkRow
	err := tx.SelectContext(ctx, &rows, linkedOffersQuery+` AND o.item_id = ?`, item)
	return rows, err
}

// allLinkedOffers lists every live offer that matching linked: cheaper
// than one query per game or item when many offers are new.
func allLinkedOffers(ctx context.Context, tx *sqlx.Tx) ([]linkRow, error) {
	var rows []linkRow
	err := tx.SelectContext(ctx, &rows, linkedOffersQuery)
	return rows, err
}

// offerLinker holds linking's two statements, prepared once for a run
// that may link thousands of offers.
type offerLinker struct {
	newItem, newLink *sql.Stmt
}

func prepareOfferLinker(ctx context.Context, tx *sqlx.Tx) (*offerLinker, error) {
	newItem, err := tx.PrepareContext(ctx, `INSERT INTO items (id, game_id, match_key, name, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return nil, err
	}
	newLink, err := tx.PrepareContext(ctx, `UPDATE offers SET item_id = ?, link_method = ?, link_confidence = ?,
		link_review = ?, link_updated_at = ? WHERE id = ?`)
	if err != nil {
		newItem.Close()
		return nil, err
	}
	return &offerLinker{newItem: newItem, newLink: newLink}, nil
}

// createItem creates item id of game with match key key.
func (l *offerLinker) createItem(ctx context.Context, id, game, key, name, now string) error {
	_, err := l.newItem.ExecContext(ctx, id, game, key, name, now, now)
	return err
}

// link links offer to item as matching decided; confidence is the
// decimal text stored.
func (l *offerLinker) link(ctx context.Context, offer int64, item, method, confidence string, review bool, now string) error {
	_, err := l.newLink.ExecContext(ctx, item, method, confidence, review, now, offer)
	return err
}

func (l *offerLinker) Close() {
	l.newLink.Close()
	l.newItem.Close()
}

// storedMatchingPolicy is the policy the database's match keys are in,
// "" for a database from before policies were recorded.
func storedMatchingPolicy(ctx context.Context, db sqlx.QueryerContext) (string, error) {
	var policy string
	err := sqlx.GetContext(ctx, db, &policy, `SELECT value FROM meta WHERE key = 'matching_policy'`)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return policy, err
}

// storeMatchingPolicy records that the match keys are in policy.
func storeMatchingPolicy(ctx context.Context, db sqlx.ExecerContext, policy string) error {
	_, err := db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('matching_policy', ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, policy)
	return err
}

// keyedItems lists the items with a match key.
func keyedItems(ctx context.Context, tx *sqlx.Tx) ([]rekeyItem, error) {
	var items []rekeyItem
	err := tx.SelectContext(ctx, &items, `SELECT id, game_id, match_key, created_at FROM items WHERE match_key != ''`)
	return items, err
}

// itemOffers lists every offer with an item, as the rekey reads them.
func itemOffers(ctx context.Context, tx *sqlx.Tx) ([]rekeyOffer, error) {
	var offers []rekeyOffer
	err := tx.SelectContext(ctx, &offers, `SELECT o.id, o.supplier, o.code, o.game_code, o.name, sg.name AS game_name,
			o.item_id, o.link_method, o.link_manual
		FROM offers o JOIN supplier_games sg ON sg.supplier = o.supplier AND sg.code = o.game_code
		WHERE o.item_id IS NOT NULL`)
	return offers, err
}

// clearMatchKey frees item's match key, so another item may take it.
func clearMatchKey(ctx context.Context, tx *sqlx.Tx, item, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE items SET match_key = '', updated_at = ? WHERE id = ?`, now, item)
	return err
}

// setMatchKey gives item match key key.
func setMatchKey(ctx context.Context, tx *sqlx.Tx, item, key string) error {
	_, err := tx.ExecContext(ctx, `UPDATE items SET match_key = ? WHERE id = ?`, key, item)
	return err
}

// mergeItemInto moves alias's offers and the aliases that pointed at it
// to item, and drops its chosen offer.
func mergeItemInto(ctx context.Context, tx *sqlx.Tx, alias, item, now string) error {
	return execEach(ctx, tx, []stmt{
		{`UPDATE offers SET item_id = ?, link_updated_at = ? WHERE item_id = ?`, []any{item, now, alias}},
		{`UPDATE item_aliases SET item_id = ? WHERE item_id = ?`, []any{item, alias}},
		{`UPDATE items SET chosen_offer_id = NULL, updated_at = ? WHERE id = ?`, []any{now, alias}},
	})
}

// recordAlias records that alias, keyed key, is now item.
func recordAlias(ctx context.Context, tx *sqlx.Tx, alias, item, key, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO item_aliases (alias_id, item_id, match_key, merged_at) VALUES (?, ?, ?, ?)`,
		alias, item, key, now)
	return err
}

// relinkOffer records that an unmatched offer now reads, by method with
// confidence (the decimal text stored); its item does not change.
func relinkOffer(ctx context.Context, tx *sqlx.Tx, offer int64, method, confidence, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE offers SET link_method = ?, link_confidence = ?, link_updated_at = ? WHERE id = ?`,
		method, confidence, now, offer)
	return err
}

// itemAlias is an item merged into another.
type itemAlias struct {
	Alias string `db:"alias_id"`
	Item  string `db:"item_id"`
}

// itemAliases lists every merged item and the item it is now.
func itemAliases(ctx context.Context, db sqlx.QueryerContext) ([]itemAlias, error) {
	var aliases []itemAlias
	err := sqlx.SelectContext(ctx, db, &aliases, `SELECT alias_id, item_id FROM item_aliases`)
	return aliases, err
}

// matchedGameName is a game with the first name of the supplier games
// matching linked to it.
type matchedGameName struct {
	ID       string `db:"id"`
	Name     string `db:"name"`
	Supplier string `db:"sg_name"`
}

// matchedGameNames lists the games matching linked supplier games to,
// each with the first of their names.
func matchedGameNames(ctx context.Context, tx *sqlx.Tx) ([]matchedGameName, error) {
	var rows []matchedGameName
	err := tx.SelectContext(ctx, &rows, `SELECT g.id, g.name, min(sg.name) AS sg_name FROM games g
		JOIN game_links gl ON gl.game_id = g.id AND NOT gl.manual
		JOIN supplier_games sg ON sg.supplier = gl.supplier AND sg.code = gl.game_code
		GROUP BY g.id`)
	return rows, err
}

// renameGame gives game id display name name.
func renameGame(ctx context.Context, tx *sqlx.Tx, id, name, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE games SET name = ?, updated_at = ? WHERE id = ?`, name, now, id)
	return err
}

// gameExists says whether canonical game id exists.
func gameExists(ctx context.Context, tx *sqlx.Tx, id string) (bool, error) {
	var exists bool
	err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM games WHERE id = ?)`, id)
	return exists, err
}

// movingItem is an item with offers of a supplier game that moves.
type movingItem struct {
	ID      string `db:"id"`
	Key     string `db:"match_key"`
	Name    string `db:"name"`
	Renamed bool   `db:"renamed"`
	Offer   string `db:"offer_name"` // the first moving offer's
	Offers  int    `db:"offers"`     // of the supplier game
	Others  int    `db:"others"`     // of other supplier games
}

// supplierGameItems lists the items of supplier game (supplier, code)'s
// offers, by id.
func supplierGameItems(ctx context.Context, tx *sqlx.Tx, supplier, code string) ([]movingItem, error) {
	const q = `SELECT i.id, i.match_key, i.name, i.renamed, min(o.name) AS offer_name, count(*) AS offers,
			(SELECT count(*) FROM offers x WHERE x.item_id = i.id AND NOT (x.supplier = ?1 AND x.game_code = ?2)) AS others
		FROM offers o JOIN items i ON i.id = o.item_id
		WHERE o.supplier = ?1 AND o.game_code = ?2
		GROUP BY i.id ORDER BY i.id`
	var items []movingItem
	err := tx.SelectContext(ctx, &items, q, supplier, code)
	return items, err
}

// gameItemKeys returns the ids of game's items and those with a match
// key, by key. Item ids begin with their game's id and a dot, so a range
// of ids is the game's items.
func gameItemKeys(ctx context.Context, tx *sqlx.Tx, game string) (ids map[string]bool, byKey map[string]string, err error) {
	ids, byKey = map[string]bool{}, map[string]string{}
	rows, err := tx.QueryContext(ctx, `SELECT id, match_key FROM items WHERE id >= ? AND id < ?`, game+".", game+"/")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, nil, err
		}
		ids[id] = true
		if key != "" {
			byKey[key] = id
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return ids, byKey, nil
}

// createMovedItem creates item id of game, for offers a game decision
// moves there.
func createMovedItem(ctx context.Context, tx *sqlx.Tx, id, game, key, name string, renamed bool, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO items (id, game_id, match_key, name, renamed, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, game, key, name, renamed, now, now)
	return err
}

// moveOffers moves the offers of supplier game (supplier, code) in item
// from to item into.
func moveOffers(ctx context.Context, tx *sqlx.Tx, from, into, supplier, code, now string) error {
	_, err := tx.ExecContext(ctx, `UPDATE offers SET item_id = ?, link_updated_at = ? WHERE item_id = ? AND supplier = ? AND game_code = ?`,
		into, now, from, supplier, code)
	return err
}

// aliasMovedItem makes alias, left without offers, an alias of item: the
// aliases that pointed at it follow, and it loses its key so that no
// later offer links to it.
func aliasMovedItem(ctx context.Context, tx *sqlx.Tx, alias, item, key, now string) error {
	return execEach(ctx, tx, []stmt{
		{`UPDATE item_aliases SET item_id = ? WHERE item_id = ?`, []any{item, alias}},
		{`UPDATE items SET match_key = '', chosen_offer_id = NULL, updated_at = ? WHERE id = ?`, []any{now, alias}},
		{`INSERT INTO item_aliases (alias_id, item_id, match_key, merged_at) VALUES (?, ?, ?, ?)`, []any{alias, item, key, now}},
	})
}

// gameLinkCount is a game and how many supplier games are linked to it.
type gameLinkCount struct {
	ID     string `db:"id"`
	Name   string `db:"name"`
	Linked int    `db:"linked"`
}

// gamesLinkedBesides lists every game with the number of supplier games
// in it, supplier game (supplier, code) left out.
func gamesLinkedBesides(ctx context.Context, tx *sqlx.Tx, supplier, code string) ([]gameLinkCount, error) {
	var games []gameLinkCount
	err := tx.SelectContext(ctx, &games, `SELECT g.id, g.name,
			(SELECT count(*) FROM game_links gl WHERE gl.game_id = g.id AND NOT (gl.supplier = ? AND gl.game_code = ?)) AS linked
		FROM games g`, supplier, code)
	return games, err
}

// supplierGameName returns supplier game (supplier, code)'s name and icon.
func supplierGameName(ctx context.Context, tx *sqlx.Tx, supplier, code string) (name, iconURL string, err error) {
	var sg struct {
		Name    string `db:"name"`
		IconURL string `db:"icon_url"`
	}
	err = tx.GetContext(ctx, &sg, `SELECT name, icon_url FROM supplier_games WHERE supplier = ? AND code = ?`, supplier, code)
	return sg.Name, sg.IconURL, err
}

// insertGame creates game id.
func insertGame(ctx context.Context, tx *sqlx.Tx, id, name, iconURL, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO games (id, name, icon_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		id, name, iconURL, now, now)
	return err
}

// stmt is a statement with its own arguments: PostgreSQL refuses a
// statement given more arguments than it uses, so statements run in a
// row each get theirs.
type stmt struct {
	q    string
	args []any
}

// execEach runs stmts in order in tx, stopping at the first error.
func execEach(ctx context.Context, tx *sqlx.Tx, stmts []stmt) error {
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return err
		}
	}
	return nil
}
