package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/matching"
)

// link gives every supplier game a canonical game and every offer an item,
// in one transaction. Only what has no link yet is matched: an existing
// link, automatic or manual, is never changed here, so item ids stay
// stable and a merchandiser's decision is never undone by a sync.
func (c *Catalog) link(ctx context.Context) (int, error) {
	tx, err := c.db.Write.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("link: begin: %w", err)
	}
	defer tx.Rollback()
	now := syncd.FormatTime(c.now())
	if err := linkGames(ctx, tx, now); err != nil {
		return 0, err
	}
	n, err := linkOffers(ctx, tx, now, c.cfg.PrefixedCodes)
	if err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("link: commit: %w", err)
	}
	return n, nil
}

func linkGames(ctx context.Context, tx *sqlx.Tx, now string) error {
	rows, err := unlinkedGames(ctx, tx)
	if err != nil {
		return fmt.Errorf("link games: %w", err)
	}
	for _, r := range rows {
		id := matching.GameID(r.Name)
		if id == "" {
			// A name with nothing recognisable: its own game, never merged.
			id = r.Supplier + "-" + slug(r.Code)
		}
		if err := ensureGame(ctx, tx, id, matching.DisplayName(r.Name), r.IconURL, now); err != nil {
			return fmt.Errorf("create game %s: %w", id, err)
		}
		if err := linkGameByName(ctx, tx, r.Supplier, r.Code, id, now); err != nil {
			return fmt.Errorf("link game %s/%s: %w", r.Supplier, r.Code, err)
		}
	}
	return nil
}

func linkOffers(ctx context.Context, tx *sqlx.Tx, now string, prefixed map[string]bool) (int, error) {
	offers, err := unlinkedOffers(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("link offers: %w", err)
	}
	if len(offers) == 0 {
		return 0, nil
	}
	// Every item id and match key, to find an offer's item and keep new
	// ids unique without a query per offer.
	type itemKey struct{ game, key string }
	byKey := map[itemKey]string{}
	ids := map[string]bool{}
	err = eachItemKey(ctx, tx, func(id, game, key string) {
		ids[id] = true
		if key != "" {
			byKey[itemKey{game, key}] = id
		}
	})
	if err != nil {
		return 0, fmt.Errorf("link offers: %w", err)
	}
	links := make([]matching.Link, len(offers))
	for i, o := range offers {
		links[i] = matching.Match(o.input(prefixed))
	}
	joins := map[string]bool{} // the existing items new offers may join
	for i, o := range offers {
		if id, ok := byKey[itemKey{o.GameID, links[i].Item}]; ok && links[i].OK {
			joins[id] = true
		}
	}
	ambiguous, skus, err := listingEvidence(ctx, tx, offers, links, joins, prefixed)
	if err != nil {
		return 0, err
	}

	linker, err := prepareOfferLinker(ctx, tx)
	if err != nil {
		return 0, err
	}
	defer linker.Close()

	for i, o := range offers {
		l := links[i]
		key, label, method, conf := l.Item, l.Denomination.Label(), string(l.Method), l.Confidence
		if !l.OK || ambiguous[i] {
			// When in doubt, do not match: the offer is an item of its own
			// and waits for a merchandiser (the review queue says why).
			key, method, conf = "unmatched:"+o.Supplier+":"+o.Code, "unmatched", 0
			label = o.Supplier + ":" + o.Code
		}
		item, found := byKey[itemKey{o.GameID, key}]
		if !found {
			item = uniqueID(ids, ItemID(o.GameID, label))
			if err := linker.createItem(ctx, item, o.GameID, key, o.Name, now); err != nil {
				return 0, fmt.Errorf("create item %s: %w", item, err)
			}
			ids[item] = true
			byKey[itemKey{o.GameID, key}] = item
		}
		if method != "unmatched" && l.SKU != "" {
			// The same SKU at another supplier, for the same item: the
			// strongest evidence there is.
			for _, other := range skus[item] {
				if other.sku == l.SKU && other.supplier != o.Supplier {
					conf, method = max(conf, matching.SameSKU), string(matching.MethodSKU)
				}
			}
			skus[item] = append(skus[item], supplierSKU{o.Supplier, l.SKU})
		}
		// link_review records what linking thought; the queue itself is
		// derived with each snapshot (deriveReview), never read from here.
		review := method == "unmatched" || conf < matching.ReviewBelow
		if err := linker.link(ctx, o.ID, item, method, strconv.FormatFloat(conf, 'f', 2, 64), review, now); err != nil {
			return 0, fmt.Errorf("link offer %s/%s: %w", o.Supplier, o.Code, err)
		}
	}
	return len(offers), nil
}

// linkRow is an offer waiting for its link, or one already linked in the
// same supplier game.
type linkRow struct {
	ID       int64  `db:"id"`
	Supplier string `db:"supplier"`
	Code     string `db:"code"`
	GameCode string `db:"game_code"`
	Name     string `db:"name"`
	GameID   string `db:"game_id"`
	GameName string `db:"game_name"`
	ItemID   string `db:"item_id"`
}

// input is the offer as matching reads it; prefixed are the suppliers
// whose codes begin with their game's code.
func (o linkRow) input(prefixed map[string]bool) matching.Offer {
	return matchInput(o.Supplier, o.GameCode, o.GameName, o.Code, o.Name, prefixed[o.Supplier])
}

type supplierSKU struct{ supplier, sku string }

// listingEvidence reads what the offers linked before say about the new
// ones: which new offers are ambiguous (their supplier game lists their
// item key with two descriptions, counting the offers linked before), and
// the SKUs by supplier of the items they may join (items, by id).
func listingEvidence(ctx context.Context, tx *sqlx.Tx, offers []linkRow, links []matching.Link, items map[string]bool, prefixed map[string]bool) (map[int]bool, map[string][]supplierSKU, error) {
	type listing struct{ supplier, game, key string }
	splits := map[listing]map[string]bool{}
	note := func(o linkRow, l matching.Link) {
		k := listing{o.Supplier, o.GameCode, l.Item}
		if splits[k] == nil {
			splits[k] = map[string]bool{}
		}
		splits[k][l.Denomination.Split()] = true
	}
	games := map[[2]string]bool{}
	for i, o := range offers {
		games[[2]string{o.Supplier, o.GameCode}] = true
		if links[i].OK {
			note(o, links[i])
		}
	}
	var linked []linkRow
	if len(offers) < 1000 {
		// A few new offers: only their supplier games' offers and their
		// items' offers matter.
		for g := range games {
			rows, err := linkedOffersOfGame(ctx, tx, g[0], g[1])
			if err != nil {
				return nil, nil, fmt.Errorf("link offers: %w", err)
			}
			linked = append(linked, rows...)
		}
		for id := range items {
			rows, err := linkedOffersOfItem(ctx, tx, id)
			if err != nil {
				return nil, nil, fmt.Errorf("link offers: %w", err)
			}
			linked = append(linked, rows...)
		}
	} else {
		var err error
		if linked, err = allLinkedOffers(ctx, tx); err != nil {
			return nil, nil, fmt.Errorf("link offers: %w", err)
		}
	}
	skus := map[string][]supplierSKU{}
	seen := map[int64]bool{}
	for _, o := range linked {
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		if games[[2]string{o.Supplier, o.GameCode}] {
			if l := matching.Match(o.input(prefixed)); l.OK {
				note(o, l)
			}
		}
		if items[o.ItemID] {
			code := ""
			if prefixed[o.Supplier] {
				code = o.GameCode
			}
			if sku := matching.SKU(o.Code, code); sku != "" {
				skus[o.ItemID] = append(skus[o.ItemID], supplierSKU{o.Supplier, sku})
			}
		}
	}
	ambiguous := map[int]bool{}
	for i, o := range offers {
		if links[i].OK && len(splits[listing{o.Supplier, o.GameCode, links[i].Item}]) > 1 {
			ambiguous[i] = true
		}
	}
	return ambiguous, skus, nil
}

// ItemID makes an item id from its game and a key or name:
// "mobile-legends.diamonds-86-78-8". A dot, not a slash, joins them so an
// id is one URL path segment.
func ItemID(game, key string) string { return game + "." + slug(key) }

// uniqueID returns id, or id with the first free numeric suffix: ids are
// never reused, even for an item that has lost all its offers.
func uniqueID(taken map[string]bool, id string) string {
	if !taken[id] {
		return id
	}
	for i := 2; ; i++ {
		if c := fmt.Sprintf("%s-%d", id, i); !taken[c] {
			return c
		}
	}
}

// slug lowercases s and joins its runs of ASCII letters and digits with
// single hyphens: "Diamonds:86:78+8" → "diamonds-86-78-8".
func slug(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
			b = append(b, c)
		} else if len(b) > 0 && b[len(b)-1] != '-' {
			b = append(b, '-')
		}
	}
	return strings.TrimRight(string(b), "-")
}
