package catalog

import (
	"errors"
	"slices"
)

// change is what one snapshot version changed for storefronts.
type change struct {
	Version int64
	Items   []string // items whose storefront view changed or vanished
	Games   []string // games whose storefront view changed or vanished
}

// ErrVersionGone: the changes feed no longer reaches back to that version
// (or it is from the future, as after a restore): download everything.
var ErrVersionGone = errors.New("version too old for the changes feed")

// diff lists what next shows storefronts differently from prev.
func diff(prev, next *Snapshot) change {
	var ch change
	if prev == nil {
		return ch
	}
	for id, b := range next.itemBody {
		if pb, ok := prev.itemBody[id]; !ok || pb.ETag != b.ETag {
			ch.Items = append(ch.Items, id)
		}
	}
	for id := range prev.itemBody {
		if _, ok := next.itemBody[id]; !ok {
			ch.Items = append(ch.Items, id)
		}
	}
	for id, b := range next.gameBody {
		if pb, ok := prev.gameBody[id]; !ok || pb.ETag != b.ETag {
			ch.Games = append(ch.Games, id)
		}
	}
	for id := range prev.gameBody {
		if _, ok := next.gameBody[id]; !ok {
			ch.Games = append(ch.Games, id)
		}
	}
	slices.Sort(ch.Items)
	slices.Sort(ch.Games)
	return ch
}

func (ch change) empty() bool { return len(ch.Items) == 0 && len(ch.Games) == 0 }

// record appends a new version's changes to the history. The slice is
// copied, never appended in place: older snapshots hold the previous one.
// With nothing to compare with (the first snapshot since start), the feed
// starts afresh and older versions get ErrVersionGone.
func (c *Catalog) record(prev *Snapshot, ch change) {
	if prev == nil {
		c.history = nil
		return
	}
	h := append(slices.Clone(c.history), ch)
	if len(h) > c.cfg.History {
		h = h[len(h)-c.cfg.History:]
	}
	c.history = h
}

// Changes is the body of GET /v1/catalog/changes: what changed after
// version From up to To, as the current views of the changed games and
// items, and the ids of those that are gone.
type Changes struct {
	From         int64         `json:"from"`
	To           int64         `json:"to"`
	Games        []GameSummary `json:"games"`
	Items        []ItemView    `json:"items"`
	RemovedGames []string      `json:"removed_games"`
	RemovedItems []string      `json:"removed_items"`
}

// ChangesSince reports what changed after version since.
func (s *Snapshot) ChangesSince(since int64) (*Changes, error) {
	out := &Changes{From: since, To: s.Version, Games: []GameSummary{}, Items: []ItemView{},
		RemovedGames: []string{}, RemovedItems: []string{}}
	if since == s.Version {
		return out, nil
	}
	if since > s.Version || len(s.changes) == 0 || since < s.changes[0].Version-1 {
		return nil, ErrVersionGone
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
	}
	for _, id := range sortedKeys(items) {
		if it, ok := s.items[id]; ok {
			out.Items = append(out.Items, itemView(it))
		} else {
			out.RemovedItems = append(out.RemovedItems, id)
		}
	}
	for _, id := range sortedKeys(games) {
		if g, ok := s.gameByID[id]; ok {
			views := make([]ItemView, len(g.Items))
			for i, it := range g.Items {
				views[i] = itemView(it)
			}
			out.Games = append(out.Games, summary(g, views))
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
