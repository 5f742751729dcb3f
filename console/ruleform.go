package console

import (
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/rules"
)

// ruleForm is a rule as the form shows and posts it: text, as typed.
// It becomes a rule the way the API reads one, through its JSON contract
// form and rules.Decode, so the console accepts exactly what the API does.
type ruleForm struct {
	ID      string
	Version int64
	Name    string
	Enabled bool
	Note    string

	Game, Item, Supplier, Tier string

	Kind, Value, Plus string

	Step, Mode, Ending string

	MinPct, MinAmt, MaxPrice string

	From, Until string // datetime-local, UTC
	Priority    string
}

// formFields are the fields that can carry an error, by JSON path, in
// form order: the error summary lists them so.
var formFields = []string{"name", "enabled", "note", "match.game", "match.item", "match.supplier", "match.tier",
	"action.kind", "action.value", "action.plus", "round.step", "round.mode", "round.ending",
	"guard.min_margin_percent", "guard.min_margin_amount", "guard.max_price", "valid_from", "valid_until", "priority"}

const localTime = "2006-01-02T15:04:05"

// formOf is a stored rule in the form.
func formOf(r rules.Rule) ruleForm {
	f := ruleForm{ID: r.ID, Version: r.Version, Name: r.Name, Enabled: r.Enabled, Note: r.Note,
		Game: r.Match.Game, Item: r.Match.Item, Supplier: r.Match.Supplier, Tier: r.Match.Tier,
		Kind: string(r.Action.Kind), Value: r.Action.Value.String(), Plus: r.Action.Plus.String(), Mode: string(rules.Up)}
	if g := r.Round; g != nil {
		f.Step, f.Mode, f.Ending = g.Step.String(), string(g.Mode), g.Ending.String()
	}
	if g := r.Guard; g != nil {
		f.MinPct, f.MinAmt = g.MinMarginPercent.String(), g.MinMarginAmount.String()
		if g.MaxPrice != nil {
			f.MaxPrice = g.MaxPrice.String()
		}
	}
	if !r.ValidFrom.IsZero() {
		f.From = r.ValidFrom.UTC().Format(localTime)
	}
	if !r.ValidUntil.IsZero() {
		f.Until = r.ValidUntil.UTC().Format(localTime)
	}
	if r.Priority != nil {
		f.Priority = strconv.FormatInt(*r.Priority, 10)
	}
	return f
}

// newForm is the form of a rule not yet written.
func newForm() ruleForm {
	return ruleForm{Enabled: true, Kind: string(rules.MarkupPercent), Plus: "0", Mode: string(rules.Up)}
}

// readForm reads the posted form.
func readForm(v url.Values) ruleForm {
	t := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	f := ruleForm{ID: v.Get("id"), Name: t("name"), Enabled: v.Get("enabled") == "on", Note: strings.TrimSpace(v.Get("note")),
		Game: t("game"), Item: t("item"), Supplier: t("supplier"), Tier: t("tier"),
		Kind: t("kind"), Value: t("value"), Plus: t("plus"),
		Step: t("step"), Mode: t("mode"), Ending: t("ending"),
		MinPct: t("min_margin_percent"), MinAmt: t("min_margin_amount"), MaxPrice: t("max_price"),
		From: t("valid_from"), Until: t("valid_until"), Priority: t("priority")}
	f.Version, _ = strconv.ParseInt(v.Get("version"), 10, 64)
	return f
}

var (
	wholeSyntax   = regexp.MustCompile(`^-?[0-9]{1,18}$`)
	decimalSyntax = regexp.MustCompile(`^-?[0-9]{1,18}(\.[0-9]{1,12})?$`)
)

const (
	wholeHint   = "a whole number of rupiah, digits only, such as 50000"
	decimalHint = "a number such as 7 or 7.5 (a point, not a comma)"
)

// rule turns the form into a rule, or says what is wrong with each field:
// the form's own reading (text that is not a number) and everything
// rules.Decode and Rule.Validate find.
func (f ruleForm) rule() (rules.Rule, map[string]string) {
	errs := map[string]string{}
	amount := func(path, s string) any {
		switch {
		case s == "":
			return nil
		case wholeSyntax.MatchString(s):
			return json.Number(s)
		}
		errs[path] = wholeHint
		return nil
	}
	rate := func(path, s string) any {
		switch {
		case s == "":
			return nil
		case decimalSyntax.MatchString(s):
			return s
		}
		errs[path] = decimalHint
		return nil
	}
	opt := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	at := func(path, s string) any {
		if s == "" {
			return nil
		}
		for _, layout := range []string{localTime, "2006-01-02T15:04"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC().Format(time.RFC3339)
			}
		}
		errs[path] = "a date and time such as 2026-12-01T00:00 (UTC)"
		return nil
	}
	doc := map[string]any{
		"name": f.Name, "enabled": f.Enabled, "note": f.Note,
		"match":       map[string]any{"game": opt(f.Game), "item": opt(f.Item), "supplier": opt(f.Supplier), "tier": opt(f.Tier)},
		"action":      map[string]any{"kind": f.Kind, "value": rate("action.value", f.Value), "plus": amount("action.plus", f.Plus)},
		"valid_from":  at("valid_from", f.From),
		"valid_until": at("valid_until", f.Until),
	}
	if f.Plus == "" {
		doc["action"].(map[string]any)["plus"] = json.Number("0")
	}
	// A grid is set when its step is; a guard when any of its limits is.
	if f.Step == "" && f.Ending != "" && f.Ending != "0" {
		errs["round.step"] = "required to round: the grid's step, such as 100"
	}
	if f.Step != "" {
		doc["round"] = map[string]any{"step": amount("round.step", f.Step), "mode": f.Mode, "ending": orZero(amount("round.ending", f.Ending))}
	}
	if f.MinPct != "" || f.MinAmt != "" || f.MaxPrice != "" {
		doc["guard"] = map[string]any{"min_margin_percent": orString(rate("guard.min_margin_percent", f.MinPct)),
			"min_margin_amount": orZero(amount("guard.min_margin_amount", f.MinAmt)), "max_price": amount("guard.max_price", f.MaxPrice)}
	}
	if f.Priority != "" {
		if wholeSyntax.MatchString(f.Priority) {
			doc["priority"] = json.Number(f.Priority)
		} else {
			errs["priority"] = "a whole number; higher wins a tie"
		}
	}
	body, err := json.Marshal(doc)
	if err != nil {
		errs["name"] = "cannot be encoded"
		return rules.Rule{}, errs
	}
	r, err := rules.Decode(body)
	var de *rules.DecodeError
	switch {
	case fault.FieldsOf(err) != nil:
		merge(errs, fault.FieldsOf(err))
	case errors.As(err, &de):
		if _, ok := errs[de.Field]; !ok {
			errs[cmpField(de.Field)] = de.Reason
		}
	case err == nil:
		merge(errs, fault.FieldsOf(r.Validate()))
	}
	if len(errs) > 0 {
		return rules.Rule{}, errs
	}
	r.ID, r.Version = f.ID, f.Version
	return r, nil
}

// merge adds found to errs, keeping the form's own reading of a field
// (it says what was typed wrong; the decoder only sees it missing).
func merge(errs, found map[string]string) {
	for k, v := range found {
		if _, ok := errs[k]; !ok {
			errs[k] = v
		}
	}
}

// cmpField is the form field a decode error names ("" is the rule as a
// whole: shown beside the name).
func cmpField(f string) string {
	if f == "" {
		return "name"
	}
	return f
}

func orZero(v any) any {
	if v == nil {
		return json.Number("0")
	}
	return v
}

func orString(v any) any {
	if v == nil {
		return "0"
	}
	return v
}
