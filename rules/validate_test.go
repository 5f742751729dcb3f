package rules

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/internal/fault"
)

// valid returns a rule that passes Validate, with every optional part set.
func valid() Rule {
	max := dec("100000")
	prio := int64(1)
	return Rule{
		Name: "ok", Enabled: true,
		Match:      Match{Game: "mobile-legends", Item: "mobile-legends.diamonds-86", Supplier: "senpay", Tier: "member"},
		Action:     Action{Kind: MarkupPercent, Value: dec("7.5"), Plus: dec("100")},
		Round:      &Round{Step: dec("100"), Mode: Up, Ending: dec("0")},
		Guard:      &Guard{MinMarginPercent: dec("2"), MinMarginAmount: dec("100"), MaxPrice: &max},
		ValidFrom:  time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		ValidUntil: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		Priority:   &prio,
	}
}

// validEdges are edits that keep valid() valid.
var validEdges = []struct {
	name string
	edit func(*Rule)
}{
	{"all set", func(*Rule) {}},
	{"nothing optional", func(r *Rule) { *r = Rule{Name: "n", Action: Action{Kind: MarkupPercent}} }},
	{"name of 200 characters", func(r *Rule) { r.Name = strings.Repeat("é", MaxNameLen) }},
	{"name with emoji joined by ZWJ", func(r *Rule) { r.Name = "MLBB 👨\u200d👩\u200d👧 bundle" }},
	{"note of several lines", func(r *Rule) { r.Note = "why:\nfirst line\r\nsecond line" }},
	{"markup just above -100", func(r *Rule) { r.Action.Value = dec("-99.99") }},
	{"margin 0", func(r *Rule) { r.Action = Action{Kind: MarginPercent, Value: dec("0")} }},
	{"margin 99.9", func(r *Rule) { r.Action = Action{Kind: MarginPercent, Value: dec("99.9")} }},
	{"cost_plus negative", func(r *Rule) { r.Action = Action{Kind: CostPlus, Value: dec("-500")} }},
	{"fixed_price 1", func(r *Rule) { r.Action = Action{Kind: FixedPrice, Value: dec("1")} }},
	{"fixed_price with plus", func(r *Rule) { r.Action = Action{Kind: FixedPrice, Value: dec("1000"), Plus: dec("5")} }},
	{"step 1,000,000", func(r *Rule) { r.Round.Step = dec("1000000") }},
	{"ending step-1", func(r *Rule) { r.Round.Ending = dec("99") }},
	{"mode nearest", func(r *Rule) { r.Round.Mode = Nearest }},
	{"tier of 32", func(r *Rule) { r.Match.Tier = strings.Repeat("a", 32) }},
	{"item without game", func(r *Rule) { r.Match.Game = "" }},
	{"only valid_until", func(r *Rule) { r.ValidFrom = time.Time{} }},
	{"markup 1000", func(r *Rule) { r.Action.Value = dec("1000") }},
	{"margin 99.9999", func(r *Rule) { r.Action = Action{Kind: MarginPercent, Value: dec("99.9999")} }},
	{"rate with trailing zeros", func(r *Rule) { r.Action.Value = dec("7.500000000") }},
	{"fixed_price at the cap", func(r *Rule) { r.Action = Action{Kind: FixedPrice, Value: dec("1000000000")} }},
	{"cost_plus at minus the cap", func(r *Rule) { r.Action = Action{Kind: CostPlus, Value: dec("-1000000000")} }},
	{"max price at the cap", func(r *Rule) { m := dec("1000000000"); r.Guard.MaxPrice = &m }},
}

func TestValidateAcceptsEdges(t *testing.T) {
	for _, tt := range validEdges {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.edit(&r)
			if err := r.Validate(); err != nil {
				t.Fatalf("got %v, want nil", err)
			}
		})
	}
}

// rangeErrors are edits that make valid() invalid in one field.
var rangeErrors = []struct {
	name, field string
	edit        func(*Rule)
}{
	{"empty name", "name", func(r *Rule) { r.Name = "" }},
	{"blank name", "name", func(r *Rule) { r.Name = " \t" }},
	{"name of 201 characters", "name", func(r *Rule) { r.Name = strings.Repeat("a", MaxNameLen+1) }},
	{"long note", "note", func(r *Rule) { r.Note = strings.Repeat("a", MaxNoteLen+1) }},
	{"no kind", "action.kind", func(r *Rule) { r.Action.Kind = "" }},
	{"unknown kind", "action.kind", func(r *Rule) { r.Action.Kind = "markup" }},
	{"markup -100", "action.value", func(r *Rule) { r.Action.Value = dec("-100") }},
	{"margin -1", "action.value", func(r *Rule) { r.Action = Action{Kind: MarginPercent, Value: dec("-1")} }},
	{"margin 100", "action.value", func(r *Rule) { r.Action = Action{Kind: MarginPercent, Value: dec("100")} }},
	{"fixed_price 0", "action.value", func(r *Rule) { r.Action = Action{Kind: FixedPrice, Value: dec("0")} }},
	{"fixed_price fraction", "action.value", func(r *Rule) { r.Action = Action{Kind: FixedPrice, Value: dec("1000.5")} }},
	{"cost_plus fraction", "action.value", func(r *Rule) { r.Action = Action{Kind: CostPlus, Value: dec("0.5")} }},
	{"plus negative", "action.plus", func(r *Rule) { r.Action.Plus = dec("-1") }},
	{"plus fraction", "action.plus", func(r *Rule) { r.Action.Plus = dec("1.5") }},
	{"step 0", "round.step", func(r *Rule) { r.Round.Step = dec("0") }},
	{"step fraction", "round.step", func(r *Rule) { r.Round.Step = dec("0.5") }},
	{"step over 1,000,000", "round.step", func(r *Rule) { r.Round.Step = dec("1000001") }},
	{"ending = step", "round.ending", func(r *Rule) { r.Round.Ending = dec("100") }},
	{"ending negative", "round.ending", func(r *Rule) { r.Round.Ending = dec("-1") }},
	{"ending fraction", "round.ending", func(r *Rule) { r.Round.Ending = dec("0.5") }},
	{"unknown mode", "round.mode", func(r *Rule) { r.Round.Mode = "half-even" }},
	{"empty mode", "round.mode", func(r *Rule) { r.Round.Mode = "" }},
	{"min margin percent negative", "guard.min_margin_percent", func(r *Rule) { r.Guard.MinMarginPercent = dec("-0.1") }},
	{"min margin amount negative", "guard.min_margin_amount", func(r *Rule) { r.Guard.MinMarginAmount = dec("-1") }},
	{"min margin amount fraction", "guard.min_margin_amount", func(r *Rule) { r.Guard.MinMarginAmount = dec("0.5") }},
	{"max price 0", "guard.max_price", func(r *Rule) { z := decimal.Zero; r.Guard.MaxPrice = &z }},
	// The limits of issue 12, with the values that overflowed prices.
	{"margin 99.999999999999", "action.value", func(r *Rule) { r.Action = Action{Kind: MarginPercent, Value: dec("99.999999999999")} }},
	{"markup 112460000000000000", "action.value", func(r *Rule) { r.Action.Value = dec("112460000000000000") }},
	{"markup 138302174791644499.010346378767", "action.value", func(r *Rule) { r.Action.Value = dec("138302174791644499.010346378767") }},
	{"markup over 1000", "action.value", func(r *Rule) { r.Action.Value = dec("1000.01") }},
	{"markup with 5 places", "action.value", func(r *Rule) { r.Action.Value = dec("7.12345") }},
	{"fixed_price over the cap", "action.value", func(r *Rule) { r.Action = Action{Kind: FixedPrice, Value: dec("1000000001")} }},
	{"cost_plus over the cap", "action.value", func(r *Rule) { r.Action = Action{Kind: CostPlus, Value: dec("1000000001")} }},
	{"plus over the cap", "action.plus", func(r *Rule) { r.Action.Plus = dec("1000000001") }},
	{"min margin percent over 1000", "guard.min_margin_percent", func(r *Rule) { r.Guard.MinMarginPercent = dec("1000.5") }},
	{"min margin percent too fine", "guard.min_margin_percent", func(r *Rule) { r.Guard.MinMarginPercent = dec("2.00001") }},
	{"min margin amount over the cap", "guard.min_margin_amount", func(r *Rule) { r.Guard.MinMarginAmount = dec("1000000001") }},
	{"max price over the cap", "guard.max_price", func(r *Rule) { m := dec("127900000000000000000"); r.Guard.MaxPrice = &m }},
	{"tier uppercase", "match.tier", func(r *Rule) { r.Match.Tier = "Member" }},
	{"tier of 33", "match.tier", func(r *Rule) { r.Match.Tier = strings.Repeat("a", 33) }},
	{"tier with space", "match.tier", func(r *Rule) { r.Match.Tier = "vip member" }},
	{"game with a dot", "match.game", func(r *Rule) { r.Match.Game = "mobile.legends" }},
	{"item without key", "match.item", func(r *Rule) { r.Match.Item = "mobile-legends" }},
	{"item of another game", "match.item", func(r *Rule) { r.Match.Item = "free-fire.diamonds-70" }},
	{"item of a game prefix", "match.item", func(r *Rule) { r.Match.Item = "mobile-legends-my.diamonds-86" }},
	{"supplier uppercase", "match.supplier", func(r *Rule) { r.Match.Supplier = "Senpay" }},
	{"until = from", "valid_until", func(r *Rule) { r.ValidUntil = r.ValidFrom }},
	{"until before from", "valid_until", func(r *Rule) { r.ValidUntil = r.ValidFrom.Add(-time.Second) }},
	{"from before 2000", "valid_from", func(r *Rule) { r.ValidFrom = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }},
	{"negative version", "version", func(r *Rule) { r.Version = -1 }},
}

func TestValidateRanges(t *testing.T) {
	for _, tt := range rangeErrors {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.edit(&r)
			err := r.Validate()
			fields := fault.FieldsOf(err)
			if fields == nil {
				t.Fatalf("got %v, want a validation error", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want it to match ErrInvalid", err)
			}
			if _, ok := fields[tt.field]; !ok || len(fields) != 1 {
				t.Fatalf("got fields %v, want only %q", fields, tt.field)
			}
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := invalid(map[string]string{"round.step": "b", "name": "a"})
	if got, want := err.Error(), "invalid rule: name: a; round.step: b"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
