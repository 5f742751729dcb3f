package catalog

import (
	"bytes"
	"slices"

	"github.com/syncd/syncd/internal/fault"
)

// change is what one snapshot version changed for storefronts.
type change struct {
	Version int64
	Base    int64    // the version it was measured from; -1 for none
	Items   []string // items whose storefront view changed or vanished
	Games   []string // games whose storefront view changed or vanished
	Merged  []string // item ids that became aliases, or whose alias moved
}

// ErrVersionGone: the changes feed no longer reaches back to that version
// (or it is from the future, as after a restore): download everything.
var ErrVersionGone = fault.New(fault.VersionGone, "version too old for the changes feed")

// diff lists what next shows storefronts differently from prev, in any
// tier. Game entries shared between the two are skipped unread.
func diff(prev, next *Snapshot) change {
	var ch change
	if prev == nil {
		return ch
	}
	items := map[string]bool{}
	for id, e := range next.gameByID {
		pe, ok := prev.gameByID[id]
		if ok && pe == e {
			continue
		}
		if !ok {
			ch.Games = append(ch.Games, id)
			for _, it := range e.game.Items {
				items[it.ID] = true
			}
			continue
		}
		gameChanged := pe.hidden != e.hidden // listed or not
		for _, tier := range next.tiers {
			v, pv := e.views[tier], pe.views[tier]
			if v == pv {
				continue // shared: the same bytes
			}
			if pv == nil || pv.body.ETag != v.body.ETag {
				gameChanged = true
			}
			for i, it := range e.game.Items {
				if pv == nil {
					items[it.ID] = true
					continue
				}
				if j, ok := pe.find(it.ID); !ok || !bytes.Equal(pv.item(j), v.item(i)) {
					items[it.ID] = true
				}
			}
		}
		for _, it := range pe.game.Items {
			if _, ok := e.find(it.ID); !ok {
				items[it.ID] = true
			}
		}
		if gameChanged {
			ch.Games = append(ch.Games, id)
		}
	}
	for id, pe := range prev.gameByID {
		if _, ok := next.gameByID[id]; !ok {
			ch.Games = append(ch.Games, id)
			for _, it := range pe.game.Items {
				items[it.ID] = true
			}
		}
	}
	ch.Items = sortedKeys(items)
	slices.Sort(ch.Games)
	for alias, into := range next.aliases {
		if prev.aliases[alias] != into {
			ch.Merged = append(ch.Merged, alias)
		}
	}
	slices.Sort(ch.Merged)
	return ch
}

func (ch change) empty() bool { return len(ch.Items) == 0 && len(ch.Games) == 0 && len(ch.Merged) == 0 }

// Changes is the body of GET /v1/catalog/changes: what changed after
// version From up to To, as the current views of the changed games and
// items, the ids of those that are gone, and the items merged into
// another (their ids are gone too, and answer as the item they merged
// into).
type Changes struct {
	From         int64         `json:"from"`
	To           int64         `json:"to"`
	Games        []GameSummary `json:"games"`
	Items        []ItemView    `json:"items"`
	RemovedGames []string      `json:"removed_games"`
	RemovedItems []string      `json:"removed_items"`
	Merged       []Merge       `json:"merged"`
}

// Merge is an item id that now names another item: an alias.
type Merge struct {
	Item string `json:"item"`
	Into string `json:"into"`
}

// ChangesSince reports what changed after version since, as the tier's
// storefronts see it.
func (s *Snapshot) ChangesSince(since int64, tier string) (*Changes, error) {
	out := &Changes{From: since, To: s.Version, Games: []GameSummary{}, Items: []ItemView{},
		RemovedGames: []string{}, RemovedItems: []string{}, Merged: []Merge{}}
	if since == s.Version {
		return out, nil
	}
	if since > s.Version || len(s.changes) == 0 || since < s.changes[0].Version-1 {
		return nil, ErrVersionGone
	}
	// Each change lists what differs from its base. Two instances may
	// measure from the same base (both published before either saw the
	// other's version); the union still holds every difference since
	// since only while no change's base is older than since.
	for _, ch := range s.changes {
		if ch.Version > since && ch.Base < since {
			return nil, ErrVersionGone
		}
	}
	items, games := map[string]bool{}, map[string]bool{}
	for _, ch := range s.changes {
		if ch.Version <= since {
			continue
		}
		for _, id := range ch.Items {
			items[id] = true
		}
		for _, id := range ch.Games {
			games[id] = true
		}
		for _, id := range ch.Merged {
			items[id] = true
		}
	}
	for _, id := range sortedKeys(items) {
		// An alias is gone as an item of its own: Item would answer with
		// the item it merged into, which is listed under its own id.
		if into := s.Canonical(id); into != id {
			out.RemovedItems = append(out.RemovedItems, id)
			out.Merged = append(out.Merged, Merge{Item: id, Into: into})
		} else if it, ok := s.Item(id); ok {
			out.Items = append(out.Items, itemView(it, tier))
		} else {
			out.RemovedItems = append(out.RemovedItems, id)
		}
	}
	for _, id := range sortedKeys(games) {
		if e, ok := s.gameByID[id]; ok {
			out.Games = append(out.Games, e.views[tier].summary)
		} else {
			out.RemovedGames = append(out.RemovedGames, id)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
