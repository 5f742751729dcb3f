package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/rules"
)

// benchRules measures issue 4's targets on the merged catalog: a full
// reprice with 200 rules in 3 tiers, a rule edit scoped to one game, and
// the preview of a global change.
func benchRules(ctx context.Context, w io.Writer, merged *catalog.Catalog, mem *memMeter) error {
	store := merged.Rules()
	for _, t := range []rules.Tier{{ID: "member", Name: "Members"}, {ID: "reseller", Name: "Resellers"}} {
		if _, err := store.CreateTier(ctx, t); err != nil {
			return err
		}
	}
	snap := merged.Snapshot()
	games := snap.GameList()
	if len(games) < 200 {
		return fmt.Errorf("bench catalog has %d games, want at least 200", len(games))
	}
	// 200 rules that lint accepts: a markup per game for 150 games, a
	// member markup for 10 of them, and a cost-plus for one item in each
	// of 40 other games.
	var list []rules.Rule
	for i, g := range games[:150] {
		list = append(list, benchRule(fmt.Sprintf(`{"name": "game %d", "match": {"game": %q},
			"action": {"kind": "markup_percent", "value": "%d.5", "plus": 0},
			"round": {"step": 100, "mode": "up", "ending": 0}, "guard": {"min_margin_amount": 200}}`, i, g.ID, 3+i%8)))
	}
	for i, g := range games[:10] {
		list = append(list, benchRule(fmt.Sprintf(`{"name": "member %d", "match": {"game": %q, "tier": "member"},
			"action": {"kind": "markup_percent", "value": "2", "plus": 0}}`, i, g.ID)))
	}
	for i, g := range games[150:190] {
		list = append(list, benchRule(fmt.Sprintf(`{"name": "item %d", "match": {"item": %q},
			"action": {"kind": "cost_plus", "value": "1000", "plus": 0}, "round": {"step": 500, "mode": "nearest", "ending": 0}}`, i, g.Items[0].ID)))
	}
	for _, r := range list {
		if _, err := store.Create(ctx, r, "bench"); err != nil {
			return err
		}
	}
	// The edit below: a rule on one game of about 1,000 items, not yet
	// ruled. Chosen now, and the game list let go: held, it would keep
	// this snapshot's items alive through every later phase, and in its
	// memory figures.
	var target *catalog.Game
	for _, g := range games[190:] {
		if target == nil || abs(len(g.Items)-1000) < abs(len(target.Items)-1000) {
			target = g
		}
	}
	targetID, targetItems := target.ID, len(target.Items)
	target, games, snap = nil, nil, nil

	end := mem.phase("first refresh, 3 tiers and rules")
	t0 := time.Now()
	if _, err := merged.Refresh(ctx); err != nil {
		return err
	}
	firstRules := time.Since(t0)
	if err := end(); err != nil {
		return err
	}
	// Again: the first one also stored the two new tiers' 160,000 prices.
	end = mem.phase("refresh, 3 tiers and rules")
	t0 = time.Now()
	snap, err := merged.Refresh(ctx)
	if err != nil {
		return err
	}
	full := time.Since(t0)
	if err := end(); err != nil {
		return err
	}

	edit := benchRule(fmt.Sprintf(`{"name": "edit", "match": {"game": %q},
		"action": {"kind": "markup_percent", "value": "6", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`, targetID))
	before := snap.Version
	end = mem.phase("rule edit on one game")
	served := make(chan time.Duration, 1)
	t0 = time.Now()
	go func() {
		for merged.Snapshot().Version == before {
			time.Sleep(50 * time.Microsecond)
		}
		served <- time.Since(t0)
	}()
	if _, _, err := merged.SaveRule(ctx, catalog.RuleChange{Op: "create", Rule: edit}, "bench"); err != nil {
		return err
	}
	saved := time.Since(t0)
	toServed := <-served
	if err := end(); err != nil {
		return err
	}

	global := benchRule(`{"name": "global", "action": {"kind": "markup_percent", "value": "4", "plus": 0}}`)
	end = mem.phase("preview of a global rule")
	t0 = time.Now()
	imp, err := merged.Preview(ctx, []catalog.RuleChange{{Op: "create", Rule: global}})
	if err != nil {
		return err
	}
	preview := time.Since(t0)
	if err := end(); err != nil {
		return err
	}

	fmt.Fprintf(w, "\nMargin rules: %d items, tiers %v, %d rules\n", snap.ItemCount(), snap.Tiers(), len(list))
	fmt.Fprintf(w, "  first refresh with the rules and tiers (also stores every new tier price)  %s\n", firstRules.Round(time.Millisecond))
	fmt.Fprintf(w, "  refresh with rules (load, choose, price %d item-tiers, encode)  %s\n", snap.ItemCount()*len(snap.Tiers()), full.Round(time.Millisecond))
	fmt.Fprintf(w, "  rule edit on %s (%d items): save to new snapshot served   %s  (save call returned after %s, incl. price history)\n",
		targetID, targetItems, toServed.Round(time.Microsecond), saved.Round(time.Microsecond))
	fmt.Fprintf(w, "  preview of a global rule (%d item-tiers reached, %d changed)  %s\n", imp.Priced, imp.Changed, preview.Round(time.Millisecond))
	return nil
}

func benchRule(js string) rules.Rule {
	r, err := rules.Decode([]byte(js))
	if err != nil {
		panic(fmt.Sprintf("bench rule %s: %v", js, err))
	}
	return r
}

func abs(n int) int { return max(n, -n) }
