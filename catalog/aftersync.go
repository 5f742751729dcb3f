package catalog

import (
	"context"
	"slices"
	"time"

	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/rules"
)

// AfterSync brings the catalog up to date after a sync of one supplier.
// When the sync only changed costs or activity of offers syncd already
// links, and no supplier's health moved across the line of what may be
// sold, only the games of those offers are reloaded, rechosen and
// repriced; every other game's entry is shared with the current snapshot.
// A failed sync changed nothing stored: unless it moved its supplier
// across that line (credentials refused, data now stale), it only
// records the supplier's health (degraded) in a snapshot that shares
// every game. Anything else (new offers to link, a changed supplier game,
// a supplier going stale, refused or recovering, a rule change whose
// reprice failed) rebuilds everything.
func (c *Catalog) AfterSync(ctx context.Context, res offers.SyncResult) (*Snapshot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.current.Load()
	if prev == nil || c.rulesOwed || res.Added > 0 || res.GamesChanged > 0 {
		return c.refreshLocked(ctx, "sync")
	}
	health, err := c.loadHealth(ctx)
	if err != nil {
		return nil, err
	}
	now := c.now()
	for name, h := range health {
		if c.sellable(prev.health[name], prev.pricedAt) != c.sellable(h, now) {
			return c.refreshLocked(ctx, "sync")
		}
	}
	games := map[string]bool{}
	for _, id := range res.CostChanged {
		item, ok := prev.offerItem[id]
		if !ok {
			return c.refreshLocked(ctx, "sync")
		}
		games[gameOf(item)] = true
	}
	snap, err := c.repriceGamesLocked(ctx, prev, games, health, now, "sync")
	if err != nil {
		return nil, err
	}
	c.log.Info("catalog repriced after sync", "supplier", res.Supplier, "version", snap.Version,
		"games", len(games), "offers", len(res.CostChanged), "duration", c.now().Sub(now))
	return snap, nil
}

// repriceGamesLocked reloads, rechooses and reprices the given games and
// publishes a snapshot derived from prev; every other game's entry is
// shared.
func (c *Catalog) repriceGamesLocked(ctx context.Context, prev *Snapshot, games map[string]bool,
	health map[string]offers.Health, now time.Time, cause string) (*Snapshot, error) {
	ids := make([]string, 0, len(games))
	for g := range games {
		ids = append(ids, g)
	}
	slices.Sort(ids)
	in, err := c.load(ctx, ids)
	if err != nil {
		return nil, err
	}
	items, gameMap, set, err := c.chooseAndPrice(ctx, in, prev.tiers, now)
	if err != nil {
		return nil, err
	}
	changed := make(map[string]*Game, len(ids))
	for _, id := range ids {
		if g := gameMap[id]; g != nil {
			g.Items = nil
			changed[id] = g
		} else {
			changed[id] = nil
		}
	}
	for _, it := range items {
		if g := changed[it.GameID]; g != nil {
			g.Items = append(g.Items, it)
		}
	}
	return c.publishDerived(ctx, prev, changed, in, set, health, now, cause)
}

// repriceItemsLocked reprices the given items, which a cost webhook moved,
// and publishes a snapshot derived from prev in which their games keep
// every other item as prev serves it: a cost moves only its offer's item
// (which offer sells it, at what price), and reading and choosing a whole
// game for each delivery was most of a webhook's time. Their games' forms
// and settings are read afresh, as a game's reprice does. Where the items
// do not fit prev's games (an item prev does not serve, a game gone,
// deposits moved), their games are repriced whole. However many items a
// batch moves, they are read by id: falling back to whole games when
// deliveries pile up would make each batch slower than the one before.
func (c *Catalog) repriceItemsLocked(ctx context.Context, prev *Snapshot, items map[string]bool,
	health map[string]offers.Health, now time.Time, cause string) (*Snapshot, error) {
	games := map[string]bool{}
	ids := make([]string, 0, len(items))
	whole := false
	for id := range items {
		g := gameOf(id)
		games[g] = true
		ids = append(ids, id)
		if pe := prev.gameByID[g]; pe == nil {
			whole = true
		} else if _, ok := pe.find(id); !ok {
			whole = true
		}
	}
	if whole {
		return c.repriceGamesLocked(ctx, prev, games, health, now, cause)
	}
	gameIDs := sortedKeys(games)
	slices.Sort(ids)
	in, err := c.loadItems(ctx, gameIDs, ids)
	if err != nil {
		return nil, err
	}
	fresh, gameMap, set, err := c.chooseAndPrice(ctx, in, prev.tiers, now)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Item, len(fresh))
	for _, it := range fresh {
		byID[it.ID] = it
	}
	changed := make(map[string]*Game, len(gameIDs))
	for _, id := range gameIDs {
		g := gameMap[id]
		if g == nil {
			// Gone since prev: reprice it whole, as a game reprice would
			// drop it.
			return c.repriceGamesLocked(ctx, prev, games, health, now, cause)
		}
		pe := prev.gameByID[id]
		if pb := pe.game.bal; pb != nil && pb.view != g.bal.view {
			// The deposits moved since prev chose this game's items:
			// choose them all with the new ones.
			return c.repriceGamesLocked(ctx, prev, games, health, now, cause)
		}
		g.Items = make([]*Item, 0, len(pe.game.Items))
		for _, it := range pe.game.Items {
			switch {
			case byID[it.ID] != nil:
				g.Items = append(g.Items, byID[it.ID])
			case !items[it.ID]:
				g.Items = append(g.Items, it) // shared with prev: never written
			}
			// A moved item with no offer left has no entry, as in a
			// game's reprice.
		}
		changed[id] = g
	}
	return c.publishDerived(ctx, prev, changed, in, set, health, now, cause)
}

// chooseAndPrice chooses the loaded items' offers, remembers the choices
// that moved, and prices the items in tiers with the stored rules as of
// now.
func (c *Catalog) chooseAndPrice(ctx context.Context, in *input, tiers []string, now time.Time) ([]*Item, map[string]*Game, *rules.Set, error) {
	items, games := c.choose(in)
	if err := c.rememberChoices(ctx, in, items); err != nil {
		return nil, nil, nil, err
	}
	set, err := c.ruleSet(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	c.price(items, tiers, set, now)
	return items, games, set, nil
}

// publishDerived publishes prev with the changed games replaced, priced
// with set as of now.
func (c *Catalog) publishDerived(ctx context.Context, prev *Snapshot, changed map[string]*Game, in *input, set *rules.Set,
	health map[string]offers.Health, now time.Time, cause string) (*Snapshot, error) {
	snap, err := deriveGames(prev, changed, deactivatedGames(in))
	if err != nil {
		return nil, err
	}
	snap.rules, snap.pricedAt, snap.floor, snap.health = set, now, c.cfg.Floor, health
	if err := c.publish(ctx, snap, cause, now); err != nil {
		return nil, err
	}
	return snap, nil
}
