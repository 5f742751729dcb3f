package api

import (
	"net/http"
	"net/url"

	"github.com/go-chi/chi/v5"

	"github.com/syncd/syncd/internal/fault"
)

// A merchandiser's decisions on supplier games: link one into a canonical
// game, split one into a game of its own, and their audit.

// pathParam is a path parameter as sent: chi routes on the escaped path
// when the request has one, so "A%2FB" names the code "A/B".
func pathParam(r *http.Request, name string) string {
	v := chi.URLParam(r, name)
	if r.URL.RawPath != "" {
		if u, err := url.PathUnescape(v); err == nil {
			return u
		}
	}
	return v
}

func (s *Server) linkGame(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Game string `json:"game"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Game == "" {
		return &fault.Error{Code: fault.Validation, Message: "game is required",
			Details: map[string]any{"game": "required: the canonical game the supplier game is part of"}}
	}
	d, err := s.catalog.LinkGame(r.Context(), pathParam(r, "supplier"), pathParam(r, "code"), body.Game, who(r))
	if err != nil {
		return fieldError(err, "game")
	}
	writeJSON(w, http.StatusOK, map[string]any{"decision": d})
	return nil
}

func (s *Server) splitGame(w http.ResponseWriter, r *http.Request) error {
	d, err := s.catalog.SplitGame(r.Context(), pathParam(r, "supplier"), pathParam(r, "code"), who(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"decision": d})
	return nil
}

func (s *Server) gameDecisions(w http.ResponseWriter, r *http.Request) error {
	limit, err := auditLimit(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	supplier, code := q.Get("supplier"), q.Get("code")
	if (supplier == "") != (code == "") {
		return &fault.Error{Code: fault.BadRequest,
			Message: "supplier and code name one supplier game together: give both or neither",
			Details: map[string]any{"supplier": supplier, "code": code}}
	}
	list, err := s.catalog.GameDecisions(r.Context(), supplier, code, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"decisions": list})
	return nil
}
