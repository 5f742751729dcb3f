package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/internal/strictjson"
	"github.com/syncd/syncd/rules"
)

// maxPreviewChanges bounds the changes one preview weighs.
const maxPreviewChanges = 100

// wireChange is one proposed change as a preview request carries it; the
// rule is decoded by rules.Decode, as strictly as a save.
type wireChange struct {
	Op      string          `json:"op"`
	ID      *string         `json:"id"`
	Version *int64          `json:"version"`
	Rule    json.RawMessage `json:"rule"`
}

// proposedID is what a rule being created is called before it has an id:
// catalog names the n-th change (from 0) so in lint findings when the rule
// has none, and so does the API where it names them itself.
func proposedID(n int) string { return fmt.Sprintf("proposed-%d", n+1) }

// previewRules prices the proposed changes without saving any: the
// answer is what saving them would do to prices, and what lint says of
// the rule set they make (conflicts included, which a save would refuse).
// Every error about one change names its index.
func (s *Server) previewRules(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.snapshot(); err != nil {
		return err
	}
	var in struct {
		Changes []json.RawMessage `json:"changes"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if n := len(in.Changes); n == 0 || n > maxPreviewChanges {
		msg := fmt.Sprintf("want 1 to %d changes", maxPreviewChanges)
		return &fault.Error{Code: fault.Validation, Message: "changes: " + msg,
			Details: map[string]any{"changes": msg}}
	}
	current, err := s.catalog.Rules().List(r.Context())
	if err != nil {
		return err
	}
	versions := make(map[string]int64, len(current))
	for _, rule := range current {
		versions[rule.ID] = rule.Version
	}
	changed := map[string]int{} // rule id → the change that touches it
	changes := make([]catalog.RuleChange, len(in.Changes))
	for i, raw := range in.Changes {
		ch, err := readChange(i, raw)
		if err != nil {
			return err
		}
		if ch.Op != "create" {
			cur, ok := versions[ch.ID]
			at := fmt.Sprintf("changes[%d]", i)
			switch j, dup := changed[ch.ID]; {
			case !ok:
				return &fault.Error{Code: fault.RuleNotFound,
					Message: fmt.Sprintf("%s: no rule %s", at, ch.ID), Details: map[string]any{"index": i, "id": ch.ID}}
			case dup:
				msg := fmt.Sprintf("rule %s is already changed by changes[%d]; make one change of it", ch.ID, j)
				return &fault.Error{Code: fault.Validation, Message: at + ".id: " + msg,
					Details: map[string]any{"index": i, at + ".id": msg}}
			case cur != ch.Version:
				return &fault.Error{Code: fault.VersionMismatch,
					Message: fmt.Sprintf("%s: rule %s is at version %d, not %d: reload it and propose the change again", at, ch.ID, cur, ch.Version),
					Details: map[string]any{"index": i, "id": ch.ID, "current_version": cur}}
			}
			changed[ch.ID] = i
		}
		changes[i] = ch
	}
	imp, err := s.catalog.Preview(r.Context(), changes)
	if err != nil {
		return err
	}
	imp.Lint.Errors, imp.Lint.Warnings = nonNil(imp.Lint.Errors), nonNil(imp.Lint.Warnings)
	writeJSON(w, http.StatusOK, imp)
	return nil
}

// readChange reads and checks change i: a 400 for what is not a change
// document, a 422 naming every field wrong, both with the index.
func readChange(i int, raw json.RawMessage) (catalog.RuleChange, error) {
	at := fmt.Sprintf("changes[%d]", i)
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return catalog.RuleChange{}, indexed(fault.New(fault.BadJSON, "must be a JSON object"), i, at)
	}
	var wc wireChange
	if err := strictjson.Decode(raw, &wc); err != nil {
		return catalog.RuleChange{}, indexed(badJSON(err), i, at)
	}

	fields := map[string]string{}
	var rule rules.Rule
	hasRule := len(wc.Rule) > 0 && string(wc.Rule) != "null"
	decoded := false
	if hasRule {
		var err error
		rule, err = rules.Decode(wc.Rule)
		switch ve := fault.FieldsOf(err); {
		case ve != nil:
			for f, msg := range ve {
				fields["rule."+f] = msg
			}
		case err != nil:
			return catalog.RuleChange{}, indexed(badRule(err, ""), i, at+".rule")
		default:
			decoded = true
		}
	}
	ch := catalog.RuleChange{Op: wc.Op}
	if wc.ID != nil {
		ch.ID = *wc.ID
	}
	if wc.Version != nil {
		ch.Version = *wc.Version
	}
	switch wc.Op {
	case "create":
		if wc.ID != nil {
			fields["id"] = "must be left out for create: the server assigns it"
		}
		if wc.Version != nil {
			fields["version"] = "must be left out for create"
		}
		if !hasRule {
			fields["rule"] = "required for create"
		}
		if decoded && rule.ID != "" {
			fields["rule.id"] = "must be left out (or null) for create"
		}
		if decoded && rule.Version != 0 {
			fields["rule.version"] = "must be left out (or 0) for create"
		}
		rule.ID = proposedID(i)
	case "update", "delete":
		if ch.ID == "" {
			fields["id"] = "required for " + wc.Op + ": the rule to change"
		}
		if wc.Version == nil {
			fields["version"] = "required for " + wc.Op + ": the version of the rule you read"
		}
		switch {
		case wc.Op == "delete" && hasRule:
			fields["rule"] = "must be left out for delete"
		case wc.Op == "update" && !hasRule:
			fields["rule"] = "required for update"
		}
		if decoded && rule.ID != "" && rule.ID != ch.ID {
			fields["rule.id"] = "must be left out or be the change's id"
		}
		if decoded && rule.Version != 0 && rule.Version != ch.Version {
			fields["rule.version"] = "must be left out or be the change's version"
		}
		rule.ID = ch.ID
	case "":
		fields["op"] = "required: create, update or delete"
	default:
		fields["op"] = "must be create, update or delete"
	}
	if decoded && wc.Op != "delete" {
		for f, msg := range fault.FieldsOf(rule.Validate()) {
			fields["rule."+f] = msg
		}
	}
	if len(fields) > 0 {
		details := map[string]any{"index": i}
		msgs := make([]string, 0, len(fields))
		for f, msg := range fields {
			details[at+"."+f] = msg
			msgs = append(msgs, at+"."+f+": "+msg)
		}
		slices.Sort(msgs)
		return catalog.RuleChange{}, &fault.Error{Code: fault.Validation,
			Message: "invalid change: " + strings.Join(msgs, "; "), Details: details}
	}
	ch.Rule = rule
	return ch, nil
}

// indexed places an error about part of change i: its field under at,
// and the index in details.
func indexed(err error, i int, at string) error {
	e := fault.As(err)
	if e == nil {
		return err
	}
	out := &fault.Error{Code: e.Code, Message: at + ": " + e.Message, Details: map[string]any{"index": i, "field": at}}
	if f, ok := e.Details["field"].(string); ok && f != "" {
		out.Details["field"] = at + "." + f
	}
	return out
}
