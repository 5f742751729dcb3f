package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
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
	Tiers     []string  `json:"tiers"`
	CreatedAt time.Time `json:"created_at"`
	Token     string    `json:"token"`
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name   string   `json:"name"`
		Role   string   `json:"role"`
		Tiers  []string `json:"tiers"`
		Rotate bool     `json:"rotate"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	// auth refuses control characters in a name; bidi controls and other
	// invisible formatting characters are refused here, as in every name.
	if err := printable.Line(in.Name); err != nil {
		return fault.Invalid("invalid token", map[string]string{"name": err.Error()})
	}
	// An unknown role parses to the zero Role, which Create refuses together
	// with anything else wrong, so the client learns every field at once.
	role, _ := auth.ParseRole(in.Role)
	var opts []auth.CreateOption
	if in.Tiers != nil {
		opts = append(opts, auth.WithTiers(in.Tiers))
	}
	if in.Rotate {
		opts = append(opts, auth.Rotate())
	}
	secret, tok, err := s.tokens.Create(r.Context(), in.Name, role, opts...)
	if err != nil {
		return err
	}
	by, _ := PrincipalFrom(r.Context())
	s.log.Info("token created", "token", tok.ID, "name", tok.Name, "role", tok.Role.String(), "tiers", tok.Tiers,
		"rotate", in.Rotate, "by", by.Name, "request_id", middleware.GetReqID(r.Context()))
	w.Header().Set("Location", "/v1/tokens/"+strconv.FormatInt(tok.ID, 10))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, createdToken{
		ID: tok.ID, Name: tok.Name, Role: tok.Role, Tiers: tok.Tiers, CreatedAt: tok.CreatedAt, Token: secret,
	})
	return nil
}

// patchToken changes what a token may do: today the price tiers of a
// storefront token, which take effect at once.
func (s *Server) patchToken(w http.ResponseWriter, r *http.Request) error {
	id, err := tokenID(r)
	if err != nil {
		return err
	}
	var in struct {
		Tiers []string `json:"tiers"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	tok, err := s.tokens.SetTiers(r.Context(), id, in.Tiers)
	if err != nil {
		return err
	}
	by, _ := PrincipalFrom(r.Context())
	s.log.Info("token tiers set", "token", tok.ID, "name", tok.Name, "tiers", tok.Tiers, "by", by.Name,
		"request_id", middleware.GetReqID(r.Context()))
	writeJSON(w, http.StatusOK, tok)
	return nil
}

func tokenID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(pathParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, auth.ErrNotFound
	}
	return id, nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id, err := tokenID(r)
	if err != nil {
		return err
	}
	if err := s.tokens.Revoke(r.Context(), id); err != nil {
		return err
	}
	by, _ := PrincipalFrom(r.Context())
	s.log.Info("token revoked", "token", id, "by", by.Name, "request_id", middleware.GetReqID(r.Context()))
	w.WriteHeader(http.StatusNoContent)
	return nil
}
