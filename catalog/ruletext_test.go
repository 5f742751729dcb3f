package catalog

import (
	"context"
	"errors"
	"testing"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/rules"
)

// TestValidateRuleRefusesWhatIsNotText: names and notes are shown to
// people (issue 12); a rule saved or previewed must not carry control or
// text-direction characters in them. A note may hold line breaks.
func TestValidateRuleRefusesWhatIsNotText(t *testing.T) {
	base := mustRule(t, `{"name": "ok", "action": {"kind": "markup_percent", "value": "7"}}`)
	for _, tt := range []struct {
		name, field string
		edit        func(*rules.Rule)
	}{
		{"name with NUL", "name", func(r *rules.Rule) { r.Name = "MLBB\x00+7%" }},
		{"name with BEL", "name", func(r *rules.Rule) { r.Name = "MLBB\a+7%" }},
		{"name with a newline", "name", func(r *rules.Rule) { r.Name = "MLBB\n+7%" }},
		{"name with U+202E", "name", func(r *rules.Rule) { r.Name = "MLBB \u202e%7+" }},
		{"name with ESC", "name", func(r *rules.Rule) { r.Name = "\x1b[31mMLBB" }},
		{"name with a zero-width space", "name", func(r *rules.Rule) { r.Name = "ML\u200bBB" }},
		{"note with NUL", "note", func(r *rules.Rule) { r.Note = "why\x00" }},
		{"note with a tab", "note", func(r *rules.Rule) { r.Note = "why\tnot" }},
		{"note with a lone carriage return", "note", func(r *rules.Rule) { r.Note = "overwrite\rthis" }},
		{"note with U+2066", "note", func(r *rules.Rule) { r.Note = "\u2066isolated\u2069" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.edit(&r)
			if err := validateRule(r); len(fault.FieldsOf(err)) != 1 || fault.FieldsOf(err)[tt.field] == "" || !errors.Is(err, rules.ErrInvalid) {
				t.Fatalf("got %v, want a validation error on %s only", err, tt.field)
			}
		})
	}
	ok := base
	ok.Note = "why:\nfirst line\r\nsecond line"
	if err := validateRule(ok); err != nil {
		t.Fatalf("a note of several lines: got %v, want none", err)
	}
	// rules.Validate's own findings come through beside the text's.
	both := base
	both.Name, both.Action.Kind = "MLBB\x00", ""
	if err := validateRule(both); fault.FieldsOf(err)["name"] == "" || fault.FieldsOf(err)["action.kind"] == "" {
		t.Fatalf("bad name and no kind: got %v, want both named", err)
	}
}

func TestCreateTierRefusesWhatIsNotText(t *testing.T) {
	h := newHarness(t, Config{})
	ctx := context.Background()
	for _, name := range []string{"Members\x00", "Mem\nbers", "\u202eMembers"} {
		if _, err := h.cat.CreateTier(ctx, rules.Tier{ID: "gold", Name: name}); fault.FieldsOf(err)["name"] == "" {
			t.Fatalf("tier name %q: got %v, want a validation error on name", name, err)
		}
	}
	if _, err := h.cat.CreateTier(ctx, rules.Tier{ID: "gold", Name: "Gold"}); err != nil {
		t.Fatal(err)
	}
}
