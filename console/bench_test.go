package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/api"
	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/catalog/catalogtest"
	"github.com/syncd/syncd/console"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/offers"
	"github.com/syncd/syncd/orders"
	"github.com/syncd/syncd/rules"
)

// benchGames × catalogtest.PerGame offers at each of two suppliers:
// 100,000 offers, 50,000 items, as api's benchmark catalog.
const benchGames = 500

// BenchmarkPages renders each console page, server-side (the real router
// and middleware, a recorder instead of a socket), on the 100,000-offer
// catalog with 100 rules and 200 orders.
//
//	go test -run '^$' -bench Pages -benchtime 20x ./console
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	db, err := syncd.Open(ctx, dbtest.DSN(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	syncer := offers.NewSyncer(db, log)
	for _, s := range supplierNames {
		if _, err := syncer.Sync(ctx, s, catalogtest.Fixed{Catalog: catalogtest.Generate(s, benchGames, benchForm(s))}); err != nil {
			b.Fatal(err)
		}
	}
	cat := catalog.NewCatalog(db, log, catalogConfig(time.Hour))
	b.Cleanup(cat.Close)
	snap, err := cat.Refresh(ctx)
	if err != nil {
		b.Fatal(err)
	}
	games := snap.GameList()
	var ruleID string
	for i := range 100 {
		r, err := rules.Decode(fmt.Appendf(nil, `{"name": "game %d", "match": {"game": %q},
			"action": {"kind": "markup_percent", "value": "%d", "plus": 0}, "round": {"step": 100, "mode": "up", "ending": 0}}`,
			i, games[i].ID, 5+i%10))
		if err != nil {
			b.Fatal(err)
		}
		saved, _, err := cat.SaveRule(ctx, catalog.RuleChange{Op: "create", Rule: r}, "bench")
		if err != nil {
			b.Fatal(err)
		}
		ruleID = saved.ID
	}
	// Orders no supplier can take: stored, then failed, as many as a
	// busy day's attention list would never be.
	svc := orders.New(db, cat, log, nil, orders.Config{DispatchWait: time.Second})
	b.Cleanup(svc.Close)
	item, _ := cat.Snapshot().Item(games[0].Items[0].ID)
	for i := range 200 {
		if _, _, err := svc.Create(ctx, orders.Request{Reference: fmt.Sprintf("b-%d", i), Item: item.ID, Tier: "public",
			Fields: map[string]string{"user_id": "1"}, ExpectedPrice: *item.PriceIn("public").Amount}, "shop"); err != nil {
			b.Fatal(err)
		}
	}
	tokens, err := auth.NewStore(ctx, db, log, auth.WithAdminToken("bench-admin"))
	if err != nil {
		b.Fatal(err)
	}
	con, err := console.New(console.Config{Suppliers: supplierNames, StaleAfter: time.Hour, Orders: svc}, log, tokens, syncer, cat, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := api.New(api.Config{Suppliers: supplierNames, StaleAfter: time.Hour, Orders: svc, Console: con}, log, tokens, syncer, cat, nil, nil)
	cookie, csrf := benchSignIn(b, h)
	list, err := svc.List(ctx, orders.Filter{Limit: 1})
	if err != nil || len(list) == 0 {
		b.Fatalf("orders: %v", err)
	}
	mid := games[len(games)/2]
	pages := []struct{ name, path string }{
		{"catalog", "/console/catalog"},
		{"catalog_last_page", "/console/catalog?page=1000"},
		{"catalog_search", "/console/catalog?q=" + url.QueryEscape("990 uc")},
		{"catalog_margin_below", "/console/catalog?margin_below=5&tier=public"},
		{"catalog_game", "/console/catalog?game=" + mid.ID},
		{"item", "/console/items/" + url.PathEscape(games[0].Items[3].ID)},
		{"rules", "/console/rules"},
		{"rule", "/console/rules/" + ruleID},
		{"rule_new", "/console/rules/new"},
		{"matching", "/console/matching"},
		{"suppliers", "/console/suppliers"},
		{"orders", "/console/orders"},
		{"order", "/console/orders/" + list[0].ID},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				benchGet(b, h, p.path, cookie)
			}
		})
	}
	// The preview action: a rule on one game, and on every game (the
	// domain's Preview prices the whole catalog for that one).
	for _, p := range []struct{ name, game string }{{"preview_one_game", mid.ID}, {"preview_every_game", ""}} {
		form := url.Values{"csrf": {csrf}, "name": {"x"}, "enabled": {"on"}, "game": {p.game}, "kind": {"markup_percent"},
			"value": {"12"}, "plus": {"0"}, "step": {"100"}, "mode": {"up"}}
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("POST", "/console/rules/preview", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("HX-Request", "true")
				req.AddCookie(cookie)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Impact if saved") {
					b.Fatalf("preview: %d %.300s", w.Code, w.Body.String())
				}
			}
		})
	}
}

func benchGet(b *testing.B, h http.Handler, path string, cookie *http.Cookie) {
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(cookie)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %.300s", path, w.Code, w.Body.String())
	}
}

var benchCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// benchSignIn signs the admin in and returns the session cookie and its
// CSRF token.
func benchSignIn(b *testing.B, h http.Handler) (*http.Cookie, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/console/signin", nil))
	pre := w.Result().Cookies()[0]
	form := url.Values{"csrf": {benchCSRF.FindStringSubmatch(w.Body.String())[1]}, "token": {"bench-admin"}}
	req := httptest.NewRequest("POST", "/console/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var session *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "syncd_console" {
			session = c
		}
	}
	if session == nil {
		b.Fatalf("sign in: %d", w.Code)
	}
	w = httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/console/rules", nil)
	req.AddCookie(session)
	h.ServeHTTP(w, req)
	return session, benchCSRF.FindStringSubmatch(w.Body.String())[1]
}

// benchForm is the form of a generated supplier game: Senpay's providers
// carry one, Isipay's products none.
func benchForm(supplier string) []offers.Field {
	if supplier == "senpay" {
		return catalogtest.UserID
	}
	return nil
}
