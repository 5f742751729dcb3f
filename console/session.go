package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/fault"
)

// Sessions: the cookie holds a random id; the server keeps, under the id's
// SHA-256, the token's SHA-256 (never the token), the CSRF token and a
// one-time message. A session ends after idleTimeout without a request,
// after maxAge whatever happens, at sign-out, and as soon as its token is
// revoked (auth.Store.Recheck on every request).
const (
	sessionCookie = "syncd_console"
	signinCookie  = "syncd_console_signin" // the sign-in form's CSRF value, before there is a session
	idleTimeout   = 12 * time.Hour
	maxAge        = 7 * 24 * time.Hour
	maxSessions   = 10_000
	maxFormBytes  = 64 << 10
)

type session struct {
	token   [sha256.Size]byte // SHA-256 of the token signed in with
	csrf    string
	created time.Time
	seen    time.Time
	flash   string
	flashOK bool
}

// current is the session of one request, with who its token is now.
type current struct {
	*session
	principal auth.Principal
}

type sessions struct {
	mu  sync.Mutex
	m   map[[sha256.Size]byte]*session // by SHA-256 of the cookie's id
	now func() time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{m: map[[sha256.Size]byte]*session{}, now: now}
}

// create starts a session for a token and returns the cookie's id.
func (s *sessions) create(token [sha256.Size]byte) string {
	id := rand.Text() + rand.Text() // 260 bits
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxSessions {
		s.pruneLocked(now)
	}
	if len(s.m) >= maxSessions {
		// Still full of live sessions: drop the least recently used.
		var oldest [sha256.Size]byte
		var at time.Time
		for k, v := range s.m {
			if at.IsZero() || v.seen.Before(at) {
				oldest, at = k, v.seen
			}
		}
		delete(s.m, oldest)
	}
	s.m[sha256.Sum256([]byte(id))] = &session{token: token, csrf: rand.Text(), created: now, seen: now}
	return id
}

// get returns the live session of a cookie's id and marks it used.
func (s *sessions) get(id string) *session {
	key := sha256.Sum256([]byte(id))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[key]
	if !ok {
		return nil
	}
	if now.Sub(sess.seen) > idleTimeout || now.Sub(sess.created) > maxAge {
		delete(s.m, key)
		return nil
	}
	sess.seen = now
	return sess
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	delete(s.m, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

func (s *sessions) pruneLocked(now time.Time) {
	for k, v := range s.m {
		if now.Sub(v.seen) > idleTimeout || now.Sub(v.created) > maxAge {
			delete(s.m, k)
		}
	}
}

func (s *sessions) setFlash(sess *session, msg string, ok bool) {
	s.mu.Lock()
	sess.flash, sess.flashOK = msg, ok
	s.mu.Unlock()
}

func (s *sessions) takeFlash(sess *current) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	msg, ok := sess.flash, sess.flashOK
	sess.flash, sess.flashOK = "", false
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
			var sess *session
			ck, err := r.Cookie(sessionCookie)
			if err == nil {
				sess = c.sessions.get(ck.Value)
			}
			var p auth.Principal
			if sess != nil {
				if p, err = c.tokens.Recheck(sess.token); err != nil || p.Role < auth.RoleMerchandiser {
					c.sessions.delete(ck.Value)
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
			cur := &current{session: sess, principal: p}
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
				if !sameToken(r.PostForm.Get("csrf"), sess.csrf) {
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
		c.sessions.delete(old.Value)
	}
	id := c.sessions.create(auth.Digest(token))
	setCookie(w, r, sessionCookie, id, 0)
	setCookie(w, r, signinCookie, "", -1)
	c.log.Info("console sign-in", "name", p.Name, "role", p.Role.String())
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
	return nil
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request) error {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.sessions.delete(ck.Value)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/signin", http.StatusSeeOther)
	return nil
}
