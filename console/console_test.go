package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/orders"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)

	t.Run("pages need a session", func(t *testing.T) {
		c := e.client()
		resp, _ := c.get("/console/rules", http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); loc != "/console/signin?next=%2Fconsole%2Frules" {
			t.Fatalf("redirect: got %q", loc)
		}
		resp, body := c.post("/console/rules/new", url.Values{"name": {"x"}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Sign in") {
			t.Fatalf("action without a session: got %d", resp.StatusCode)
		}
	})
	for _, tc := range []struct {
		name, token string
		status      int
		says        string
	}{
		{"storefront token", e.shop, http.StatusForbidden, "storefront token: the console needs a merchandiser or admin token"},
		{"unknown token", "syncd_NOTATOKEN", http.StatusUnauthorized, "not valid"},
		{"no token", "", http.StatusUnprocessableEntity, "Enter a token"},
	} {
		t.Run(tc.name+" cannot sign in", func(t *testing.T) {
			c := e.client()
			resp, body := c.signIn(tc.token)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.says) {
				t.Fatalf("got %d, want %d saying %q: %.400s", resp.StatusCode, tc.status, tc.says, body)
			}
			c.get("/console/catalog", http.StatusSeeOther) // still signed out
		})
	}
	t.Run("sign-in form without its CSRF value", func(t *testing.T) {
		c := e.client()
		resp, _ := c.post("/console/signin", url.Values{"token": {e.merch}}) // never loaded the form
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("got %d, want 403", resp.StatusCode)
		}
		c.get("/console/catalog", http.StatusSeeOther)
	})
	t.Run("merchandiser signs in and out", func(t *testing.T) {
		c := e.client()
		_, page := c.get("/console/signin?next=/console/rules", http.StatusOK)
		resp, _ := c.post("/console/signin", url.Values{"csrf": {formCSRF(t, page)}, "token": {e.merch}, "next": {"/console/rules"}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/rules" {
			t.Fatalf("sign in: got %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var ck *http.Cookie
		for _, k := range resp.Cookies() {
			if k.Name == "syncd_console" {
				ck = k
			}
		}
		if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console" {
			t.Fatalf("session cookie: got %+v, want HttpOnly, SameSite=Strict, Path=/console", ck)
		}
		if strings.Contains(ck.Value, e.merch) {
			t.Fatal("the cookie carries the token")
		}
		_, body := c.get("/console/rules", http.StatusOK)
		mustContain(t, "rules page", body, "mia", "merchandiser", "Sign out")
		if strings.Contains(body, `href="/console/suppliers"`) || strings.Contains(body, `href="/console/orders"`) {
			t.Error("a merchandiser's menu links to admin pages")
		}
		c.submit("/console/signout", nil, http.StatusSeeOther)
		c.get("/console/catalog", http.StatusSeeOther)
	})
	t.Run("an off-site next is ignored", func(t *testing.T) {
		c := e.client()
		_, page := c.get("/console/signin", http.StatusOK)
		resp, _ := c.post("/console/signin", url.Values{"csrf": {formCSRF(t, page)}, "token": {e.merch}, "next": {"//evil.example/x"}})
		if loc := resp.Header.Get("Location"); loc != "/console/catalog" {
			t.Fatalf("redirect: got %q, want /console/catalog", loc)
		}
	})
	t.Run("revoking the token ends the session", func(t *testing.T) {
		secret, tok, err := e.tokens.Create(context.Background(), "temp", auth.RoleMerchandiser)
		if err != nil {
			t.Fatal(err)
		}
		c := e.signedIn(secret)
		if err := e.tokens.Revoke(context.Background(), tok.ID); err != nil {
			t.Fatal(err)
		}
		c.get("/console/catalog", http.StatusSeeOther)
	})
}

// Roles: a merchandiser has catalog, items, rules and matching; the
// supplier and order pages and actions are an admin's.
func TestRoles(t *testing.T) {
	e := newEnv(t)
	o := e.attentionOrder("roles-1")
	m := e.signedIn(e.merch)
	for _, p := range []string{"/console/catalog", "/console/items/" + diamonds86, "/console/rules", "/console/rules/new", "/console/matching"} {
		m.get(p, http.StatusOK)
	}
	for _, p := range []string{"/console/suppliers", "/console/orders", "/console/orders/" + o.ID} {
		_, body := m.get(p, http.StatusForbidden)
		mustContain(t, p, body, "needs the admin role")
	}
	m.submit("/console/suppliers/isipay/sync", nil, http.StatusForbidden)
	m.submit("/console/orders/"+o.ID+"/settle", url.Values{"outcome": {"failed"}, "note": {"x"}}, http.StatusForbidden)
	if got := e.triggered(); len(got) != 0 {
		t.Errorf("a merchandiser started syncs: %v", got)
	}
	if o2, _ := e.svc.Get(context.Background(), o.ID, ""); o2.Status != orders.Attention {
		t.Errorf("a merchandiser settled an order: %s", o2.Status)
	}
	a := e.signedIn(e.admin)
	for _, p := range []string{"/console/suppliers", "/console/orders", "/console/orders/" + o.ID, "/console/rules"} {
		a.get(p, http.StatusOK)
	}
}

// Every action refuses a POST whose CSRF token is missing or wrong, and
// changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t)
	o := e.attentionOrder("csrf-1")
	c := e.signedIn(e.admin)
	offer := e.reviewOffer(bundleCode)
	rule := url.Values{"name": {"CSRF"}, "enabled": {"on"}, "kind": {"markup_percent"}, "value": {"50"}, "plus": {"0"}, "mode": {"up"}}
	// A rule to toggle and delete.
	c.submit("/console/rules/new", cloneValues(rule), http.StatusSeeOther)
	list, _ := e.cat.Rules().List(context.Background())
	if len(list) != 1 {
		t.Fatalf("rules: got %d, want 1", len(list))
	}
	id := list[0].ID
	version := url.Values{"version": {"1"}}
	versionBefore := e.cat.Snapshot().Version
	actions := []struct {
		path string
		form url.Values
	}{
		{"/console/rules/new", rule},
		{"/console/rules/" + id, rule},
		{"/console/rules/" + id + "/toggle", version},
		{"/console/rules/" + id + "/delete", version},
		{"/console/rules/preview", rule},
		{"/console/offers/" + offer + "/link", url.Values{"item": {twilightPass}}},
		{"/console/offers/" + offer + "/split", nil},
		{"/console/supplier-games/senpay/PUBGM-RCF/link", url.Values{"game": {"mobile-legends"}}},
		{"/console/supplier-games/senpay/PUBGM-RCF/split", nil},
		{"/console/items/" + diamonds86 + "/rename", url.Values{"name": {"Hacked"}}},
		{"/console/suppliers/isipay/sync", nil},
		{"/console/orders/" + o.ID + "/settle", url.Values{"outcome": {"failed"}, "note": {"forged"}}},
		{"/console/signout", nil},
	}
	for _, a := range actions {
		for _, token := range []string{"", "wrong-token"} {
			form := cloneValues(a.form)
			if token != "" {
				form.Set("csrf", token)
			}
			resp, body := c.post(a.path, form)
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "CSRF") {
				t.Errorf("POST %s with csrf %q: got %d, want 403", a.path, token, resp.StatusCode)
			}
		}
	}
	// Nothing changed.
	after, _ := e.cat.Rules().List(context.Background())
	if len(after) != 1 || after[0].Version != 1 || !after[0].Enabled {
		t.Errorf("rules changed: %+v", after)
	}
	if v := e.cat.Snapshot().Version; v != versionBefore {
		t.Errorf("catalog version moved from %d to %d", versionBefore, v)
	}
	if it, _ := e.cat.Snapshot().Item(diamonds86); it.Name == "Hacked" {
		t.Error("the item was renamed")
	}
	if e.reviewOffer(bundleCode) != offer {
		t.Error("the offer left the review queue")
	}
	if d, _ := e.cat.GameDecisions(context.Background(), "", "", 10); len(d) != 0 {
		t.Errorf("game decisions made: %+v", d)
	}
	if got := e.triggered(); len(got) != 0 {
		t.Errorf("syncs started: %v", got)
	}
	if o2, _ := e.svc.Get(context.Background(), o.ID, ""); o2.Status != orders.Attention {
		t.Errorf("order settled: %s", o2.Status)
	}
	c.get("/console/catalog", http.StatusOK) // still signed in
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestStatic(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	_, page := c.get("/console/signin", http.StatusOK)
	for _, name := range []string{"style.css", "htmx.min.js"} {
		i := strings.Index(page, "/console/static/"+name+"?v=")
		if i < 0 {
			t.Fatalf("the layout does not link %s", name)
		}
		link := page[i : i+strings.IndexByte(page[i:], '"')]
		resp, body := c.get(link, http.StatusOK)
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q", name, cc)
		}
		if len(body) < 1000 {
			t.Errorf("%s: %d bytes", name, len(body))
		}
	}
	resp, _ := c.get("/console/signin", http.StatusOK)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP: %q", csp)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page Cache-Control: %q", cc)
	}
	c.get("/console/static/nothing.js", http.StatusNotFound)
}
