package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Role is what a bearer token may do. Roles are ordered: each includes the
// ones before it.
type Role int

const (
	RoleStorefront Role = iota + 1
	RoleMerchandiser
	RoleAdmin
)

func (r Role) String() string {
	switch r {
	case RoleStorefront:
		return "storefront"
	case RoleMerchandiser:
		return "merchandiser"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// Principal is who made a request.
type Principal struct {
	Name string
	Role Role
}

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// hashToken is how tokens are compared and stored: never in clear.
func hashToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// authenticate resolves a bearer token. The bootstrap admin token from the
// environment is compared in constant time.
func (s *Server) authenticate(token string) (Principal, bool) {
	if s.adminHash != nil {
		h := hashToken(token)
		if subtle.ConstantTimeCompare(h[:], s.adminHash[:]) == 1 {
			return Principal{Name: "bootstrap-admin", Role: RoleAdmin}, true
		}
	}
	return Principal{}, false
}

// require refuses requests without a token of at least role.
func (s *Server) require(role Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			token, ok := bearer(r)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="syncd"`)
				writeError(w, r, s.log, errorf(http.StatusUnauthorized, "unauthorized", "missing bearer token"))
				return
			}
			p, ok := s.authenticate(token)
			if !ok {
				w.Header().Set("WWW-Authenticate", `Bearer realm="syncd", error="invalid_token"`)
				writeError(w, r, s.log, errorf(http.StatusUnauthorized, "unauthorized", "invalid bearer token"))
				return
			}
			if p.Role < role {
				writeError(w, r, s.log, errorf(http.StatusForbidden, "forbidden", "this needs the "+role.String()+" role"))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
		})
	}
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
