package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/rules"
	"github.com/syncd/syncd/suppliers"
)

// memberTier is the demo shop's second price tier: registered buyers, who
// pay a smaller margin.
const memberTier = "member"

// demoRules are the demo shop's margins, the way an Indonesian top-up shop
// sets them: everything at 10% over cost on a 500-rupiah grid (Rp 21.500,
// never Rp 21.437), at least 2% over cost whatever the grid does; Mobile
// Legends, the game buyers compare most, at 7% on a 100-rupiah grid; and
// members at 5% (4% on Mobile Legends).
func demoRules() []rules.Rule {
	d := decimal.NewFromInt
	grid := func(step int64) *rules.Round { return &rules.Round{Step: d(step), Mode: rules.Up} }
	markup := func(pct int64) rules.Action { return rules.Action{Kind: rules.MarkupPercent, Value: d(pct)} }
	const game = "mobile-legends"
	return []rules.Rule{
		{Name: "Shop: cost +10%, on a 500 grid", Enabled: true, Action: markup(10), Round: grid(500),
			Guard: &rules.Guard{MinMarginPercent: d(2)}, Note: "made by syncd demo"},
		{Name: "Mobile Legends: +7%", Enabled: true, Match: rules.Match{Game: game}, Action: markup(7), Round: grid(100),
			Note: "made by syncd demo"},
		{Name: "Members: +5%", Enabled: true, Match: rules.Match{Tier: memberTier}, Action: markup(5), Round: grid(100),
			Note: "made by syncd demo"},
		{Name: "Mobile Legends, members: +4%", Enabled: true, Match: rules.Match{Game: game, Tier: memberTier},
			Action: markup(4), Round: grid(100), Note: "made by syncd demo"},
	}
}

// openShop gives the demo its shop: the member tier and the demo rules,
// through the catalog as a merchandiser's edits would go (validated,
// linted, audited, repriced). A database that has rules already, kept
// from an earlier demo run or edited since, is left as it is.
func openShop(ctx context.Context, cat *catalog.Catalog) error {
	if _, err := cat.CreateTier(ctx, rules.Tier{ID: memberTier, Name: "Member"}); err != nil && !errors.Is(err, rules.ErrTierExists) {
		return fmt.Errorf("demo tier %s: %w", memberTier, err)
	}
	have, err := cat.Rules().List(ctx)
	if err != nil {
		return err
	}
	if len(have) > 0 {
		return nil
	}
	for _, r := range demoRules() {
		if _, _, err := cat.SaveRule(ctx, catalog.RuleChange{Op: "create", Rule: r}, "demo"); err != nil {
			return fmt.Errorf("demo rule %q: %w", r.Name, err)
		}
	}
	return nil
}

// storefront is the demo's simulated shop: every few seconds it orders an
// item over the real API, with its own storefront token, as a shop's
// buyers would. It takes turns between the suppliers that sell an item
// cheapest, and now and then has a simulator refuse the order (syncd
// falls back to the next supplier) or lose its reply (syncd reconciles
// the order at the supplier).
type storefront struct {
	base, token string
	cat         *catalog.Catalog
	// names are the suppliers with a simulator, in registration order;
	// upset is each one's simulator hook, by name.
	names  []string
	upset  map[string]func(suppliers.Trouble)
	log    *slog.Logger
	client *http.Client
	// run tells this run's references from a kept database's earlier ones.
	run string
	n   int
}

// loop orders once every interval until ctx ends.
func (s *storefront) loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.order(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("demo storefront: order not placed", "err", err)
		}
	}
}

// order places the storefront's next order.
func (s *storefront) order(ctx context.Context) error {
	snap := s.cat.Snapshot()
	if snap == nil {
		return nil
	}
	s.n++
	// Every third order is a member's; every sixth a refusal that falls
	// back, every sixth (three later) a lost reply that reconciles.
	tier := "public"
	if s.n%3 == 0 {
		tier = memberTier
	}
	var trouble suppliers.Trouble
	switch s.n % 6 {
	case 2:
		trouble = suppliers.Refusal
	case 5:
		trouble = suppliers.LostReply
	}
	// Take turns by supplier: the n-th order goes to an item the
	// supplier n cycles to sells cheapest.
	var it *catalog.Item
	if len(s.names) > 0 {
		it = pickItem(snap, tier, s.names[s.n%len(s.names)], trouble == suppliers.Refusal)
	}
	if it == nil {
		it = pickItem(snap, tier, "", false)
	}
	if it == nil {
		return nil
	}
	g, _ := snap.Game(it.GameID)
	var form []catalog.FormField
	if g != nil {
		form = g.Form
	}
	if trouble != 0 && s.upset[it.Chosen.Supplier] != nil {
		s.upset[it.Chosen.Supplier](trouble)
	}
	body, err := json.Marshal(map[string]any{
		"reference": fmt.Sprintf("shop-%s-%d", s.run, s.n), "item": it.ID, "tier": tier,
		"expected_price": *it.PriceIn(tier).Amount, "fields": exampleFields(form)})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/v1/orders", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	switch {
	case resp.StatusCode == http.StatusCreated:
		s.log.Info("demo storefront: order placed", "item", it.ID, "tier", tier, "supplier", it.Chosen.Supplier)
		return nil
	case resp.StatusCode == http.StatusConflict:
		// The price moved between the read and the order: a buyer
		// would look again; the next tick does.
		return nil
	default:
		return fmt.Errorf("POST /v1/orders %s: %d %s", it.ID, resp.StatusCode, reply)
	}
}

// pickItem is a random item sellable in tier whose chosen offer is
// supplier's ("" for any), with another offer to fall back to when
// spare is asked; nil if none is.
func pickItem(snap *catalog.Snapshot, tier, supplier string, spare bool) *catalog.Item {
	var fit []*catalog.Item
	for _, g := range snap.GameList() {
		for _, it := range g.Items {
			if it.Chosen == nil || it.PriceIn(tier).Amount == nil || supplier != "" && it.Chosen.Supplier != supplier {
				continue
			}
			if spare && eligibleOffers(it) < 2 {
				continue
			}
			fit = append(fit, it)
		}
	}
	if len(fit) == 0 {
		return nil
	}
	return fit[mrand.N(len(fit))]
}

func eligibleOffers(it *catalog.Item) int {
	n := 0
	for _, o := range it.Offers {
		if o.Eligible {
			n++
		}
	}
	return n
}
