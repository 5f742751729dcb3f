package rules

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// MarshalJSON writes r in the contract's shape: every member present, in
// the contract's order; rates as decimal strings, amounts as JSON
// integers, times in RFC 3339 UTC, null for what is not set (id included,
// for a rule not yet saved).
func (r Rule) MarshalJSON() ([]byte, error) {
	w := wireRule{
		ID:      optString(r.ID),
		Version: r.Version,
		Name:    r.Name,
		Enabled: r.Enabled,
		Note:    r.Note,
		Match: wireMatch{
			Game:     optString(r.Match.Game),
			Item:     optString(r.Match.Item),
			Supplier: optString(r.Match.Supplier),
			Tier:     optString(r.Match.Tier),
		},
		Action: wireAction{
			Kind:  string(r.Action.Kind),
			Value: r.Action.Value.String(),
			Plus:  amount(r.Action.Plus),
		},
		ValidFrom:  optTime(r.ValidFrom),
		ValidUntil: optTime(r.ValidUntil),
		Priority:   r.Priority,
	}
	if g := r.Round; g != nil {
		w.Round = &wireRound{Step: amount(g.Step), Mode: string(g.Mode), Ending: amount(g.Ending)}
	}
	if g := r.Guard; g != nil {
		w.Guard = &wireGuard{
			MinMarginPercent: g.MinMarginPercent.String(),
			MinMarginAmount:  amount(g.MinMarginAmount),
		}
		if g.MaxPrice != nil {
			p := amount(*g.MaxPrice)
			w.Guard.MaxPrice = &p
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // names and notes are read by people, not embedded in HTML
	if err := enc.Encode(w); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Encode is MarshalJSON: the rule's contract form, which Decode reads back
// to an equal rule.
func Encode(r Rule) ([]byte, error) { return r.MarshalJSON() }

// The wire structs fix the member order and the JSON types of the
// contract; they are only ever encoded (Decode reads tokens).
type wireRule struct {
	ID         *string    `json:"id"`
	Version    int64      `json:"version"`
	Name       string     `json:"name"`
	Enabled    bool       `json:"enabled"`
	Note       string     `json:"note"`
	Match      wireMatch  `json:"match"`
	Action     wireAction `json:"action"`
	Round      *wireRound `json:"round"`
	Guard      *wireGuard `json:"guard"`
	ValidFrom  *string    `json:"valid_from"`
	ValidUntil *string    `json:"valid_until"`
	Priority   *int64     `json:"priority"`
}

type wireMatch struct {
	Game     *string `json:"game"`
	Item     *string `json:"item"`
	Supplier *string `json:"supplier"`
	Tier     *string `json:"tier"`
}

type wireAction struct {
	Kind  string      `json:"kind"`
	Value string      `json:"value"`
	Plus  json.Number `json:"plus"`
}

type wireRound struct {
	Step   json.Number `json:"step"`
	Mode   string      `json:"mode"`
	Ending json.Number `json:"ending"`
}

type wireGuard struct {
	MinMarginPercent string       `json:"min_margin_percent"`
	MinMarginAmount  json.Number  `json:"min_margin_amount"`
	MaxPrice         *json.Number `json:"max_price"`
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

// amount writes a decimal as a JSON number; valid rules only hold whole
// rupiah here, so it is an integer.
func amount(d decimal.Decimal) json.Number { return json.Number(d.String()) }
