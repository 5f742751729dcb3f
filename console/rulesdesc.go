package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/syncd/syncd/rules"
)

// Rules in words, for the list.

func describeScope(m rules.Match) string {
	var parts []string
	for _, p := range []struct{ k, v string }{{"item", m.Item}, {"game", m.Game}, {"supplier", m.Supplier}, {"tier", m.Tier}} {
		if p.v != "" {
			parts = append(parts, p.k+" "+p.v)
		}
	}
	if len(parts) == 0 {
		return "everything"
	}
	return strings.Join(parts, ", ")
}

func rupiah(d decimal.Decimal) string { return "Rp " + idr(d.IntPart()) }

func describeAction(a rules.Action) string {
	var s string
	switch a.Kind {
	case rules.MarkupPercent:
		s = "markup " + a.Value.String() + "%"
	case rules.MarginPercent:
		s = "margin " + a.Value.String() + "%"
	case rules.CostPlus:
		s = "cost + " + rupiah(a.Value)
	case rules.FixedPrice:
		s = "fixed " + rupiah(a.Value)
	default:
		s = string(a.Kind) + " " + a.Value.String()
	}
	if a.Plus.IsPositive() {
		s += " + " + rupiah(a.Plus)
	}
	return s
}

func describeRound(g *rules.Round) string {
	if g == nil {
		return "—"
	}
	s := string(g.Mode) + " to " + idr(g.Step.IntPart())
	if !g.Ending.IsZero() {
		s += ", ending " + g.Ending.String()
	}
	return s
}

func describeGuard(g *rules.Guard) string {
	if g == nil {
		return "—"
	}
	var parts []string
	if g.MinMarginPercent.IsPositive() {
		parts = append(parts, "margin ≥ "+g.MinMarginPercent.String()+"%")
	}
	if g.MinMarginAmount.IsPositive() {
		parts = append(parts, "margin ≥ "+rupiah(g.MinMarginAmount))
	}
	if g.MaxPrice != nil {
		parts = append(parts, "price ≤ "+rupiah(*g.MaxPrice))
	}
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, ", ")
}

// describeWindow is a rule's validity window and where now stands in it.
func describeWindow(r rules.Rule, now time.Time) (string, string) {
	if r.ValidFrom.IsZero() && r.ValidUntil.IsZero() {
		return "always", ""
	}
	var parts []string
	if !r.ValidFrom.IsZero() {
		parts = append(parts, "from "+when(r.ValidFrom))
	}
	if !r.ValidUntil.IsZero() {
		parts = append(parts, "until "+when(r.ValidUntil))
	}
	state := "in force"
	switch {
	case !r.ValidFrom.IsZero() && now.Before(r.ValidFrom):
		state = "not yet"
	case !r.ValidUntil.IsZero() && !now.Before(r.ValidUntil):
		state = "ended"
	}
	return strings.Join(parts, " "), state
}

// auditRow is one audit entry with what it changed, field by field.
type auditRow struct {
	rules.AuditEntry
	Name    string
	Changes []string
}

func (c *Console) audit(ctx context.Context, id string) ([]auditRow, error) {
	entries, err := c.catalog.Rules().Audit(ctx, id, auditLen)
	if err != nil {
		return nil, err
	}
	out := make([]auditRow, len(entries))
	for i, e := range entries {
		before, after := flatten(e.Before), flatten(e.After)
		row := auditRow{AuditEntry: e, Name: after["name"]}
		if row.Name == "" {
			row.Name = before["name"]
		}
		if e.Action == "update" {
			keys := map[string]bool{}
			for k := range before {
				keys[k] = true
			}
			for k := range after {
				keys[k] = true
			}
			for _, k := range slices.Sorted(maps.Keys(keys)) {
				if k == "version" || before[k] == after[k] {
					continue
				}
				row.Changes = append(row.Changes, fmt.Sprintf("%s: %s → %s", k, orNone(before[k]), orNone(after[k])))
			}
		}
		out[i] = row
	}
	return out, nil
}

func orNone(s string) string {
	if s == "" || s == "null" {
		return "none"
	}
	return s
}

// flatten reads a rule's contract JSON into "path → value" (null as
// "null"), to compare two versions field by field.
func flatten(raw json.RawMessage) map[string]string {
	out := map[string]string{}
	if len(raw) == 0 || string(raw) == "null" {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return out
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, child)
			}
		case nil:
			out[prefix] = "null"
		default:
			out[prefix] = fmt.Sprint(x)
		}
	}
	walk("", v)
	return out
}
