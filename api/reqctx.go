package api

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/syncd/syncd/auth"
)

// requestContext is every value syncd keeps in a request's context, in
// one allocation: the request id (under chi's key, so
// middleware.GetReqID finds it), chi's routing context and, once a token
// is checked, the caller. Chained context.WithValue and Request.WithContext
// for each cost eight allocations a request, on the read path whose cost
// against a bare server issue 17 measures. The same allocation holds the
// writer that records the response for observe and the X-Request-Id
// header's value.
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

	w        responseWriter
	idHeader [1]string // the X-Request-Id header's value: id
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

// responseWriter records a response's status and size for observe, as
// chi's middleware.WrapResponseWriter does (a second WriteHeader is
// dropped rather than passed on to be logged as superfluous), and passes
// on flushing, hijacking and ReadFrom when the underlying writer has them.
type responseWriter struct {
	http.ResponseWriter
	status      int // 0 until WriteHeader
	bytes       int
	wroteHeader bool
}

func (w *responseWriter) WriteHeader(code int) {
	switch {
	case code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols:
		w.ResponseWriter.WriteHeader(code) // informational: more may follow
	case !w.wroteHeader:
		w.status, w.wroteHeader = code, true
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *responseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack: the connection cannot be taken over")
}

// ReadFrom lets io.Copy into the response use the connection's own
// ReadFrom (sendfile for a file).
func (w *responseWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := io.Copy(w.ResponseWriter, r)
	w.bytes += int(n)
	return n, err
}
