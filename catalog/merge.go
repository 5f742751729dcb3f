package catalog

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/matching"
	"github.com/syncd/syncd/rules"
)

// matchingPolicy names the matching policy items.match_key is written in.
// "2" (issue 13): an item is what the player receives, a bonus split is a
// description. A database without it was linked by the policy before,
// whose keys carried the split ("diamonds:86:78+8").
const matchingPolicy = "2"

// MergeReport says what ApplyMatchingPolicy changed.
type MergeReport struct {
	// Rekeyed counts items whose match key changed.
	Rekeyed int
	// Merged lists the items merged into an older one.
	Merged []ItemMerge
	// Relinked counts offers that were waiting unmatched and now read.
	Relinked int
	// Rules lists the rules retargeted from an alias to its item.
	Rules []string
	// Flagged lists the rules left naming an alias, because the item has
	// an equally specific rule of its own: a merchandiser decides.
	Flagged []string
}

// ItemMerge is one item merged into another.
type ItemMerge struct {
	Alias, Item, Key string
}

// ApplyMatchingPolicy brings a database linked under an older matching
// policy to the current one, once, at start-up, after the migrations (it
// needs the parser, so it is Go, not SQL). Every automatic item gets the
// key the current policy gives its offers; items that now have the same
// key in a game merge: the oldest keeps its id, the others become aliases
// (item_aliases) whose offers move to it. Where one supplier game lists
// two descriptions of the key (a bare total and a split of it), nothing is
// merged: the review queue shows them. Rules that named an alias are
// retargeted to its item (versioned and audited like any edit) unless the
// item has an equally specific rule, in which case they are left and
// reported. Running it again changes nothing.
func (c *Catalog) ApplyMatchingPolicy(ctx context.Context) (MergeReport, error) {
	var rep MergeReport
	policy, err := storedMatchingPolicy(ctx, c.db.Read)
	if err != nil {
		return rep, fmt.Errorf("matching policy: %w", err)
	}
	if policy != matchingPolicy {
		tx, err := c.db.Write.BeginTxx(ctx, nil)
		if err != nil {
			return rep, fmt.Errorf("matching policy: begin: %w", err)
		}
		defer tx.Rollback()
		if err := rekeyItems(ctx, tx, syncd.FormatTime(c.now()), c.cfg.PrefixedCodes, &rep); err != nil {
			return rep, err
		}
		if err := qualifyGameNames(ctx, tx, syncd.FormatTime(c.now())); err != nil {
			return rep, err
		}
		if err := tx.Commit(); err != nil {
			return rep, fmt.Errorf("matching policy: commit: %w", err)
		}
	}
	// Rules follow the aliases whenever this runs: a crash between the
	// merge and the rules leaves nothing behind.
	if err := c.retargetRules(ctx, &rep); err != nil {
		return rep, err
	}
	if policy != matchingPolicy {
		if err := storeMatchingPolicy(ctx, c.db.Write, matchingPolicy); err != nil {
			return rep, fmt.Errorf("matching policy: %w", err)
		}
	}
	if len(rep.Merged) > 0 || rep.Rekeyed > 0 || len(rep.Rules) > 0 || len(rep.Flagged) > 0 {
		c.log.Info("matching policy applied", "policy", matchingPolicy, "rekeyed", rep.Rekeyed, "merged", len(rep.Merged),
			"relinked", rep.Relinked, "rules", len(rep.Rules), "rules_flagged", len(rep.Flagged))
	}
	for _, id := range rep.Flagged {
		c.log.Warn("rule names a merged item and was left: its item has an equally specific rule", "rule", id)
	}
	return rep, nil
}

type rekeyItem struct {
	ID        string `db:"id"`
	GameID    string `db:"game_id"`
	MatchKey  string `db:"match_key"`
	CreatedAt string `db:"created_at"`
}

type rekeyOffer struct {
	ID       int64  `db:"id"`
	Supplier string `db:"supplier"`
	Code     string `db:"code"`
	GameCode string `db:"game_code"`
	Name     string `db:"name"`
	GameName string `db:"game_name"`
	ItemID   string `db:"item_id"`
	Method   string `db:"link_method"`
	Manual   bool   `db:"link_manual"`
}

// legacySplit is the bonus split policy 1 kept in a key ("diamonds:86:78+8").
var legacySplit = regexp.MustCompile(`:\d+\+\d+`)

func rekeyItems(ctx context.Context, tx *sqlx.Tx, now string, prefixed map[string]bool, rep *MergeReport) error {
	items, err := keyedItems(ctx, tx)
	if err != nil {
		return fmt.Errorf("matching policy: items: %w", err)
	}
	offers, err := itemOffers(ctx, tx)
	if err != nil {
		return fmt.Errorf("matching policy: offers: %w", err)
	}
	byItem := map[string][]rekeyOffer{}
	for _, o := range offers {
		byItem[o.ItemID] = append(byItem[o.ItemID], o)
	}

	// The key each automatic item has under the current policy, from what
	// its automatic offers read now; without any, from its old key.
	type keyed struct {
		item   rekeyItem
		key    string
		splits map[[2]string][]string // supplier game → descriptions of the key
		relink []relink               // unmatched offers that now read
	}
	groups := map[[2]string][]*keyed{} // game, key
	var rekeyed []*keyed
	for _, it := range items {
		k := &keyed{item: it, splits: map[[2]string][]string{}}
		var keys []string
		for _, o := range byItem[it.ID] {
			if o.Manual {
				continue
			}
			l := matching.Match(matchInput(o.Supplier, o.GameCode, o.GameName, o.Code, o.Name, prefixed[o.Supplier]))
			if !l.OK {
				keys = append(keys, "")
				continue
			}
			keys = append(keys, l.Item)
			lst := [2]string{o.Supplier, o.GameCode}
			if s := l.Denomination.Split(); !slices.Contains(k.splits[lst], s) {
				k.splits[lst] = append(k.splits[lst], s)
			}
			if o.Method == "unmatched" {
				k.relink = append(k.relink, relink{o.ID, string(l.Method), l.Confidence})
			}
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		switch {
		case len(keys) == 0 && strings.HasPrefix(it.MatchKey, "unmatched:"):
			k.key = it.MatchKey
		case len(keys) == 0:
			k.key = legacySplit.ReplaceAllString(it.MatchKey, "")
		case len(keys) == 1 && keys[0] != "":
			k.key = keys[0]
		case strings.HasPrefix(it.MatchKey, "unmatched:"):
			k.key, k.relink = it.MatchKey, nil // still not readable
		default:
			k.key = "" // its offers now read as different items: review shows them
		}
		if k.key != "" {
			g := [2]string{it.GameID, k.key}
			groups[g] = append(groups[g], k)
		}
		rekeyed = append(rekeyed, k)
	}

	// Merge each group into its oldest item, unless one supplier game
	// describes the key two ways: then only the oldest keeps the key.
	type merge struct{ alias, item, key string }
	var merges []merge
	merged := map[string]bool{}
	final := map[string]string{} // item → its key after this
	for _, k := range rekeyed {
		final[k.item.ID] = k.key
	}
	for g, list := range groups {
		slices.SortFunc(list, func(a, b *keyed) int {
			return cmp.Or(cmp.Compare(a.item.CreatedAt, b.item.CreatedAt), cmp.Compare(a.item.ID, b.item.ID))
		})
		ambiguous := false
		splits := map[[2]string][]string{}
		for _, k := range list {
			for lst, ss := range k.splits {
				for _, s := range ss {
					if !slices.Contains(splits[lst], s) {
						splits[lst] = append(splits[lst], s)
					}
				}
				ambiguous = ambiguous || len(splits[lst]) > 1
			}
		}
		for _, k := range list[1:] {
			final[k.item.ID] = ""
			if !ambiguous {
				merges = append(merges, merge{k.item.ID, list[0].item.ID, g[1]})
				merged[k.item.ID] = true
			}
		}
	}
	slices.SortFunc(merges, func(a, b merge) int { return cmp.Compare(a.alias, b.alias) })

	// Keys are unique per game: free every changing key, then set them.
	for _, k := range rekeyed {
		if final[k.item.ID] == k.item.MatchKey {
			continue
		}
		rep.Rekeyed++
		if err := clearMatchKey(ctx, tx, k.item.ID, now); err != nil {
			return fmt.Errorf("matching policy: rekey %s: %w", k.item.ID, err)
		}
	}
	for _, m := range merges {
		if err := mergeItemInto(ctx, tx, m.alias, m.item, now); err != nil {
			return fmt.Errorf("matching policy: merge %s into %s: %w", m.alias, m.item, err)
		}
		if err := recordAlias(ctx, tx, m.alias, m.item, m.key, now); err != nil {
			return fmt.Errorf("matching policy: alias %s: %w", m.alias, err)
		}
		rep.Merged = append(rep.Merged, ItemMerge{Alias: m.alias, Item: m.item, Key: m.key})
	}
	for _, k := range rekeyed {
		key := final[k.item.ID]
		if key != k.item.MatchKey && key != "" {
			if err := setMatchKey(ctx, tx, k.item.ID, key); err != nil {
				return fmt.Errorf("matching policy: rekey %s: %w", k.item.ID, err)
			}
		}
		if key == "" && !merged[k.item.ID] || strings.HasPrefix(k.key, "unmatched:") {
			continue // an offer that reads now, in a listing that is ambiguous: it stays for review
		}
		for _, r := range k.relink {
			if err := relinkOffer(ctx, tx, r.offer, r.method, strconv.FormatFloat(r.confidence, 'f', 2, 64), now); err != nil {
				return fmt.Errorf("matching policy: relink offer %d: %w", r.offer, err)
			}
			rep.Relinked++
		}
	}
	return nil
}

type relink struct {
	offer      int64
	method     string
	confidence float64
}

// retargetRules moves every live rule that names an alias to the item the
// alias merged into, unless that item has an equally specific rule for
// the same supplier and tier (two such rules are refused at save time; a
// merge must not make one silently). The edit is a versioned, audited
// update by "syncd".
func (c *Catalog) retargetRules(ctx context.Context, rep *MergeReport) error {
	aliases, err := itemAliases(ctx, c.db.Read)
	if err != nil {
		return fmt.Errorf("matching policy: aliases: %w", err)
	}
	if len(aliases) == 0 {
		return nil
	}
	to := map[string]string{}
	for _, a := range aliases {
		to[a.Alias] = a.Item
	}
	list, err := c.rules.List(ctx)
	if err != nil {
		return err
	}
	for _, r := range list {
		item, ok := to[r.Match.Item]
		if !ok {
			continue
		}
		moved := r
		moved.Match.Item = item
		if moved.Match.Game != "" {
			moved.Match.Game = gameOf(item) // a game link merges across games
		}
		clash := slices.ContainsFunc(list, func(o rules.Rule) bool {
			if o.ID == r.ID || !o.Enabled || !moved.Enabled || o.Match.Item != item ||
				o.Match.Supplier != moved.Match.Supplier || o.Match.Tier != moved.Match.Tier {
				return false
			}
			n, _ := rules.Compare(moved, o)
			return n == 0
		})
		if clash {
			rep.Flagged = append(rep.Flagged, r.ID)
			continue
		}
		if _, err := c.rules.Update(ctx, moved, r.Version, "syncd: item "+r.Match.Item+" merged into "+item); err != nil {
			return fmt.Errorf("matching policy: retarget rule %s: %w", r.ID, err)
		}
		rep.Rules = append(rep.Rules, r.ID)
	}
	return nil
}

// qualifyGameNames gives back the region or "Global" that display names
// used to drop with brackets ("PUBG Mobile (Global) [PROMO]" was shown as
// "PUBG Mobile", the name of another game). Games are named after the
// supplier games matching put there: one a person linked in (or split
// out, under a name chosen unique) does not rename its game.
func qualifyGameNames(ctx context.Context, tx *sqlx.Tx, now string) error {
	rows, err := matchedGameNames(ctx, tx)
	if err != nil {
		return fmt.Errorf("matching policy: game names: %w", err)
	}
	for _, r := range rows {
		if want := matching.DisplayName(r.Supplier); want != r.Name && strings.HasPrefix(want, r.Name+" (") {
			if err := renameGame(ctx, tx, r.ID, want, now); err != nil {
				return fmt.Errorf("matching policy: rename game %s: %w", r.ID, err)
			}
		}
	}
	return nil
}
