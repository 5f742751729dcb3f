package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/console"
	"github.com/syncd/syncd/internal/testenv"
)

// instance is a second syncd on the env's database, as behind a load
// balancer: its own *syncd.DB, token store, catalog, console and API,
// served over real HTTP.
func (e *env) instance() *httptest.Server {
	e.t.Helper()
	ctx := context.Background()
	db := testenv.OpenDB(e.t, e.path)
	log := testenv.New(e.t, testenv.Config{}).Log
	tokens, err := auth.NewStore(ctx, db, log, auth.WithAdminToken(e.admin))
	if err != nil {
		e.t.Fatal(err)
	}
	cat := catalog.NewCatalog(db, log, catalogConfig(24*time.Hour))
	e.t.Cleanup(cat.Close)
	if _, err := cat.Refresh(ctx); err != nil {
		e.t.Fatal(err)
	}
	con, err := console.New(console.Config{Suppliers: supplierNames, StaleAfter: 24 * time.Hour}, log, tokens, nil, cat, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Suppliers: supplierNames, StaleAfter: 24 * time.Hour, Console: con},
		log, tokens, nil, cat, nil, nil))
	e.t.Cleanup(srv.Close)
	return srv
}

// at is the client asking another instance, with the same cookies: both
// servers are on 127.0.0.1, and cookies do not tell ports apart, as a
// browser's do not tell the instances behind one host apart.
func (c *client) at(srv *httptest.Server) *client {
	other := *c
	other.base = srv.URL
	return &other
}

// sessionCookie is the client's console session id, "" if it has none.
func (c *client) sessionCookie() string {
	u, _ := url.Parse(c.url() + console.Prefix + "/")
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "syncd_console" {
			return ck.Value
		}
	}
	return ""
}

// withSession asks base for a console page with the given session id,
// as a browser that kept the cookie would, and returns the status.
func withSession(t *testing.T, base, id string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+console.Prefix+"/catalog", nil)
	req.AddCookie(&http.Cookie{Name: "syncd_console", Value: id})
	return status(t, req)
}

// apiStatus is the status of an API call to base with a bearer token.
func apiStatus(t *testing.T, base, path, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return status(t, req)
}

func status(t *testing.T, req *http.Request) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond until it holds or a generous deadline passes: the
// promise is a second, the deadline only keeps a broken build from
// hanging.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after 15 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A session made on one instance works on another; signing out on one
// ends it on both.
func TestSessionAcrossInstances(t *testing.T) {
	e := newEnv(t)
	b := e.instance()

	onA := e.signedIn(e.merch)
	id := onA.sessionCookie()
	if id == "" {
		t.Fatal("signed in on A, but no session cookie")
	}
	onB := onA.at(b)
	_, page := onB.get("/console/catalog", http.StatusOK)
	mustContain(t, "catalog on B", page, "mia")

	// A message set by an action on B is shown once, on A.
	onB.submit("/console/rules/new", url.Values{"name": {"from B"}, "enabled": {"on"}, "game": {"mobile-legends"},
		"kind": {"markup_percent"}, "value": {"10"}, "step": {"100"}, "mode": {"up"}}, http.StatusSeeOther)
	_, page = onA.get("/console/rules", http.StatusOK)
	_, again := onA.get("/console/rules", http.StatusOK)
	if !strings.Contains(page, `<p class="flash ok" role="status">Saved rule`) || strings.Contains(again, `class="flash ok"`) {
		t.Errorf("the message of B's action: shown on A's next page %v, on the one after %v; want on the next only",
			strings.Contains(page, `class="flash ok"`), strings.Contains(again, `class="flash ok"`))
	}

	onB.submit("/console/signout", nil, http.StatusSeeOther)
	if got := withSession(t, e.srv.URL, id); got != http.StatusSeeOther {
		t.Fatalf("the session signed out on B, used on A: got %d, want 303 to sign-in", got)
	}
	if got := withSession(t, b.URL, id); got != http.StatusSeeOther {
		t.Fatalf("the session signed out on B, used on B: got %d, want 303 to sign-in", got)
	}
}

// A token revoked through one instance stops working on another, in the
// API and in the console sessions signed in with it, within a second:
// polled, with a deadline far above that.
func TestRevocationAcrossInstances(t *testing.T) {
	e := newEnv(t)
	b := e.instance()
	ctx := context.Background()
	secret, tok, err := e.tokens.Create(ctx, "nadia", auth.RoleMerchandiser)
	if err != nil {
		t.Fatal(err)
	}

	// Both instances know the token: B learns of it at its first use.
	onA := e.signedIn(secret)
	id := onA.sessionCookie()
	if got := withSession(t, b.URL, id); got != http.StatusOK {
		t.Fatalf("A's session on B: got %d, want 200", got)
	}
	if got := apiStatus(t, b.URL, "/v1/tiers", secret); got != http.StatusOK {
		t.Fatalf("the token's API call on B: got %d, want 200", got)
	}

	req, _ := http.NewRequest("DELETE", fmt.Sprintf("%s/v1/tokens/%d", e.srv.URL, tok.ID), nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	if got := status(t, req); got != http.StatusNoContent && got != http.StatusOK {
		t.Fatalf("revoke through A: got %d", got)
	}
	// B answered for the token a moment ago: its copy is fresh, and only
	// the version check makes it let go.
	eventually(t, "the revoked token's API call on B is refused", func() bool {
		return apiStatus(t, b.URL, "/v1/tiers", secret) == http.StatusUnauthorized
	})
	eventually(t, "the revoked token's console session on B is over", func() bool {
		return withSession(t, b.URL, id) == http.StatusSeeOther
	})
	if got := withSession(t, e.srv.URL, id); got != http.StatusSeeOther {
		t.Fatalf("the revoked token's session on A: got %d, want 303 to sign-in", got)
	}
	if got := apiStatus(t, e.srv.URL, "/v1/tiers", secret); got != http.StatusUnauthorized {
		t.Fatalf("the revoked token's API call on A: got %d, want 401", got)
	}
	// Another token is untouched.
	if got := apiStatus(t, b.URL, "/v1/tiers", e.merch); got != http.StatusOK {
		t.Fatalf("another token on B: got %d, want 200", got)
	}
}
