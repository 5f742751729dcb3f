package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/fault"
	"github.com/syncd/syncd/rules"
)

// The merchandiser's margin rules: CRUD with optimistic versions (the
// rule's version is its ETag, and every change needs If-Match), the audit
// trail, price tiers, previews and price explanations.
//
// A create body must not carry id or version: the server assigns both,
// and a body that names a rule is more likely an edit sent to the wrong
// URL than a copy. The contract form of an unsaved rule ("id": null,
// "version": 0) is accepted. An update body may carry them only as the
// rule's own id and the If-Match version, so a rule read with GET can be
// sent back as it is.

func (s *Server) listRules(w http.ResponseWriter, r *http.Request) error {
	list, err := s.catalog.Rules().List(r.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []rules.Rule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": list})
	return nil
}

// ruleETag is a rule's version as a strong ETag: versions only grow, so
// a version names one content of one rule.
func ruleETag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

func (s *Server) getRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.catalog.Rules().Get(r.Context(), pathParam(r, "id"))
	if err != nil {
		return err
	}
	etag := ruleETag(rule.Version)
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}

// savedRule is the answer to a create or update: the rule as stored and
// what lint warns about it (matches nothing, shadowed, expired).
type savedRule struct {
	Rule     rules.Rule      `json:"rule"`
	Warnings []rules.Finding `json:"warnings"`
}

func (s *Server) createRule(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.snapshot(); err != nil {
		return err
	}
	rule, err := readRule(w, r)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	if rule.ID != "" {
		fields["id"] = "assigned by the server; leave it out (or null) to create a rule, or PUT /v1/rules/{id} to change one"
	}
	if rule.Version != 0 {
		fields["version"] = "assigned by the server; leave it out (or 0) to create a rule"
	}
	if err := invalid(rule, fields); err != nil {
		return err
	}
	saved, findings, err := s.catalog.SaveRule(saveContext(r), catalog.RuleChange{Op: "create", Rule: rule}, who(r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/rules/"+saved.ID)
	w.Header().Set("ETag", ruleETag(saved.Version))
	// Lint ran before the rule had an id, and called it proposed-1.
	writeJSON(w, http.StatusCreated, savedRule{Rule: saved, Warnings: renamed(findings.Warnings, proposedID(0), saved.ID)})
	return nil
}

func (s *Server) updateRule(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.snapshot(); err != nil {
		return err
	}
	id := pathParam(r, "id")
	version, err := s.precondition(r, id)
	if err != nil {
		return err
	}
	rule, err := readRule(w, r)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	if rule.ID != "" && rule.ID != id {
		fields["id"] = "must be left out or be " + id + ", the rule this URL names"
	}
	if rule.Version != 0 && rule.Version != version {
		fields["version"] = fmt.Sprintf("must be left out or be %d, the version If-Match names", version)
	}
	if err := invalid(rule, fields); err != nil {
		return err
	}
	rule.ID = id
	saved, findings, err := s.catalog.SaveRule(saveContext(r), catalog.RuleChange{Op: "update", Rule: rule, Version: version}, who(r))
	if errors.Is(err, rules.ErrStale) {
		return s.stale(r.Context(), id) // another edit won the race since the check
	}
	if err != nil {
		return err
	}
	w.Header().Set("ETag", ruleETag(saved.Version))
	writeJSON(w, http.StatusOK, savedRule{Rule: saved, Warnings: nonNil(findings.Warnings)})
	return nil
}

func (s *Server) deleteRule(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.snapshot(); err != nil {
		return err
	}
	id := pathParam(r, "id")
	version, err := s.precondition(r, id)
	if err != nil {
		return err
	}
	_, _, err = s.catalog.SaveRule(saveContext(r), catalog.RuleChange{Op: "delete", ID: id, Version: version}, who(r))
	if errors.Is(err, rules.ErrStale) {
		return s.stale(r.Context(), id)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// saveContext is the request's context without its cancellation: a
// client that hangs up after its rule is stored must not stop the
// reprice, or storefronts would be served prices of the old rules until
// the next sync. (A reprice that fails after the store is SaveRule's to
// log: the save succeeded.)
func saveContext(r *http.Request) context.Context { return context.WithoutCancel(r.Context()) }

// precondition checks If-Match against rule id's current version and
// returns the version the change is based on. Without If-Match (or with
// "*", which names no version) the change is refused with 428: a rule
// edited blind could undo a colleague's edit unseen.
func (s *Server) precondition(r *http.Request, id string) (int64, error) {
	cur, err := s.catalog.Rules().Get(r.Context(), id)
	if err != nil {
		return 0, err
	}
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, &fault.Error{Code: fault.PreconditionRequired,
			Message: `changing a rule needs If-Match: "<version>", the ETag of the rule as you read it`}
	}
	// If-Match compares strongly, so a weak W/"3" never matches.
	for _, tag := range strings.Split(h, ",") {
		if strings.TrimSpace(tag) == ruleETag(cur.Version) {
			return cur.Version, nil
		}
	}
	return 0, staleError(cur)
}

// stale is the 412 for a rule that changed under a save, with its
// version now.
func (s *Server) stale(ctx context.Context, id string) error {
	cur, err := s.catalog.Rules().Get(ctx, id)
	if err != nil {
		return err // deleted meanwhile: 404
	}
	return staleError(cur)
}

func staleError(cur rules.Rule) *fault.Error {
	return &fault.Error{Code: fault.VersionMismatch,
		Message: fmt.Sprintf("rule %s is at version %d, not the version If-Match names: reload it and make the change again", cur.ID, cur.Version),
		Details: map[string]any{"id": cur.ID, "current_version": cur.Version}}
}

// readRule reads a rule in its contract form from the body, under the
// body limit. A document that is not a rule is a 400 naming the field;
// a required member missing is a 422.
func readRule(w http.ResponseWriter, r *http.Request) (rules.Rule, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return rules.Rule{}, badJSON(err)
	}
	rule, err := rules.Decode(body)
	if err != nil {
		return rules.Rule{}, badRule(err, "")
	}
	return rule, nil
}

// invalid returns a 422 with fields and everything Validate finds, or nil.
func invalid(rule rules.Rule, fields map[string]string) error {
	maps.Copy(fields, fault.FieldsOf(rule.Validate()))
	if len(fields) == 0 {
		return nil
	}
	return rules.ErrInvalid.WithFields(fields)
}

// renamed returns findings with rule id from called to, in their rule
// lists and in their messages (which label a rule `rule <id> "<name>"`).
// The result is never nil.
func renamed(findings []rules.Finding, from, to string) []rules.Finding {
	out := make([]rules.Finding, len(findings))
	for i, f := range findings {
		f.Rules = slices.Clone(f.Rules)
		for j, id := range f.Rules {
			if id == from {
				f.Rules[j] = to
			}
		}
		f.Message = strings.ReplaceAll(f.Message, "rule "+from+" ", "rule "+to+" ")
		out[i] = f
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Audit pages.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 1000
)

func (s *Server) ruleAudit(w http.ResponseWriter, r *http.Request) error {
	limit, err := auditLimit(r)
	if err != nil {
		return err
	}
	id := pathParam(r, "id") // "" on /v1/rules/audit: every rule
	entries, err := s.catalog.Rules().Audit(r.Context(), id, limit)
	if err != nil {
		return err
	}
	// A rule that ever existed has its create entry, deleted or not.
	if id != "" && len(entries) == 0 {
		return fmt.Errorf("rule %s: %w", id, rules.ErrNotFound)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
	return nil
}

func auditLimit(r *http.Request) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return defaultAuditLimit, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxAuditLimit {
		return 0, &fault.Error{Code: fault.BadRequest,
			Message: fmt.Sprintf("limit must be a whole number from 1 to %d", maxAuditLimit), Details: map[string]any{"limit": raw}}
	}
	return n, nil
}

func (s *Server) listTiers(w http.ResponseWriter, r *http.Request) error {
	tiers, err := s.catalog.Rules().Tiers(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tiers": nonNil(tiers)})
	return nil
}

func (s *Server) createTier(w http.ResponseWriter, r *http.Request) error {
	var in rules.Tier
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	tier, err := s.catalog.CreateTier(r.Context(), in)
	if err != nil {
		return err
	}
	// The catalog learns its tiers when it rebuilds; rebuild now so
	// storefronts can ask for ?tier= at once. Not before the first build,
	// which must come from a sync: that would serve an empty catalog.
	if s.catalog.Snapshot() != nil {
		if _, err := s.catalog.Refresh(saveContext(r)); err != nil {
			// The tier is stored; the next sync's refresh serves it.
			s.log.Error("refresh after creating a tier", "tier", tier.ID, "request_id", middleware.GetReqID(r.Context()), "err", err)
		}
	}
	writeJSON(w, http.StatusCreated, tier)
	return nil
}

func (s *Server) explainPrice(w http.ResponseWriter, r *http.Request) error {
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	id := pathParam(r, "item")
	if _, ok := snap.Item(id); !ok {
		return fault.New(fault.ItemNotFound, "no item "+id)
	}
	tier, err := tierOf(r, snap)
	if err != nil {
		return err
	}
	ex, err := snap.Explain(id, tier)
	if err != nil {
		return err
	}
	if ex.Quote != nil {
		ex.Quote.Bounds = nonNil(ex.Quote.Bounds) // nil for an invalid input; the explanation is ours
	}
	writeJSON(w, http.StatusOK, ex)
	return nil
}
