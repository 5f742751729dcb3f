package api

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// TestHotRoutesMatchAsChiRoutes: a request the hot routes take is one chi
// routes to the same pattern, with the same parameter; every other
// request is left to chi.
func TestHotRoutesMatchAsChiRoutes(t *testing.T) {
	s := New(Config{}, slog.New(slog.DiscardHandler), nil, nil, nil, nil, nil)
	mux := s.router.(*chi.Mux)
	tests := []struct {
		method, target string
		hot            string // the pattern the hot routes serve it by; "": chi's
	}{
		{"GET", "/v1/games", "/v1/games"},
		{"GET", "/v1/games/mobile-legends", "/v1/games/{game}"},
		{"GET", "/v1/games/mobile-legends?tier=member", "/v1/games/{game}"},
		{"GET", "/v1/games/a.b~c", "/v1/games/{game}"},
		{"GET", "/v1/items/mobile-legends.diamonds-86-78-8", "/v1/items/{item}"},
		{"GET", "/v1/catalog", "/v1/catalog"},
		{"GET", "/v1/catalog/changes?since=3", "/v1/catalog/changes"},
		{"GET", "/v1/games/mobile-legends/form", ""},
		{"GET", "/v1/items/x.y/offers", ""},
		{"GET", "/v1/items/x.y/pricing", ""},
		{"GET", "/v1/games/", ""},
		{"GET", "/v1/games//", ""},
		{"GET", "/v1/games/x/", ""},
		{"GET", "/v1/gamesx", ""},
		{"GET", "/v1/catalog/", ""},
		{"GET", "/v1/games/mobile%2Dlegends", ""}, // escaped: chi routes the raw path
		{"GET", "/v1/orders/7", ""},
		{"HEAD", "/v1/games/mobile-legends", ""},
		{"PATCH", "/v1/items/x.y", ""},
		{"POST", "/v1/games", ""},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		rt, param := s.hot.match(r)
		got := ""
		if rt != nil {
			got = rt.pattern
		}
		if got != tt.hot {
			t.Errorf("%s %s: hot route %q, want %q", tt.method, tt.target, got, tt.hot)
		}
		if rt == nil {
			continue
		}
		rctx := chi.NewRouteContext()
		if pattern := mux.Find(rctx, tt.method, r.URL.Path); pattern != rt.pattern {
			t.Errorf("%s %s: chi routes it to %q, the hot routes to %q", tt.method, tt.target, pattern, rt.pattern)
		}
		if rt.param != "" {
			if want := rctx.URLParam(rt.param); param != want {
				t.Errorf("%s %s: parameter %s %q, chi's %q", tt.method, tt.target, rt.param, param, want)
			}
		}
	}
}

// TestHotRouteRunsChisChain: a hot route runs the router's middleware,
// then its group's, then the handler, as chi does.
func TestHotRouteRunsChisChain(t *testing.T) {
	var ran []string
	mw := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ran = append(ran, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	r := chi.NewRouter()
	r.Use(mw("router"))
	r.Group(func(r chi.Router) {
		r.Use(mw("group"))
		r.With(mw("route")).Get("/a/{x}", func(w http.ResponseWriter, r *http.Request) { ran = append(ran, "handler") })
	})
	h, err := hotRoutesOf(r, "/a/{x}")
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := h.match(httptest.NewRequest("GET", "/a/1", nil))
	if rt == nil {
		t.Fatal("GET /a/1: no hot route")
	}
	rt.handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/a/1", nil))
	if got, want := strings.Join(ran, ", "), "router, group, route, handler"; got != want {
		t.Errorf("ran %s, want %s", got, want)
	}
}

// TestHotRoutesRefuseWhatChiRoutesOtherwise: a pattern the hot routes
// would not match as chi does is refused when the server is made.
func TestHotRoutesRefuseWhatChiRoutesOtherwise(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {}
	tests := []struct {
		name    string
		routes  func(r chi.Router)
		pattern string
		refuse  string
	}{
		{"a static sibling", func(r chi.Router) { r.Get("/a/{x}", h); r.Get("/a/b", h) }, "/a/{x}", "/a/b"},
		{"a sibling's static subtree", func(r chi.Router) { r.Get("/a/{x}", h); r.Post("/a/b/c", h) }, "/a/{x}", "/a/b/c"},
		{"a regexp sibling", func(r chi.Router) { r.Get("/a/{x}", h); r.Get("/a/{y:[0-9]+}/z", h) }, "/a/{x}", "/a/{y:[0-9]+}/z"},
		{"a mount beside it", func(r chi.Router) { r.Get("/a/{x}", h); r.Mount("/a/m", http.HandlerFunc(h)) }, "/a/{x}", "/a/m"},
		{"a parameter before the last segment", func(r chi.Router) { r.Get("/a/{x}/b", h) }, "/a/{x}/b", "last segment"},
		{"a regexp parameter", func(r chi.Router) { r.Get("/a/{x:[0-9]+}", h) }, "/a/{x:[0-9]+}", "plain"},
		{"no such route", func(r chi.Router) { r.Get("/a/{x}", h) }, "/b/{x}", "no GET route"},
		{"not a GET", func(r chi.Router) { r.Post("/a/{x}", h) }, "/a/{x}", "no GET route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := chi.NewRouter()
			tt.routes(r)
			_, err := hotRoutesOf(r, tt.pattern)
			if err == nil || !strings.Contains(err.Error(), tt.refuse) {
				t.Errorf("hotRoutesOf %s: got error %v, want one naming %q", tt.pattern, err, tt.refuse)
			}
		})
	}
	// The same siblings as parameters, as syncd's routes have them, are fine.
	r := chi.NewRouter()
	r.Get("/a/{x}", h)
	r.Get("/a/{x}/b", h)
	r.Patch("/a/{x}", h)
	if _, err := hotRoutesOf(r, "/a/{x}"); err != nil {
		t.Errorf("hotRoutesOf /a/{x} beside /a/{x}/b: %v", err)
	}
}

// TestHotRouteKeepsRecoveringPanics: a panic in a hot route is answered
// with the 500 envelope, over real HTTP. (A server without a token store
// panics checking a token.)
func TestHotRouteKeepsRecoveringPanics(t *testing.T) {
	srv := httptest.NewServer(New(Config{}, slog.New(slog.DiscardHandler), nil, nil, nil, nil, nil))
	defer srv.Close()
	for _, path := range []string{"/v1/games/mobile-legends", "/v1/games/mobile-legends/form"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer syncd_PANICS")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || errorCode(t, body) != "internal" {
			t.Errorf("GET %s: got %d %s, want 500 internal", path, resp.StatusCode, body)
		}
	}
}

// TestHeaderNamesAreCanonical: every name the package reads a request
// header by with header() is in net/http's canonical form, or the read
// would miss the header a client sent.
func TestHeaderNamesAreCanonical(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{"middleware.RequestIDHeader": middleware.RequestIDHeader}
	calls := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "header" {
				return true
			}
			calls++
			var got string
			switch arg := call.Args[1].(type) {
			case *ast.BasicLit:
				got, _ = strconv.Unquote(arg.Value)
			case *ast.SelectorExpr:
				got = consts[fmt.Sprintf("%s.%s", arg.X, arg.Sel.Name)]
			}
			if got == "" || textproto.CanonicalMIMEHeaderKey(got) != got {
				t.Errorf("%s: header(r, %q): want a constant name in canonical form", fset.Position(call.Pos()), got)
			}
			return true
		})
	}
	if calls == 0 {
		t.Fatal("found no call of header()")
	}
}
