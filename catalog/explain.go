package catalog

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/pricing"
)

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
