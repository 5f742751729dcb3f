package catalog

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/pricing"
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
// lint warnings.
func (c *Catalog) SaveRule(ctx context.Context, ch RuleChange, actor string) (rules.Rule, rules.Findings, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch.Op != "delete" {
		if err := ch.Rule.Validate(); err != nil {
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
	if err != nil {
		return saved, findings, err
	}
	if err := c.repriceLocked(ctx, set, touched, "rule:"+saved.ID); err != nil {
		return saved, findings, err
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
	if err := c.publish(ctx, snap, cause); err != nil {
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

// Impact is what a proposed rule change would do to prices, computed
// without saving anything.
type Impact struct {
	Priced           int            `json:"priced"` // (item, tier) pairs the change can reach
	Changed          int            `json:"changed"`
	Up               int            `json:"up"`
	Down             int            `json:"down"`
	NewlyBlocked     []ImpactItem   `json:"newly_blocked"`
	Unblocked        []ImpactItem   `json:"unblocked"`
	LargestIncreases []ImpactItem   `json:"largest_increases"`
	LargestDecreases []ImpactItem   `json:"largest_decreases"`
	MarginBefore     string         `json:"margin_percent_before"` // realised margin over the reached pairs
	MarginAfter      string         `json:"margin_percent_after"`
	Lint             rules.Findings `json:"lint"`
	Proposed         []rules.Rule   `json:"-"`
	touchedRules     []rules.Rule
}

// ImpactItem is one (item, tier) in an impact report.
type ImpactItem struct {
	Item    string `json:"item"`
	Tier    string `json:"tier"`
	Before  *int64 `json:"before"`
	After   *int64 `json:"after"`
	Delta   int64  `json:"delta"`
	Blocked string `json:"blocked,omitempty"`
}

// impactListLen bounds each list in an impact report.
const impactListLen = 10

// Preview computes the impact of changes on the current catalog. It
// prices with the proposed rules exactly as a save would, so the preview
// is what saving produces (as long as nothing else changes meanwhile).
func (c *Catalog) Preview(ctx context.Context, changes []RuleChange) (*Impact, error) {
	snap := c.current.Load()
	if snap == nil {
		return nil, fmt.Errorf("catalog: %w", ErrNotFound)
	}
	for _, ch := range changes {
		if ch.Op != "delete" {
			if err := ch.Rule.Validate(); err != nil {
				return nil, err
			}
		}
	}
	current, err := c.rules.List(ctx)
	if err != nil {
		return nil, err
	}
	proposed, touched, err := apply(current, changes)
	if err != nil {
		return nil, err
	}
	set, err := rules.NewSet(proposed)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	now := c.now()
	imp := &Impact{Lint: rules.Lint(proposed, snap.subjects(), snap.tiers, now),
		NewlyBlocked: []ImpactItem{}, Unblocked: []ImpactItem{}, LargestIncreases: []ImpactItem{}, LargestDecreases: []ImpactItem{}}
	var costBefore, revBefore, costAfter, revAfter int64
	var moves []ImpactItem
	for _, e := range snap.games {
		if !reaches(touched, e.game, snap.tiers) {
			continue
		}
		for _, it := range e.game.Items {
			if it.Chosen == nil {
				continue
			}
			var cp Item = *it
			priceItem(&cp, snap.tiers, set, now, c.cfg.Floor)
			for _, tier := range snap.tiers {
				before, after := it.PriceIn(tier), cp.PriceIn(tier)
				imp.Priced++
				if before.Amount != nil {
					costBefore += it.Chosen.Cost
					revBefore += *before.Amount
				}
				if after.Amount != nil {
					costAfter += it.Chosen.Cost
					revAfter += *after.Amount
				}
				if samePrice(before.Amount, after.Amount) {
					continue
				}
				imp.Changed++
				m := ImpactItem{Item: it.ID, Tier: tier, Before: before.Amount, After: after.Amount, Blocked: after.Blocked}
				switch {
				case after.Amount == nil:
					imp.NewlyBlocked = appendBounded(imp.NewlyBlocked, m)
				case before.Amount == nil:
					imp.Unblocked = appendBounded(imp.Unblocked, m)
				default:
					m.Delta = *after.Amount - *before.Amount
					if m.Delta > 0 {
						imp.Up++
					} else {
						imp.Down++
					}
					moves = append(moves, m)
				}
			}
		}
	}
	slices.SortFunc(moves, func(a, b ImpactItem) int { return cmp.Or(cmp.Compare(b.Delta, a.Delta), cmp.Compare(a.Item, b.Item)) })
	for _, m := range moves {
		if m.Delta > 0 && len(imp.LargestIncreases) < impactListLen {
			imp.LargestIncreases = append(imp.LargestIncreases, m)
		}
	}
	for i := len(moves) - 1; i >= 0 && len(imp.LargestDecreases) < impactListLen; i-- {
		if moves[i].Delta < 0 {
			imp.LargestDecreases = append(imp.LargestDecreases, moves[i])
		}
	}
	imp.MarginBefore, imp.MarginAfter = marginPercent(costBefore, revBefore), marginPercent(costAfter, revAfter)
	return imp, nil
}

func appendBounded(list []ImpactItem, m ImpactItem) []ImpactItem {
	if len(list) < impactListLen {
		list = append(list, m)
	}
	return list
}

// marginPercent is (revenue − cost) / revenue × 100, as a decimal string.
func marginPercent(cost, revenue int64) string {
	if revenue == 0 {
		return "0"
	}
	r := decimal.NewFromInt(revenue)
	return r.Sub(decimal.NewFromInt(cost)).Mul(decimal.NewFromInt(100)).DivRound(r, 2).String()
}

// Explanation is why an item costs what it does in a tier: the offers and
// the one chosen, the rule that won and those it beat, and every stage of
// the price.
type Explanation struct {
	Item     string        `json:"item"`
	Tier     string        `json:"tier"`
	Price    *int64        `json:"price"`
	Blocked  string        `json:"blocked,omitempty"`
	Offers   []*OfferState `json:"offers"`
	Chosen   *OfferState   `json:"chosen_offer"`
	Choice   string        `json:"choice_reason"`
	Rule     *RuleRef      `json:"rule"` // nil: the built-in default, markup_percent 0
	Decision string        `json:"decision"`
	Beaten   []BeatenRule  `json:"beaten"`
	Quote    *QuoteView    `json:"quote"`
	PricedAt time.Time     `json:"priced_at"`
}

// RuleRef names a rule in an explanation.
type RuleRef struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	Name    string `json:"name"`
}

// BeatenRule is a matching rule that lost, and on what.
type BeatenRule struct {
	RuleRef
	LostOn string `json:"lost_on"`
}

// QuoteView is a price computation for people: amounts as decimal strings
// where stages are unrounded, the final price as an integer.
type QuoteView struct {
	Cost          string      `json:"cost"`
	Floor         string      `json:"floor"`
	Ceiling       *string     `json:"ceiling"`
	Margin        string      `json:"margin"`
	MarginPercent string      `json:"margin_percent"`
	MarkupPercent string      `json:"markup_percent"`
	Steps         []StepView  `json:"steps"`
	Bounds        []BoundView `json:"bounds"`
}

// StepView is one stage of a price.
type StepView struct {
	Stage  string `json:"stage"`
	In     string `json:"in"`
	Out    string `json:"out"`
	Detail string `json:"detail"`
}

// BoundView is one limit on a price and the rule (or "global") that set it.
type BoundView struct {
	Source string `json:"source"`
	Kind   string `json:"kind"`
	Value  string `json:"value"`
}

// Explain recomputes an item's price in a tier from the snapshot's own
// inputs (the chosen offer, the rules and instant it was priced with), so
// the explanation is of the price being served.
func (s *Snapshot) Explain(id, tier string) (*Explanation, error) {
	it, ok := s.Item(id)
	if !ok {
		return nil, fmt.Errorf("item %s: %w", id, ErrNotFound)
	}
	if !s.HasTier(tier) {
		return nil, fmt.Errorf("%w: no price tier %s", ErrInvalid, tier)
	}
	p := it.PriceIn(tier)
	ex := &Explanation{Item: id, Tier: tier, Price: p.Amount, Blocked: p.Blocked, Offers: it.Offers,
		Chosen: it.Chosen, Choice: it.Reason, Beaten: []BeatenRule{}, PricedAt: s.pricedAt}
	if it.Chosen == nil {
		ex.Blocked = "unavailable: " + it.Reason
		return ex, nil
	}
	d := s.rules.Evaluate(subject(it, tier), s.pricedAt)
	ex.Decision = d.Reason()
	if d.Winner != nil {
		ex.Rule = &RuleRef{ID: d.Winner.ID, Version: d.Winner.Version, Name: d.Winner.Name}
	}
	for _, b := range d.Beaten {
		ex.Beaten = append(ex.Beaten, BeatenRule{RuleRef{b.Rule.ID, b.Rule.Version, b.Rule.Name}, b.Reason})
	}
	in, err := d.Input(decimal.NewFromInt(it.Chosen.Cost), s.floor...)
	if err != nil {
		return ex, nil // a conflict: Blocked already says so
	}
	ex.Quote = quoteView(pricing.Price(in))
	return ex, nil
}

func quoteView(q pricing.Quote) *QuoteView {
	v := &QuoteView{Cost: q.Cost.String(), Floor: q.Floor.String(), Margin: q.Margin.String(),
		MarginPercent: q.MarginPercent.String(), MarkupPercent: q.MarkupPercent.String()}
	if q.Ceiling != nil {
		c := q.Ceiling.String()
		v.Ceiling = &c
	}
	for _, st := range q.Steps {
		v.Steps = append(v.Steps, StepView{Stage: st.Stage, In: st.In.String(), Out: st.Out.String(), Detail: st.Detail})
	}
	for _, b := range q.Bounds {
		v.Bounds = append(v.Bounds, BoundView{Source: b.Source, Kind: string(b.Kind), Value: b.Value.String()})
	}
	return v
}
