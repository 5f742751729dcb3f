package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/matching"
)

// What a merchandiser decided about a supplier game.
const (
	// GameLinked: the supplier game is part of the canonical game named
	// (linking it into the game it is in confirms it there).
	GameLinked = "link"
	// GameSplit: the supplier game is a canonical game of its own.
	GameSplit = "split"
)

// GameDecision is a merchandiser's game link or split, as audited.
type GameDecision struct {
	ID       int64  `json:"id"`
	Supplier string `json:"supplier"`
	Code     string `json:"code"`
	// Name is the supplier game's name when it was decided.
	Name   string `json:"name"`
	Action string `json:"action"`
	// From is the canonical game it was in, To the one it is in now
	// (the same for a confirmation, or a split of a game it was alone in).
	From  string     `json:"from"`
	To    string     `json:"to"`
	By    string     `json:"by"`
	At    time.Time  `json:"at"`
	Items []ItemMove `json:"items"`
}

// ItemMove is what a game decision did to one item: the supplier game's
// offers in Item moved to Into.
type ItemMove struct {
	Item   string `json:"item"`
	Into   string `json:"into"`
	Offers int    `json:"offers"`
	// Merged: Item had no other offers and is now an alias of Into.
	Merged bool `json:"merged"`
}

// LinkGame makes the supplier game (supplier, code) part of canonical
// game game, by a person's decision that no sync or start-up step undoes.
// Its offers are matched again within game: each joins the game's item of
// the same identity (items.match_key), or a new item of the game when it
// has none; an item the move leaves without offers becomes an alias of
// the item its offers joined (item_aliases), as the matching policy's
// merges do. Rules that named such an item follow it unless the item has
// an equally specific rule (then the review queue shows them). Linking a
// supplier game into the game it is in confirms it there: nothing moves,
// and its game-level review entry is gone.
func (c *Catalog) LinkGame(ctx context.Context, supplier, code, game, by string) (GameDecision, error) {
	return c.decideGame(ctx, supplier, code, by, func(tx *sqlx.Tx, d *GameDecision) error {
		exists, err := gameExists(ctx, tx, game)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%w: no game %s", ErrInvalid, game)
		}
		d.Action, d.To = GameLinked, game
		return nil
	})
}

// SplitGame gives the supplier game (supplier, code) a canonical game of
// its own, by a person's decision that no sync or start-up step undoes,
// and says which. A supplier game alone in its game stays there (the
// decision is recorded: it is not the same game as any other). Otherwise
// it goes to the game its name gives (GameID) when that game has no
// supplier game now, else to a new game: the name's id with a numeric
// suffix. A new game's display name is unique among games and keeps the
// qualifier ("PUBG Mobile (Global)"). Offers move as LinkGame moves them.
func (c *Catalog) SplitGame(ctx context.Context, supplier, code, by string) (GameDecision, error) {
	return c.decideGame(ctx, supplier, code, by, func(tx *sqlx.Tx, d *GameDecision) error {
		d.Action = GameSplit
		var err error
		d.To, err = splitTarget(ctx, tx, supplier, code, d.From, syncd.FormatTime(c.now()))
		return err
	})
}

// decideGame runs a game decision: target fills in the action and the
// game to move to; the move, the manual link and the audit row commit in
// one transaction, then rules follow the items merged and a new snapshot
// is published.
func (c *Catalog) decideGame(ctx context.Context, supplier, code, by string, target func(*sqlx.Tx, *GameDecision) error) (GameDecision, error) {
	at := c.now().UTC()
	now := syncd.FormatTime(at)
	d := GameDecision{Supplier: supplier, Code: code, By: by, At: at, Items: []ItemMove{}}
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return d, err
	}
	defer tx.Rollback()
	if d.Name, d.From, err = supplierGameLink(ctx, tx, supplier, code); err != nil {
		return d, err
	}
	if err := target(tx, &d); err != nil {
		return d, err
	}
	if d.To != d.From {
		if d.Items, err = moveSupplierGame(ctx, tx, supplier, code, d.To, now); err != nil {
			return d, err
		}
	}
	if err := setGameLink(ctx, tx, supplier, code, d.To, by, now); err != nil {
		return d, err
	}
	if d.ID, err = recordGameDecision(ctx, tx, d, now); err != nil {
		return d, err
	}
	if err := tx.Commit(); err != nil {
		return d, err
	}
	c.log.Info("game decision", "supplier", supplier, "code", code, "action", d.Action, "from", d.From, "to", d.To,
		"items", len(d.Items), "actor", by)
	c.mu.Lock()
	defer c.mu.Unlock()
	if merged(d.Items) {
		// After the commit, like the matching policy's: a failure leaves
		// the rule on the alias, where the review queue shows it.
		var rep MergeReport
		if err := c.retargetRules(ctx, &rep); err != nil {
			c.log.Error("rules after a game decision", "err", err)
		}
	}
	_, err = c.refreshLocked(ctx, "matching")
	return d, err
}

func merged(moves []ItemMove) bool {
	for _, m := range moves {
		if m.Merged {
			return true
		}
	}
	return false
}

// moveSupplierGame moves every offer of a supplier game into game to: an
// item keyed by what the player receives joins to's item of that key
// (made if to has none); an item without a key (made by a split, or left
// ambiguous by a policy change) gets an item of its own in to. Manual
// offer links move with their item and stay manual. An item left without
// offers becomes an alias of the item its offers joined, and loses its
// key so that no later offer links to it.
//
// The item of to always keeps its id, even when the moving item is older
// (where the matching policy keeps the oldest): an item id starts with
// its game's id, which snapshots and partial loads rely on.
func moveSupplierGame(ctx context.Context, tx *sqlx.Tx, supplier, code, to, now string) ([]ItemMove, error) {
	from, err := supplierGameItems(ctx, tx, supplier, code)
	if err != nil {
		return nil, fmt.Errorf("move supplier game %s/%s: %w", supplier, code, err)
	}
	ids, byKey, err := gameItemKeys(ctx, tx, to)
	if err != nil {
		return nil, fmt.Errorf("move supplier game %s/%s: %w", supplier, code, err)
	}

	moves := make([]ItemMove, 0, len(from))
	for _, it := range from {
		into := ""
		if it.Key != "" {
			into = byKey[it.Key]
		}
		if into == "" {
			// The whole item moves: it keeps its name (a rename too);
			// else the new item is named after an offer, as linking does.
			name, renamed := it.Name, it.Renamed
			if it.Others > 0 {
				name, renamed = it.Offer, false
			}
			_, rest, _ := strings.Cut(it.ID, ".")
			into = uniqueID(ids, to+"."+rest)
			if err := createMovedItem(ctx, tx, into, to, it.Key, name, renamed, now); err != nil {
				return nil, fmt.Errorf("create item %s: %w", into, err)
			}
			ids[into] = true
			if it.Key != "" {
				byKey[it.Key] = into
			}
		}
		if err := moveOffers(ctx, tx, it.ID, into, supplier, code, now); err != nil {
			return nil, fmt.Errorf("move offers of %s/%s from %s to %s: %w", supplier, code, it.ID, into, err)
		}
		m := ItemMove{Item: it.ID, Into: into, Offers: it.Offers, Merged: it.Others == 0}
		if m.Merged {
			if err := aliasMovedItem(ctx, tx, it.ID, into, it.Key, now); err != nil {
				return nil, fmt.Errorf("merge %s into %s: %w", it.ID, into, err)
			}
		}
		moves = append(moves, m)
	}
	return moves, nil
}

// splitTarget is the game a split gives supplier game (supplier, code),
// now in game from, made if it does not exist.
func splitTarget(ctx context.Context, tx *sqlx.Tx, supplier, code, from, now string) (string, error) {
	games, err := gamesLinkedBesides(ctx, tx, supplier, code)
	if err != nil {
		return "", fmt.Errorf("split supplier game %s/%s: %w", supplier, code, err)
	}
	ids, linked := map[string]bool{}, map[string]int{}
	for _, g := range games {
		ids[g.ID], linked[g.ID] = true, g.Linked
	}
	if linked[from] == 0 {
		return from, nil // alone in its game already
	}
	sgName, iconURL, err := supplierGameName(ctx, tx, supplier, code)
	if err != nil {
		return "", fmt.Errorf("split supplier game %s/%s: %w", supplier, code, err)
	}
	home := matching.GameID(sgName)
	if home == "" {
		home = supplier + "-" + slug(code)
	}
	// Its own game from before a link, left without supplier games, comes
	// back; else a new game, named after it.
	id := home
	if id == from || ids[id] && linked[id] > 0 {
		id = uniqueID(ids, home)
	}
	names := map[string]bool{} // every other game's
	current := ""
	for _, g := range games {
		if g.ID == id {
			current = g.Name
		} else {
			names[g.Name] = true
		}
	}
	if ids[id] {
		if name := uniqueGameName(names, sgName, current); name != current {
			if err := renameGame(ctx, tx, id, name, now); err != nil {
				return "", fmt.Errorf("rename game %s: %w", id, err)
			}
		}
		return id, nil
	}
	if err := insertGame(ctx, tx, id, uniqueGameName(names, sgName, matching.DisplayName(sgName)), iconURL, now); err != nil {
		return "", fmt.Errorf("create game %s: %w", id, err)
	}
	return id, nil
}

// uniqueGameName is want, or else a name no game in taken has: the
// supplier's own name for the game (its channel tags kept), then want
// with a number. Storefronts list games by name; two games must never
// show one.
func uniqueGameName(taken map[string]bool, supplierName, want string) string {
	if !taken[want] {
		return want
	}
	if full := strings.Join(strings.Fields(supplierName), " "); full != "" && !taken[full] {
		return full
	}
	for i := 2; ; i++ {
		if n := want + " " + strconv.Itoa(i); !taken[n] {
			return n
		}
	}
}

// GameDecisions lists the game links and splits made by hand, newest
// first: every one when supplier is "", else that supplier game's.
func (c *Catalog) GameDecisions(ctx context.Context, supplier, code string, limit int) ([]GameDecision, error) {
	rows, err := readGameDecisions(ctx, c.db.Read, supplier, code, limit)
	if err != nil {
		return nil, fmt.Errorf("game decisions: %w", err)
	}
	out := make([]GameDecision, 0, len(rows))
	for _, r := range rows {
		d := GameDecision{ID: r.ID, Supplier: r.Supplier, Code: r.Code, Name: r.Name, Action: r.Action, From: r.From, To: r.To, By: r.Actor}
		var err error
		if d.At, err = syncd.ParseTime(r.At); err != nil {
			return nil, fmt.Errorf("game decision %d: %w", r.ID, err)
		}
		if err := json.Unmarshal([]byte(r.Items), &d.Items); err != nil {
			return nil, fmt.Errorf("game decision %d: %w", r.ID, err)
		}
		out = append(out, d)
	}
	return out, nil
}
