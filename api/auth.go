package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
)

type principalKey struct{}

// PrincipalFrom returns the authenticated caller of a request.
func PrincipalFrom(ctx context.Context) (auth.Principal, bool) {
	switch p := ctx.Value(principalKey{}).(type) {
	case *auth.Principal: // a requestContext's
		return *p, true
	case auth.Principal:
		return p, true
	}
	return auth.Principal{}, false
}

// require refuses requests without a token of at least role: 401 without a
// valid token, 403 with one whose role is too low.
func (s *Server) require(role auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The check is a function of its own, returned from before
			// next runs: its frame is not on the stack under every
			// handler (see observe).
			if r, ok := s.authorize(w, r, role); ok {
				next.ServeHTTP(w, r)
			}
		})
	}
}

// authorize checks r's token for role and returns r with its caller, or
// answers the refusal and reports false.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, role auth.Role) (*http.Request, bool) {
	token, ok := bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="syncd"`)
		writeError(w, r, s.log, fault.New(fault.Unauthorized, "missing bearer token"))
		return r, false
	}
	p, err := s.tokens.Authenticate(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		w.Header().Set("WWW-Authenticate", `Bearer realm="syncd", error="invalid_token"`)
		writeError(w, r, s.log, fault.New(fault.Unauthorized, "invalid bearer token"))
		return r, false
	case err != nil:
		s.log.Error("authenticate", "path", r.URL.Path, "request_id", middleware.GetReqID(r.Context()), "err", err)
		writeError(w, r, s.log, fault.New(fault.Unavailable, "cannot check the token now; try again"))
		return r, false
	}
	if p.Role < role {
		writeError(w, r, s.log, fault.New(fault.Forbidden, "this needs the "+role.String()+" role"))
		return r, false
	}
	if rc := requestContextOf(r.Context()); rc != nil {
		rc.principal, rc.hasPrincipal = p, true
		return r, true
	}
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p)), true
}

func bearer(r *http.Request) (string, bool) {
	h := header(r, "Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
