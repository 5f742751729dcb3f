package api

import (
	"context"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
)

// requestContext is every value syncd keeps in a request's context, in
// one allocation: the request id (under chi's key, so
// middleware.GetReqID finds it), chi's routing context and, once a token
// is checked, the caller. Chained context.WithValue and Request.WithContext
// for each cost eight allocations a request, on the read path whose cost
// against a bare server issue 17 measures.
//
// It belongs to one request. principal is set by require before the
// handlers run, and never after, so what they and the goroutines they
// start read does not change under them.
type requestContext struct {
	context.Context
	id           string
	route        *chi.Context
	principal    auth.Principal
	hasPrincipal bool
}

type requestContextKey struct{}

func (c *requestContext) Value(key any) any {
	switch key {
	case middleware.RequestIDKey:
		return c.id
	case chi.RouteCtxKey:
		return c.route
	case principalKey{}:
		if c.hasPrincipal {
			return &c.principal
		}
		return nil
	case requestContextKey{}:
		return c
	}
	return c.Context.Value(key)
}

// requestContextOf is the request's requestContext, nil when the request
// did not come through Server.ServeHTTP.
func requestContextOf(ctx context.Context) *requestContext {
	c, _ := ctx.Value(requestContextKey{}).(*requestContext)
	return c
}
