package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
)

// hotPatterns are the storefront reads served without chi's routing: the
// requests a storefront makes most, whose cost against a bare server issue
// 17 measures. For them chi would find the route in its tree, copy the
// path parameter into the request (http.Request.SetPathValue, a map per
// request) and compose the route's pattern, all to reach the handler that
// hotRoutesOf finds once, in chi's own table. Every one is a GET route of
// routes() with at most one parameter, its last segment.
var hotPatterns = []string{"/v1/games", "/v1/games/{game}", "/v1/items/{item}", "/v1/catalog", "/v1/catalog/changes"}

// hotRoute is one of the hotPatterns as chi would serve it.
type hotRoute struct {
	pattern string       // "/v1/games/{game}": what Observe and the log see
	prefix  string       // the pattern up to its parameter: "/v1/games/"
	param   string       // the parameter's name; "" for a pattern without one
	handler http.Handler // the router's middleware, the route's group's, the handler
}

// hotRoutes finds a request's hot route, if it has one.
type hotRoutes struct {
	exact  map[string]*hotRoute // patterns without a parameter, by path
	params []*hotRoute          // patterns ending in one
}

// hotRoutesOf takes each pattern's GET handler and middleware from
// router's table, so a hot route runs exactly what chi would run for it.
// It refuses a pattern chi would not route as match assumes: one whose
// parameter is not its last segment, has a regular expression, or has a
// route beside it (a static or regular-expression segment where the
// parameter is) that chi would try first.
func hotRoutesOf(router chi.Routes, patterns ...string) (*hotRoutes, error) {
	h := &hotRoutes{exact: map[string]*hotRoute{}}
	byPattern := map[string]*hotRoute{}
	for _, p := range patterns {
		rt := &hotRoute{pattern: p, prefix: p}
		if i := strings.IndexByte(p, '{'); i >= 0 {
			name, ok := strings.CutSuffix(p[i+1:], "}")
			if !ok || strings.ContainsAny(name, "{}/:") || !strings.HasSuffix(p[:i], "/") {
				return nil, fmt.Errorf("hot route %s: want at most one parameter, plain, as the last segment", p)
			}
			rt.prefix, rt.param = p[:i], name
		}
		byPattern[p] = rt
	}
	var routes []string
	err := chi.Walk(router, func(method, route string, handler http.Handler, mw ...func(http.Handler) http.Handler) error {
		routes = append(routes, route)
		if rt, ok := byPattern[route]; ok && method == http.MethodGet {
			// chi.Chain's order, without its ChainHandler's frame.
			for i := len(mw) - 1; i >= 0; i-- {
				handler = mw[i](handler)
			}
			rt.handler = handler
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range patterns {
		rt := byPattern[p]
		if rt.handler == nil {
			return nil, fmt.Errorf("hot route %s: no GET route of that pattern", p)
		}
		if rt.param == "" {
			h.exact[p] = rt
			continue
		}
		for _, other := range routes {
			rest, ok := strings.CutPrefix(other, rt.prefix)
			if !ok || other == p {
				continue
			}
			seg, _, _ := strings.Cut(rest, "/")
			if !strings.HasPrefix(seg, "{") || strings.Contains(seg, ":") {
				return nil, fmt.Errorf("hot route %s: chi would try route %s first", p, other)
			}
		}
		h.params = append(h.params, rt)
	}
	return h, nil
}

// match is r's hot route and the value of its parameter; nil when r has
// none and takes chi's routing. Only a GET of a path chi routes as is (no
// escaped characters: chi then routes the raw path) with a non-empty
// parameter of one segment matches.
func (h *hotRoutes) match(r *http.Request) (*hotRoute, string) {
	if r.Method != http.MethodGet || r.URL.RawPath != "" {
		return nil, ""
	}
	path := r.URL.Path
	if rt, ok := h.exact[path]; ok {
		return rt, ""
	}
	for _, rt := range h.params {
		if v, ok := strings.CutPrefix(path, rt.prefix); ok && v != "" && strings.IndexByte(v, '/') < 0 {
			return rt, v
		}
	}
	return nil, ""
}
