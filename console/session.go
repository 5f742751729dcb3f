package console

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
)

// Sessions: the cookie holds a random id; the database keeps, under the
// id's SHA-256, the token's SHA-256 (never the token), the CSRF token and a
// one-time message (auth.Store's sessions), so every instance knows every
// session. A session ends after auth.SessionIdle without a request, after
// auth.SessionMaxAge whatever happens, at sign-out, and as soon as its
// token is revoked (the revocation deletes it, and auth.Store.Recheck on
// every request refuses the token).
const (
	sessionCookie = "syncd_console"
	signinCookie  = "syncd_console_signin" // the sign-in form's CSRF value, before there is a session
	maxFormBytes  = 64 << 10
)

// current is the session of one request, with who its token is now.
type current struct {
	*auth.Session
	principal auth.Principal
}

// takeFlash is the session's one-time message, cleared as it is read. A
// message that cannot be cleared is logged and not shown, so it is not
// shown twice either.
func (c *Console) takeFlash(r *http.Request, s *current) (string, bool) {
	msg, ok, err := c.tokens.TakeFlash(r.Context(), s.Session)
	if err != nil {
		c.log.Error("console message", "request_id", middleware.GetReqID(r.Context()), "err", err)
	}
	return msg, ok
}

type sessionKey struct{}

// sessionFrom is the request's session, nil before sign-in.
func sessionFrom(r *http.Request) *current {
	s, _ := r.Context().Value(sessionKey{}).(*current)
	return s
}

// secure says whether cookies should be Secure: the request came over
// TLS, here or at a proxy in front.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r)})
}

// require admits requests of a signed-in session whose token still holds
// at least role, and checks the CSRF token of every POST before the
// handler runs. Without a session a page redirects to sign-in; an action
// is refused (its form cannot be replayed after signing in anyway).
func (c *Console) require(role auth.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var sess *auth.Session
			ck, err := r.Cookie(sessionCookie)
			if err == nil {
				if sess, err = c.tokens.Session(r.Context(), ck.Value); err != nil {
					c.fail(w, r, fmt.Errorf("console session: %w", err))
					return
				}
			}
			var p auth.Principal
			if sess != nil {
				p, err = c.tokens.Recheck(r.Context(), sess.Token)
				if err != nil && !errors.Is(err, auth.ErrInvalidToken) {
					c.fail(w, r, err)
					return
				}
				if err != nil || p.Role < auth.RoleMerchandiser {
					if err := c.tokens.EndSession(r.Context(), ck.Value); err != nil {
						c.fail(w, r, err)
						return
					}
					sess = nil
				}
			}
			if sess == nil {
				setCookie(w, r, sessionCookie, "", -1)
				if r.Method == http.MethodGet || r.Method == http.MethodHead {
					http.Redirect(w, r, Prefix+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				c.fail(w, r, &pageError{code: fault.Unauthorized, signIn: true,
					message: "Your session has ended (signed out, expired, or its token was revoked), so nothing was changed. Sign in again and repeat the change."})
				return
			}
			cur := &current{Session: sess, principal: p}
			r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, cur))
			if p.Role < role {
				c.fail(w, r, &pageError{code: fault.Forbidden, heading: "Not for your role",
					message: "This page needs the " + role.String() + " role; you are signed in as " + p.Name + ", a " + p.Role.String() + "."})
				return
			}
			if r.Method == http.MethodPost {
				r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
				if err := r.ParseForm(); err != nil {
					c.fail(w, r, &pageError{code: fault.BadRequest, heading: "Bad form",
						message: "The form could not be read: it is malformed or over 64 KB."})
					return
				}
				if !sameToken(r.PostForm.Get("csrf"), sess.CSRF) {
					c.fail(w, r, &pageError{code: fault.Forbidden, heading: "Form refused",
						message: "This form did not come from your console session (its CSRF token is missing or out of date), so nothing was changed. Reload the page and try again."})
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// signinData is the sign-in page's.
type signinData struct {
	Next  string
	Form  string // the form's CSRF value
	Error string
}

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) error {
	return c.renderSignin(w, r, http.StatusOK, "")
}

// renderSignin renders the sign-in form with a fresh pre-session CSRF
// value, in a SameSite=Strict cookie and the form: another site cannot
// sign a browser in with a token of its choosing. A refused sign-in shows
// why on the form, with the status of its code.
func (c *Console) renderSignin(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	v := rand.Text()
	setCookie(w, r, signinCookie, v, 3600)
	return c.render(w, r, status, "signin", view{Title: "Sign in", Data: signinData{Next: safeNext(r.FormValue("next")), Form: v, Error: msg}})
}

// safeNext keeps a post-sign-in destination only if it is a console page.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix+"/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix + "/catalog"
	}
	return next
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return c.renderSignin(w, r, fault.PageStatus(fault.BadRequest), "The form could not be read.")
	}
	ck, err := r.Cookie(signinCookie)
	if err != nil || !sameToken(r.PostForm.Get("csrf"), ck.Value) {
		return c.renderSignin(w, r, fault.PageStatus(fault.Forbidden), "The sign-in form was out of date or did not come from this page. Try again.")
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		return c.renderSignin(w, r, fault.PageStatus(fault.Validation), "Enter a token.")
	}
	p, err := c.tokens.Authenticate(r.Context(), token)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		return c.renderSignin(w, r, fault.PageStatus(fault.Unauthorized), "That token is not valid: it may be mistyped or revoked.")
	case err != nil:
		c.log.Error("console sign-in", "err", err)
		return c.renderSignin(w, r, fault.PageStatus(fault.Unavailable), "Tokens cannot be checked right now; try again in a moment.")
	case p.Role < auth.RoleMerchandiser:
		return c.renderSignin(w, r, fault.PageStatus(fault.Forbidden), "This is a "+p.Role.String()+" token: the console needs a merchandiser or admin token.")
	}
	// A new id at every sign-in: a session id planted before cannot be
	// carried into the signed-in session.
	if old, err := r.Cookie(sessionCookie); err == nil {
		if err := c.tokens.EndSession(r.Context(), old.Value); err != nil {
			return err
		}
	}
	id, err := c.tokens.StartSession(r.Context(), auth.Digest(token))
	if err != nil {
		return err
	}
	setCookie(w, r, sessionCookie, id, 0)
	setCookie(w, r, signinCookie, "", -1)
	c.log.Info("console sign-in", "name", p.Name, "role", p.Role.String())
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request) error {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := c.tokens.EndSession(r.Context(), ck.Value); err != nil {
			return err
		}
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
	return nil
}
