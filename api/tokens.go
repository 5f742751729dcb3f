package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/printable"
)

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	tokens, err := s.tokens.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": tokens})
	return nil
}

// createdToken is the one response that carries a token's secret.
type createdToken struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Token     string    `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	// auth refuses control characters in a name; bidi controls and other
	// invisible formatting characters are refused here, as in every name.
	if err := printable.Line(in.Name); err != nil {
		return &auth.ValidationError{Fields: map[string]string{"name": err.Error()}}
	}
	// An unknown role parses to the zero Role, which Create refuses together
	// with anything else wrong, so the client learns every field at once.
	role, _ := auth.ParseRole(in.Role)
	secret, tok, err := s.tokens.Create(r.Context(), in.Name, role)
	if err != nil {
		return err
	}
	by, _ := PrincipalFrom(r.Context())
	s.log.Info("token created", "token", tok.ID, "name", tok.Name, "role", tok.Role.String(), "by", by.Name,
		"request_id", middleware.GetReqID(r.Context()))
	w.Header().Set("Location", "/v1/tokens/"+strconv.FormatInt(tok.ID, 10))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createdToken{
		ID: tok.ID, Name: tok.Name, Role: tok.Role, CreatedAt: tok.CreatedAt, Token: secret,
	})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return auth.ErrNotFound
	}
	if err := s.tokens.Revoke(r.Context(), id); err != nil {
		return err
	}
	by, _ := PrincipalFrom(r.Context())
	s.log.Info("token revoked", "token", id, "by", by.Name, "request_id", middleware.GetReqID(r.Context()))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
