package catalog

import (
	"context"
	"fmt"
	"slices"

	"github.com/syncd/syncd/rules"
)

// RuleChange is one proposed change to the rules: create (Rule without an
// id), update (Rule with its id, at Version) or delete (ID at Version).
type RuleChange struct {
	Op      string     // create | update | delete
	Rule    rules.Rule // for create and update
	ID      string     // for delete
	Version int64      // the version the merchandiser read, for update and delete
}

// apply returns the rule list with the changes made, and the rules they
// touch, old and new versions both: every item either can match may get
// a new price.
func apply(current []rules.Rule, changes []RuleChange) ([]rules.Rule, []rules.Rule, error) {
	out := slices.Clone(current)
	var touched []rules.Rule
	find := func(id string) int {
		return slices.IndexFunc(out, func(r rules.Rule) bool { return r.ID == id })
	}
	for i, ch := range changes {
		switch ch.Op {
		case "create":
			r := ch.Rule
			if r.ID == "" {
				r.ID = fmt.Sprintf("proposed-%d", i+1)
			}
			out = append(out, r)
			touched = append(touched, r)
		case "update":
			j := find(ch.Rule.ID)
			if j < 0 {
				return nil, nil, fmt.Errorf("rule %s: %w", ch.Rule.ID, rules.ErrNotFound)
			}
			touched = append(touched, out[j], ch.Rule)
			out[j] = ch.Rule
		case "delete":
			j := find(ch.ID)
			if j < 0 {
				return nil, nil, fmt.Errorf("rule %s: %w", ch.ID, rules.ErrNotFound)
			}
			touched = append(touched, out[j])
			out = slices.Delete(out, j, j+1)
		default:
			return nil, nil, fmt.Errorf("%w: op %q is not create, update or delete", ErrInvalid, ch.Op)
		}
	}
	return out, touched, nil
}

// subjectsReachedBy lists the subjects of the games any of touched can
// match.
func (s *Snapshot) subjectsReachedBy(touched []rules.Rule) []rules.Subject {
	var out []rules.Subject
	for _, e := range s.games {
		if reaches(touched, e.game, s.tiers) {
			for _, it := range e.game.Items {
				out = append(out, subject(it, ""))
			}
		}
	}
	return out
}

// concerning keeps the findings that name one of the touched rules (or a
// rule not saved yet, id "").
func concerning(f rules.Findings, touched []rules.Rule) rules.Findings {
	ids := map[string]bool{"": true}
	for _, r := range touched {
		ids[r.ID] = true
	}
	keep := func(list []rules.Finding) []rules.Finding {
		out := []rules.Finding{}
		for _, x := range list {
			if slices.ContainsFunc(x.Rules, func(id string) bool { return ids[id] }) {
				out = append(out, x)
			}
		}
		return out
	}
	return rules.Findings{Errors: keep(f.Errors), Warnings: keep(f.Warnings)}
}

// subjects lists every (game, item, supplier) the snapshot prices, for lint.
func (s *Snapshot) subjects() []rules.Subject {
	out := make([]rules.Subject, 0, s.items)
	for _, e := range s.games {
		for _, it := range e.game.Items {
			out = append(out, subject(it, ""))
		}
	}
	return out
}

// SaveRule makes one rule change: it validates, lints the whole proposed
// rule set against today's catalog (refusing a conflict), stores the
// change with its audit entry, and reprices only the games the old and new
// versions of the rule can reach. It returns the rule as stored and the
// lint warnings. An error means nothing was stored: once the change is
// stored, a reprice that fails is logged and left to the next rebuild,
// which is then a full one (a caller told the save failed would retry
// it, and create the rule twice).
func (c *Catalog) SaveRule(ctx context.Context, ch RuleChange, actor string) (rules.Rule, rules.Findings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch.Op != "delete" {
		if err := validateRule(ch.Rule); err != nil {
			return rules.Rule{}, rules.Findings{}, err
		}
	}
	current, err := c.rules.List(ctx)
	if err != nil {
		return rules.Rule{}, rules.Findings{}, err
	}
	proposed, touched, err := apply(current, []RuleChange{ch})
	if err != nil {
		return rules.Rule{}, rules.Findings{}, err
	}
	snap := c.current.Load()
	tiers, err := c.tiers(ctx)
	if err != nil {
		return rules.Rule{}, rules.Findings{}, err
	}
	// Lint against the items the changed rule can reach, and keep what
	// concerns it: the rest of the rule set was linted when it was saved,
	// and scanning the whole catalog on every edit would cost more than
	// the reprice.
	var subjects []rules.Subject
	if snap != nil {
		subjects = snap.subjectsReachedBy(touched)
	}
	findings := concerning(rules.Lint(proposed, subjects, tiers, c.now()), touched)
	if err := findings.Err(); err != nil {
		return rules.Rule{}, findings, err
	}
	var saved rules.Rule
	switch ch.Op {
	case "create":
		saved, err = c.rules.Create(ctx, ch.Rule, actor)
	case "update":
		saved, err = c.rules.Update(ctx, ch.Rule, ch.Version, actor)
	case "delete":
		saved, err = c.rules.Delete(ctx, ch.ID, ch.Version, actor)
	}
	if err != nil {
		return rules.Rule{}, findings, err
	}
	// The stored rules are proposed with the saved rule's id and version:
	// compile them here rather than read them back.
	final := slices.Clone(proposed)
	switch ch.Op {
	case "create":
		final[len(final)-1] = saved
		touched = []rules.Rule{saved}
	case "update":
		final[slices.IndexFunc(final, func(r rules.Rule) bool { return r.ID == saved.ID })] = saved
	}
	set, err := rules.NewSet(final)
	if err == nil {
		err = c.repriceLocked(ctx, set, touched, "rule:"+saved.ID)
	}
	if err != nil {
		c.rulesOwed = true
		c.log.Error("rule saved; reprice failed, the next rebuild prices with it", "rule", saved.ID, "op", ch.Op, "err", err)
	}
	return saved, findings, nil
}

// repriceLocked reprices the items any of touched can match, in every
// tier, and publishes a snapshot derived from the current one: games no
// rule reaches keep their entries, so a rule on one game of a large
// catalog costs that game alone.
func (c *Catalog) repriceLocked(ctx context.Context, set *rules.Set, touched []rules.Rule, cause string) error {
	prev := c.current.Load()
	if prev == nil {
		_, err := c.refreshLocked(ctx, cause)
		return err
	}
	now := c.now()
	changed := map[string]*Game{}
	for _, e := range prev.games {
		if !reaches(touched, e.game, prev.tiers) {
			continue
		}
		g := *e.game
		g.Items = make([]*Item, len(e.game.Items))
		for i, it := range e.game.Items {
			cp := *it // the previous snapshot's items are never modified
			priceItem(&cp, prev.tiers, set, now, c.cfg.Floor)
			g.Items[i] = &cp
		}
		changed[g.ID] = &g
	}
	snap, err := derive(prev, changed)
	if err != nil {
		return err
	}
	snap.rules, snap.pricedAt, snap.floor = set, now, c.cfg.Floor
	if err := c.publish(ctx, snap, cause, now); err != nil {
		return err
	}
	c.log.Info("catalog repriced", "version", snap.Version, "games", len(changed), "cause", cause,
		"duration", c.now().Sub(now))
	return nil
}

// reaches reports whether any rule can match an item of game g in a tier.
func reaches(touched []rules.Rule, g *Game, tiers []string) bool {
	for _, r := range touched {
		if r.Match.Game != "" && r.Match.Game != g.ID {
			continue
		}
		if r.Match.Item != "" && gameOf(r.Match.Item) != g.ID {
			continue
		}
		for _, it := range g.Items {
			for _, tier := range tiers {
				if rules.Matches(r, subject(it, tier)) {
					return true
				}
			}
		}
	}
	return false
}
