package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/syncd/syncd/internal/fault"
)

// Supplier cost moves the cost guard holds, and a merchandiser's accept.

func (s *Server) listCostHolds(w http.ResponseWriter, r *http.Request) error {
	holds, err := s.catalog.CostHolds(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"holds": holds})
	return nil
}

// acceptCost releases a held cost. The body names the held cost the
// merchandiser accepts: if the supplier named another since, nothing is
// accepted (409 cost_changed, with the cost held now).
func (s *Server) acceptCost(w http.ResponseWriter, r *http.Request) error {
	id, err := offerID(r)
	if err != nil {
		return err
	}
	var body struct {
		Cost *int64 `json:"cost"`
		Note string `json:"note"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Cost == nil || *body.Cost < 0 {
		return &fault.Error{Code: fault.Validation, Message: "cost is required: the held cost you accept",
			Details: map[string]any{"cost": "required: the held cost you accept, a whole rupiah amount"}}
	}
	ev, err := s.catalog.AcceptCost(r.Context(), id, *body.Cost, who(r), body.Note)
	if err != nil {
		return fieldError(err, "note")
	}
	writeJSON(w, http.StatusOK, map[string]any{"accepted": ev})
	return nil
}

func (s *Server) costHoldAudit(w http.ResponseWriter, r *http.Request) error {
	limit, err := auditLimit(r)
	if err != nil {
		return err
	}
	var offer int64
	if raw := r.URL.Query().Get("offer"); raw != "" {
		if offer, err = strconv.ParseInt(raw, 10, 64); err != nil || offer < 1 {
			return &fault.Error{Code: fault.BadRequest,
				Message: fmt.Sprintf("offer must be an offer id, not %q", raw), Details: map[string]any{"offer": raw}}
		}
	}
	events, err := s.catalog.CostHoldEvents(r.Context(), offer, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": events})
	return nil
}
