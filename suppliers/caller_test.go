package suppliers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

var (
	readReq  = Request{Method: http.MethodGet, Path: "/api/product", Idempotent: true}
	writeReq = Request{Method: http.MethodPost, Path: "/api/order", Body: map[string]string{"code": "X"}}
)

// fastRetry keeps retried reads quick; nothing here measures time.
var fastRetry = Retry{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}

func TestJudge(t *testing.T) {
	html := []byte("<!DOCTYPE html>\n<html><body>" + strings.Repeat("Bad Gateway ", 1000) + "</body></html>")
	decodeErr := errors.New("invalid character '<' looking for beginning of value")
	tests := []struct {
		name       string
		req        Request
		status     int
		bodyStatus int
		message    string
		body       []byte
		decodeErr  error
		want       Kind
	}{
		{"body 400 under http 200", readReq, 200, 400, "Produk sedang tidak aktif", nil, nil, KindRejected},
		{"body 400 under http 200, write", writeReq, 200, 400, "Saldo tidak mencukupi", nil, nil, KindRejected},
		{"invalid api key in a body 400", readReq, 200, 400, "Invalid API Key", nil, nil, KindUnauthorized},
		{"invalid api key in an http 400", writeReq, 400, 400, "Invalid API Key", nil, nil, KindUnauthorized},
		{"ip not whitelisted", readReq, 400, 0, "IP not in whitelist", nil, nil, KindUnauthorized},
		{"http 401", readReq, 401, 0, "", nil, nil, KindUnauthorized},
		{"http 403, write", writeReq, 403, 0, "", nil, nil, KindUnauthorized},
		{"body 401 under http 200", readReq, 200, 401, "Unauthorized", nil, nil, KindUnauthorized},
		{"http 429", readReq, 429, 0, "Too Many Attempts.", nil, nil, KindRateLimited},
		{"body 429 under http 200, write", writeReq, 200, 429, "", nil, nil, KindRateLimited},
		{"http 500 on a read", readReq, 500, 0, "Server Error", nil, nil, KindUnavailable},
		{"http 503 on a write", writeReq, 503, 0, "", nil, nil, KindUnknownOutcome},
		{"body 500 under http 200 on a read", readReq, 200, 500, "Internal Server Error", nil, nil, KindUnavailable},
		{"body 500 under http 200 on a write", writeReq, 200, 500, "Internal Server Error", nil, nil, KindUnknownOutcome},
		{"html 500 on a read", readReq, 500, 0, "", html, decodeErr, KindUnavailable},
		{"decode error on a read", readReq, 200, 0, "", html, decodeErr, KindBadReply},
		{"decode error on a write", writeReq, 200, 0, "", html, decodeErr, KindUnknownOutcome},
		{"empty body on a read", readReq, 200, 0, "", nil, errors.New("empty body"), KindBadReply},
	}
	c := &Caller{Supplier: "acme"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &Response{Status: tt.status, Body: tt.body}
			e := c.Judge(tt.req, resp, tt.bodyStatus, tt.message, tt.decodeErr)
			if e.Kind != tt.want {
				t.Fatalf("got kind %s, want %s (%v)", e.Kind, tt.want, e)
			}
			if e.Supplier != "acme" || e.Op != tt.req.Op() || e.Status != tt.status || e.Message != tt.message {
				t.Errorf("got supplier=%q op=%q status=%d message=%q, want acme, %q, %d, %q",
					e.Supplier, e.Op, e.Status, e.Message, tt.req.Op(), tt.status, tt.message)
			}
			if !errors.Is(e, kindSentinel[tt.want]) {
				t.Errorf("errors.Is(err, %v): got false, want true", kindSentinel[tt.want])
			}
			if !strings.HasPrefix(e.Error(), "acme "+tt.req.Op()+": "+tt.want.String()) {
				t.Errorf("got message %q, want it to start with the supplier, op and kind", e.Error())
			}
			if tt.decodeErr == nil {
				if e.Snippet != "" {
					t.Errorf("got snippet %q, want none without a decode error", e.Snippet)
				}
				return
			}
			if !errors.Is(e, tt.decodeErr) {
				t.Errorf("errors.Is(err, decodeErr): got false, want the cause unwrapped")
			}
			if want := Snippet(tt.body); e.Snippet != want {
				t.Errorf("got snippet %q, want %q", e.Snippet, want)
			}
			if n := utf8.RuneCountInString(e.Snippet); n > snippetMax+1 {
				t.Errorf("got snippet of %d runes, want at most %d", n, snippetMax+1)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"120", 120 * time.Second, true},
		{" 5 ", 5 * time.Second, true},
		{"0", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second, true}, // RFC 850, which ParseTime also takes
		{"", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
		{"-5", 0, false},
		{"<html>", 0, false},
		// More seconds than a Duration holds must not wrap to a negative
		// wait, which would retry at once.
		{"9300000000", math.MaxInt64 / time.Second * time.Second, true},
		{"99999999999999999999999", 0, false}, // not an int
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := retryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Fatalf("got %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	policies := []Retry{
		DefaultRetry,
		fastRetry,
		{Attempts: 10, Base: 3, Max: time.Hour}, // odd nanoseconds
		{Attempts: 10, Base: time.Second, Max: 100 * time.Millisecond},
		{Attempts: 10, Base: 0, Max: time.Second},
		// Base << (attempt-1) overflows well before attempt 64.
		{Attempts: 64, Base: time.Hour, Max: 2 * time.Hour},
		{Attempts: 64, Base: 200 * time.Millisecond, Max: 24 * time.Hour},
	}
	for _, p := range policies {
		t.Run(fmt.Sprintf("base %v max %v", p.Base, p.Max), func(t *testing.T) {
			for attempt := 1; attempt <= 70; attempt++ {
				d := p.Max
				if k := attempt - 1; p.Base > 0 && k < 63 && p.Base <= p.Max>>k {
					d = p.Base << k
				}
				for range 50 {
					got := backoff(p, attempt)
					if got < d/2 || got > d || got > p.Max {
						t.Fatalf("attempt %d: got %v, want within [%v, %v] and at most %v", attempt, got, d/2, d, p.Max)
					}
				}
			}
		})
	}
}

// counter counts requests to a test server.
type counter struct{ n atomic.Int64 }

func (c *counter) get() int { return int(c.n.Load()) }

// serve starts a server whose requests are counted before h sees them.
func serve(t *testing.T, h http.HandlerFunc) (*httptest.Server, *counter) {
	t.Helper()
	var c counter
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.n.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &c
}

func testCaller(baseURL string, timeout time.Duration) *Caller {
	return &Caller{
		Supplier: "acme",
		BaseURL:  baseURL,
		HTTP:     &http.Client{Timeout: timeout},
		Retry:    fastRetry,
	}
}

// wantKind fails unless err is an *Error of kind want.
func wantKind(t *testing.T, err error, want Kind) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want an *Error of kind %s", err, want)
	}
	if e.Kind != want {
		t.Fatalf("got kind %s (%v), want %s", e.Kind, err, want)
	}
	if e.Supplier != "acme" {
		t.Errorf("got supplier %q, want acme", e.Supplier)
	}
	return e
}

func TestDoSendsRequest(t *testing.T) {
	type seen struct {
		method, path, query, auth, ctype, accept, extra string
		body                                            map[string]string
	}
	got := make(chan seen, 1)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		s := seen{
			method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
			auth: r.Header.Get("Authorization"), ctype: r.Header.Get("Content-Type"),
			accept: r.Header.Get("Accept"), extra: r.Header.Get("Signature"),
		}
		if err := json.NewDecoder(r.Body).Decode(&s.body); err != nil {
			t.Errorf("request body: %v", err)
		}
		got <- s
		w.Header().Set("X-Reply", "yes")
		io.WriteString(w, `{"status":200}`)
	})
	c := testCaller(srv.URL+"/", 5*time.Second)
	c.Authorize = func(r *http.Request) { r.Header.Set("Authorization", "Bearer k") }
	r := Request{
		Method: http.MethodPost, Path: "/api/order", Query: url.Values{"provider": {"GI BJ"}},
		Body: map[string]string{"code": "X"}, Header: http.Header{"Signature": {"s"}},
	}
	resp, err := c.Do(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || string(resp.Body) != `{"status":200}` || resp.Header.Get("X-Reply") != "yes" {
		t.Errorf("got reply %d %q, want 200 with the body and headers", resp.Status, resp.Body)
	}
	want := seen{
		method: "POST", path: "/api/order", query: "provider=GI+BJ", auth: "Bearer k",
		ctype: "application/json", accept: "application/json", extra: "s", body: map[string]string{"code": "X"},
	}
	s := <-got
	if !reflect.DeepEqual(s, want) {
		t.Errorf("got request %+v, want %+v", s, want)
	}
}

func TestDoRetries(t *testing.T) {
	tests := []struct {
		name      string
		req       Request
		failures  int // replies of status before a 200
		status    int
		header    http.Header
		wantReqs  int
		wantCode  int
		wantRetry int // OnRetry calls
	}{
		{"read retried on 500 then success", readReq, 2, 500, nil, 3, 200, 2},
		{"read retried on 429 honouring a capped Retry-After", readReq, 1, 429, http.Header{"Retry-After": {"3600"}}, 2, 200, 1},
		{"read gives up after every attempt", readReq, 10, 503, nil, 3, 503, 2},
		{"read not retried on 400", readReq, 10, 400, nil, 1, 400, 0},
		{"read not retried on 404", readReq, 10, 404, nil, 1, 404, 0},
		{"write not retried on 500", writeReq, 10, 500, nil, 1, 500, 0},
		{"write not retried on 429", writeReq, 10, 429, nil, 1, 429, 0},
		{"write not retried on 502", writeReq, 1, 502, nil, 1, 502, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv, reqs := serve(t, func(w http.ResponseWriter, r *http.Request) {
				if int(n.Add(1)) <= tt.failures {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					w.WriteHeader(tt.status)
					io.WriteString(w, `{"message":"failed"}`)
					return
				}
				io.WriteString(w, `{"status":200}`)
			})
			var mu sync.Mutex
			var retries []string
			c := testCaller(srv.URL, 5*time.Second)
			c.OnRetry = func(op string, err error) {
				mu.Lock()
				defer mu.Unlock()
				retries = append(retries, op+": "+err.Error())
			}
			resp, err := c.Do(context.Background(), tt.req)
			if err != nil {
				t.Fatalf("got error %v, want the reply", err)
			}
			if resp.Status != tt.wantCode {
				t.Errorf("got status %d, want %d", resp.Status, tt.wantCode)
			}
			if got := reqs.get(); got != tt.wantReqs {
				t.Errorf("got %d requests, want %d", got, tt.wantReqs)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(retries) != tt.wantRetry {
				t.Errorf("got %d retries observed %q, want %d", len(retries), retries, tt.wantRetry)
			}
			for _, r := range retries {
				if want := fmt.Sprintf("%s: http %d", tt.req.Op(), tt.status); r != want {
					t.Errorf("got retry %q, want %q", r, want)
				}
			}
		})
	}
}

// refusedURL is the address of a server that has gone: connections to it
// are refused.
func refusedURL(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func TestDoTransportFailures(t *testing.T) {
	// hangUp reads the request and closes the connection without a reply.
	hangUp := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}
	// breakOff promises a body and sends only part of it.
	breakOff := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"status": 200, "da`)
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	}
	// huge streams more than MaxBody until the client stops reading.
	huge := func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		chunk := make([]byte, 1<<20)
		for sent := 0; sent <= MaxBody; sent += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
		req     Request
		timeout time.Duration
		want    Kind
		reqs    int // requests the server sees; -1 when retries may add more
	}{
		{"connection refused on a write", nil, writeReq, 5 * time.Second, KindUnavailable, 0},
		{"connection refused on a read", nil, readReq, 5 * time.Second, KindUnavailable, 0},
		{"hang-up after reading a write", hangUp, writeReq, 5 * time.Second, KindUnknownOutcome, 1},
		// net/http may itself resend a GET on a dropped connection.
		{"hang-up on a read", hangUp, readReq, 5 * time.Second, KindUnavailable, -1},
		// A second, so that the server has surely seen the write on a
		// loaded machine (the huge rows run beside it).
		{"client timeout on a write", nil, writeReq, time.Second, KindUnknownOutcome, 1},
		// The last try may time out before the server has seen it on a
		// busy machine: retried (more than one request), never more than
		// the attempts (-2).
		{"client timeout on a read", nil, readReq, 250 * time.Millisecond, KindUnavailable, -2},
		{"body broken off on a write", breakOff, writeReq, 5 * time.Second, KindUnknownOutcome, 1},
		{"body broken off on a read", breakOff, readReq, 5 * time.Second, KindUnavailable, 3},
		{"read over MaxBody", huge, readReq, 30 * time.Second, KindBadReply, 1},
		{"write over MaxBody", huge, writeReq, 30 * time.Second, KindUnknownOutcome, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := ""
			var reqs *counter
			switch {
			case tt.handler != nil:
				var srv *httptest.Server
				srv, reqs = serve(t, tt.handler)
				base = srv.URL
			case tt.want == KindUnavailable && tt.reqs == 0:
				base = refusedURL(t)
			default:
				// A server that never answers, until the test ends.
				release := make(chan struct{})
				var srv *httptest.Server
				srv, reqs = serve(t, func(w http.ResponseWriter, r *http.Request) {
					select {
					case <-r.Context().Done():
					case <-release:
					}
				})
				base = srv.URL
				t.Cleanup(func() { close(release) }) // before srv.Close
			}
			_, err := testCaller(base, tt.timeout).Do(context.Background(), tt.req)
			e := wantKind(t, err, tt.want)
			if e.Op != tt.req.Op() {
				t.Errorf("got op %q, want %q", e.Op, tt.req.Op())
			}
			if !errors.Is(err, kindSentinel[tt.want]) {
				t.Errorf("errors.Is(err, %v): got false, want true", kindSentinel[tt.want])
			}
			if reqs != nil && tt.reqs >= 0 {
				if got := reqs.get(); got != tt.reqs {
					t.Errorf("got %d requests, want %d", got, tt.reqs)
				}
			}
			if reqs != nil && tt.reqs == -1 && reqs.get() < fastRetry.Attempts {
				t.Errorf("got %d requests, want at least %d", reqs.get(), fastRetry.Attempts)
			}
			if reqs != nil && tt.reqs == -2 {
				if got := reqs.get(); got < 2 || got > fastRetry.Attempts {
					t.Errorf("got %d requests, want 2 to %d", got, fastRetry.Attempts)
				}
			}
		})
	}
}

func TestDoCancelledWhileRateLimited(t *testing.T) {
	srv, reqs := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":200}`)
	})
	c := testCaller(srv.URL, 5*time.Second)
	// A burst of two, then one token an hour: the third call must wait.
	c.Limiter = rate.NewLimiter(rate.Every(time.Hour), 2)
	ctx := context.Background()
	for range 2 {
		if _, err := c.Do(ctx, readReq); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Do(ctx, writeReq)
		done <- err
	}()
	// Cancelling before or during the wait must end the same way.
	time.Sleep(10 * time.Millisecond)
	cancel()
	err := <-done
	// Nothing was sent, so even a write is merely unavailable.
	wantKind(t, err, KindUnavailable)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want it to wrap context.Canceled", err)
	}

	_, err = c.Do(ctx, readReq) // already cancelled
	wantKind(t, err, KindUnavailable)
	if got := reqs.get(); got != 2 {
		t.Errorf("got %d requests, want 2 (the burst only)", got)
	}
}

func TestErrorMatching(t *testing.T) {
	srv, reqs := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	})
	_, err := testCaller(srv.URL, 5*time.Second).Do(context.Background(), writeReq)
	err = fmt.Errorf("place order ref-1: %w", err)
	if !errors.Is(err, ErrUnknownOutcome) {
		t.Fatalf("errors.Is(%v, ErrUnknownOutcome): got false, want true", err)
	}
	for _, other := range []error{ErrRejected, ErrUnauthorized, ErrRateLimited, ErrUnavailable, ErrBadReply} {
		if errors.Is(err, other) {
			t.Errorf("errors.Is(err, %v): got true, want false", other)
		}
	}
	if got := KindOf(err); got != KindUnknownOutcome {
		t.Errorf("KindOf: got %s, want %s", got, KindUnknownOutcome)
	}
	if got := KindOf(errors.New("plain")); got != 0 {
		t.Errorf("KindOf(plain error): got %s, want 0", got)
	}
	if got := reqs.get(); got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("a", 5000)
	// A three-byte rune straddling the cut must not leave broken UTF-8.
	straddle := strings.Repeat("x", snippetMax-1) + "€€€"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short", `{"status": 500}`, `{"status": 500}`},
		{"empty", "", ""},
		{"newlines and tabs", "<html>\r\n\t<body>", "<html>   <body>"},
		{"control characters", "a\x00b\x1b[31mc\x7fd", "a?b?[31mc?d"},
		{"invalid utf-8", "ok\xff\xfeok", "ok??ok"},
		{"unicode kept", "Saldo tidak mencukupi — coba lagi", "Saldo tidak mencukupi — coba lagi"},
		{"exactly the limit", long[:snippetMax], long[:snippetMax]},
		{"long", long, long[:snippetMax] + "…"},
		{"rune cut at the limit", straddle, straddle[:snippetMax-1] + "?…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Snippet([]byte(tt.in))
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			if len(got) > snippetMax+len("…") {
				t.Errorf("got %d bytes, want at most %d", len(got), snippetMax+len("…"))
			}
			if !utf8.ValidString(got) || strings.ContainsAny(got, "\r\n\t\x00") {
				t.Errorf("got %q, want valid single-line text", got)
			}
		})
	}
}

func TestWriteWithCancelledContextIsNotSent(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	c := &Caller{Supplier: "senpay", BaseURL: srv.URL, HTTP: srv.Client()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Do(ctx, Request{Method: http.MethodPost, Path: "/api/prepaid/transaction/create", Body: map[string]string{"a": "b"}})
	if KindOf(err) != KindUnavailable {
		t.Fatalf("got %v, want KindUnavailable: nothing was sent", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("requests: got %d, want 0", hits.Load())
	}
}

func TestRateLimitWaitIsObserved(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	var waits atomic.Int32
	var waited atomic.Int64
	const refill = 250 * time.Millisecond
	c := &Caller{Supplier: "isipay", BaseURL: srv.URL, HTTP: srv.Client(),
		Limiter: rate.NewLimiter(rate.Every(refill), 1),
		OnWait: func(op string, d time.Duration) {
			waits.Add(1)
			waited.Store(int64(d))
		},
	}
	req := Request{Method: http.MethodPost, Path: "/api/v1/balance", Idempotent: true}
	// The first call has the burst's token: no wait to report.
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := waits.Load(); got != 0 {
		t.Fatalf("observed waits after a call with a token: %d, want 0", got)
	}
	// Whatever refilled while the first call ran (a loaded CI machine took
	// 20 ms), another reservation leaves less than none: the next call
	// must wait at least a refill, less a function call's time.
	c.Limiter.Reserve()
	if _, err := c.Do(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := waits.Load(); got != 1 {
		t.Fatalf("observed waits: got %d, want 1", got)
	}
	if d := time.Duration(waited.Load()); d <= 0 || d > 2*refill {
		t.Fatalf("reported wait %s, want the limiter's delay, in (0, %s]", d, 2*refill)
	}
}

// A wait that would outlast the caller's deadline fails at once, sends
// nothing, and gives the token back for the next request.
func TestRateLimitWaitPastDeadline(t *testing.T) {
	srv, reqs := serve(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"status":200}`)
	})
	c := testCaller(srv.URL, 5*time.Second)
	c.Limiter = rate.NewLimiter(rate.Every(time.Hour), 1)
	if _, err := c.Do(context.Background(), readReq); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Do(ctx, readReq)
	wantKind(t, err, KindUnavailable)
	if ctx.Err() != nil {
		t.Errorf("Do returned at the deadline, want at once: %v", err)
	}
	if got := reqs.get(); got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
	if tokens := c.Limiter.Tokens(); tokens < -0.01 {
		t.Errorf("limiter tokens %.2f after a wait given up, want the reservation given back", tokens)
	}
}

// A Retry-After that would outlast the caller's deadline ends the read at
// once with the reply in hand, rather than idling until the deadline.
func TestDoGivesUpARetryPastDeadline(t *testing.T) {
	srv, reqs := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c := testCaller(srv.URL, 5*time.Second)
	c.Retry = Retry{Attempts: 3, Base: time.Millisecond, Max: 5 * time.Minute}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := c.Do(ctx, readReq)
	if err != nil || resp.Status != http.StatusTooManyRequests {
		t.Fatalf("got %v, %v; want the 429 reply", resp, err)
	}
	if ctx.Err() != nil {
		t.Error("Do returned at the deadline, want at once")
	}
	if got := reqs.get(); got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
}
