package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/rules"
)

// auditLen is how many changes the rules page and a rule's page show.
const auditLen = 30

type rulesData struct {
	Rules []ruleRow
	Audit []auditRow
}

type ruleRow struct {
	rules.Rule
	Scope, Action, Round, Guard, Window, WindowState string
}

func (c *Console) rulesPage(w http.ResponseWriter, r *http.Request) error {
	list, err := c.catalog.Rules().List(r.Context())
	if err != nil {
		return err
	}
	audit, err := c.audit(r.Context(), "")
	if err != nil {
		return err
	}
	d := rulesData{Audit: audit}
	now := time.Now()
	for _, rule := range list {
		w, ws := describeWindow(rule, now)
		d.Rules = append(d.Rules, ruleRow{Rule: rule, Scope: describeScope(rule.Match), Action: describeAction(rule.Action),
			Round: describeRound(rule.Round), Guard: describeGuard(rule.Guard), Window: w, WindowState: ws})
	}
	return c.render(w, r, http.StatusOK, "rules", view{Title: "Margin rules", Nav: "rules", Data: d})
}

// ruleData is the rule form page's, and its preview fragment's.
type ruleData struct {
	Form      ruleForm
	New       bool
	Errors    map[string]string
	Summary   []fieldProblem // Errors in form order
	Problem   string         // what stopped a save, above the form
	Findings  *rules.Findings
	Impact    *catalog.Impact
	Audit     []auditRow
	Tiers     []string
	Suppliers []string
	Kinds     []rules.Kind
	Modes     []rules.Mode
	Fields    []string // every field that can carry an error, for htmx to clear
}

type fieldProblem struct{ Field, Message string }

func (c *Console) ruleData(ctx context.Context, f ruleForm) ruleData {
	d := ruleData{Form: f, New: f.ID == "", Errors: map[string]string{}, Suppliers: c.cfg.Suppliers, Fields: formFields,
		Kinds: []rules.Kind{rules.MarkupPercent, rules.MarginPercent, rules.CostPlus, rules.FixedPrice},
		Modes: []rules.Mode{rules.Up, rules.Down, rules.Nearest}}
	if snap := c.catalog.Snapshot(); snap != nil {
		d.Tiers = snap.Tiers()
	}
	return d
}

func (d *ruleData) setErrors(errs map[string]string) {
	d.Errors = errs
	for _, f := range formFields {
		if msg, ok := errs[f]; ok {
			d.Summary = append(d.Summary, fieldProblem{f, msg})
		}
	}
	for f, msg := range errs { // a path the form has no field for
		if !contains(formFields, f) {
			d.Summary = append(d.Summary, fieldProblem{f, msg})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *Console) newRulePage(w http.ResponseWriter, r *http.Request) error {
	f := newForm()
	q := r.URL.Query()
	f.Game, f.Item, f.Tier = q.Get("game"), q.Get("item"), q.Get("tier")
	return c.render(w, r, http.StatusOK, "rule", view{Title: "New rule", Nav: "rules", Data: c.ruleData(r.Context(), f)})
}

func (c *Console) editRulePage(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	rule, err := c.catalog.Rules().Get(r.Context(), id)
	if errors.Is(err, rules.ErrNotFound) {
		return &pageError{code: fault.RuleNotFound, message: "There is no rule " + id + ": it may have been deleted."}
	}
	if err != nil {
		return err
	}
	return c.renderRule(w, r, http.StatusOK, c.ruleData(r.Context(), formOf(rule)))
}

// renderRule renders the rule page with a rule's audit trail.
func (c *Console) renderRule(w http.ResponseWriter, r *http.Request, status int, d ruleData) error {
	if d.Form.ID != "" {
		var err error
		if d.Audit, err = c.audit(r.Context(), d.Form.ID); err != nil {
			return err
		}
	}
	title := "New rule"
	if !d.New {
		title = "Rule " + d.Form.Name
	}
	return c.render(w, r, status, "rule", view{Title: title, Nav: "rules", Data: d})
}

func (c *Console) createRule(w http.ResponseWriter, r *http.Request) error {
	f := readForm(r.PostForm)
	f.ID, f.Version = "", 0
	return c.save(w, r, f, "create")
}

func (c *Console) updateRule(w http.ResponseWriter, r *http.Request) error {
	f := readForm(r.PostForm)
	f.ID = chi.URLParam(r, "id")
	return c.save(w, r, f, "update")
}

// save stores a create or an update from the form. Whatever stops it is
// shown on the form, with everything typed kept, and the status of its
// code.
func (c *Console) save(w http.ResponseWriter, r *http.Request, f ruleForm, op string) error {
	d := c.ruleData(r.Context(), f)
	rule, errs := f.rule()
	if len(errs) > 0 {
		d.setErrors(errs)
		return c.renderRule(w, r, fault.PageStatus(fault.Validation), d)
	}
	if c.catalog.Snapshot() == nil {
		d.Problem = "The catalog has not been built yet, so the rule cannot be checked against it. Try again in a moment."
		return c.renderRule(w, r, fault.PageStatus(fault.CatalogNotReady), d)
	}
	ch := catalog.RuleChange{Op: op, Rule: rule, Version: f.Version}
	saved, findings, err := c.catalog.SaveRule(context.WithoutCancel(r.Context()), ch, actor(r))
	if err != nil {
		if d.Problem = c.saveProblem(r, err, f.ID, &d); d.Problem == "" {
			return ours(err)
		}
		return c.renderRule(w, r, fault.PageStatus(fault.CodeOf(err)), d)
	}
	msg := fmt.Sprintf("Saved rule “%s” (version %d).", saved.Name, saved.Version)
	if n := len(findings.Warnings); n > 0 {
		msg += fmt.Sprintf(" %d warning(s): %s", n, findings.Warnings[0].Message)
	}
	c.back(w, r, Prefix+"/rules/"+saved.ID, msg, true)
	return nil
}

// saveProblem explains why SaveRule refused a change, for the form whose
// status is the error's code's; "" for an error that is not the user's to
// fix.
func (c *Console) saveProblem(r *http.Request, err error, id string, d *ruleData) string {
	var lint *rules.LintError
	switch {
	case fault.FieldsOf(err) != nil:
		d.setErrors(fault.FieldsOf(err))
		return "The rule was not saved: fix the fields marked below."
	case errors.As(err, &lint):
		d.Findings = &rules.Findings{Errors: lint.Findings}
		return "The rule was not saved: it conflicts with another rule (below). Give one of them a priority, or narrow its scope."
	case errors.Is(err, rules.ErrStale):
		msg := "The rule was not saved: someone changed it since you opened it."
		if cur, gerr := c.catalog.Rules().Get(r.Context(), id); gerr == nil {
			msg = fmt.Sprintf("The rule was not saved: it is now at version %d, changed since you opened version %d. Your edit is kept below; open the rule again in another tab to see the change, then save yours on top of it.", cur.Version, d.Form.Version)
			d.Form.Version = cur.Version
		}
		return msg
	case errors.Is(err, rules.ErrNotFound):
		return "The rule was not saved: it no longer exists (deleted meanwhile)."
	case errors.Is(err, catalog.ErrInvalid):
		return "The rule was not saved: " + err.Error()
	}
	return ""
}

// previewRule prices the catalog with the form's rule in place and saves
// nothing: what the impact panel shows is what saving would do.
func (c *Console) previewRule(w http.ResponseWriter, r *http.Request) error {
	f := readForm(r.PostForm)
	d := c.ruleData(r.Context(), f)
	status := http.StatusOK
	rule, errs := f.rule()
	if len(errs) > 0 {
		d.setErrors(errs)
		status = fault.PageStatus(fault.Validation)
	} else {
		op := "create"
		if f.ID != "" {
			op = "update"
		}
		imp, err := c.catalog.Preview(r.Context(), []catalog.RuleChange{{Op: op, Rule: rule, Version: f.Version}})
		switch {
		case err == nil:
			d.Impact = imp
		case errors.Is(err, catalog.ErrNotFound), errors.Is(err, rules.ErrNotFound):
			// What the form was opened on is gone: a conflict, as for a
			// rule changed meanwhile.
			d.Problem = "No preview: the catalog is not built yet, or the rule was deleted meanwhile."
			status = fault.PageStatus(fault.VersionMismatch)
		default:
			if d.Problem = c.saveProblem(r, err, f.ID, &d); d.Problem == "" {
				return ours(err)
			}
			status = fault.PageStatus(fault.CodeOf(err))
		}
	}
	if htmx(r) {
		// htmx swaps only 2xx answers: the fragment says what is wrong.
		return c.renderPart(w, r, http.StatusOK, "rule", "preview", view{Data: d})
	}
	return c.renderRule(w, r, status, d)
}

// toggleRule enables or disables a rule: an update like any other, so a
// rule that would conflict once enabled is refused.
func (c *Console) toggleRule(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	rule, err := c.catalog.Rules().Get(r.Context(), id)
	if errors.Is(err, rules.ErrNotFound) {
		return &notice{Prefix + "/rules", "No rule " + id + ": it was deleted."}
	}
	if err != nil {
		return err
	}
	if rule.Version != version {
		return &notice{Prefix + "/rules", fmt.Sprintf("Nothing changed: rule “%s” changed since this page was loaded (now version %d). Check it and try again.", rule.Name, rule.Version)}
	}
	rule.Enabled = !rule.Enabled
	saved, _, err := c.catalog.SaveRule(context.WithoutCancel(r.Context()), catalog.RuleChange{Op: "update", Rule: rule, Version: version}, actor(r))
	state := map[bool]string{true: "enabled", false: "disabled"}[rule.Enabled]
	var lint *rules.LintError
	switch {
	case err == nil:
		c.back(w, r, Prefix+"/rules", fmt.Sprintf("Rule “%s” %s (version %d).", saved.Name, state, saved.Version), true)
		return nil
	case errors.As(err, &lint):
		return &notice{Prefix + "/rules", fmt.Sprintf("Rule “%s” was not %s: %s", rule.Name, state, lint.Error())}
	case errors.Is(err, rules.ErrStale), errors.Is(err, rules.ErrNotFound):
		return &notice{Prefix + "/rules", "Nothing changed: rule “" + rule.Name + "” changed meanwhile. Check it and try again."}
	}
	return ours(err)
}

func (c *Console) deleteRule(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	version, _ := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	old, _, err := c.catalog.SaveRule(context.WithoutCancel(r.Context()), catalog.RuleChange{Op: "delete", ID: id, Version: version}, actor(r))
	switch {
	case err == nil:
		c.back(w, r, Prefix+"/rules", "Deleted rule “"+old.Name+"”.", true)
		return nil
	case errors.Is(err, rules.ErrStale):
		return &notice{Prefix + "/rules/" + id, "Not deleted: the rule changed since you opened it. Check it and try again."}
	case errors.Is(err, rules.ErrNotFound):
		return &notice{Prefix + "/rules", "Rule " + id + " was already deleted."}
	}
	return ours(err)
}
