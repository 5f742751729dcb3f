package api

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/syncd/syncd/auth"
	"github.com/syncd/syncd/internal/testenv"
	"github.com/syncd/syncd/offers"
)

type observed struct {
	route, method string
	status        int
}

// observeEnv serves an API whose Observe hook and logs are recorded, with
// metrics (a stand-in handler) on the main listener when metrics is set.
type observeEnv struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []observed
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newObserveEnv(t *testing.T, metrics http.Handler) *observeEnv {
	t.Helper()
	db := testenv.NewDB(t)
	e := &observeEnv{logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	tokens, err := auth.NewStore(context.Background(), db, log, auth.WithAdminToken(adminToken))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Suppliers: []string{"senpay"}, StaleAfter: time.Hour, Metrics: metrics,
		Observe: func(route, method string, status int, d time.Duration) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.seen = append(e.seen, observed{route, method, status})
		}}
	e.srv = httptest.NewServer(New(cfg, log, tokens, offers.NewSyncer(db, log), nil, nil, nil))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *observeEnv) get(t *testing.T, path, token string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestObserveSeesRoutePatternsNotPaths(t *testing.T) {
	e := newObserveEnv(t, nil)
	e.get(t, "/healthz", "")
	e.get(t, "/v1/suppliers", adminToken)
	e.get(t, "/v1/games/mobile-legends", adminToken) // 503: no catalog in this server
	e.get(t, "/v1/items/x.y/offers", "")             // 401
	e.get(t, "/no/such/thing", "")

	e.mu.Lock()
	defer e.mu.Unlock()
	want := []observed{
		{"/healthz", "GET", 200},
		{"/v1/suppliers", "GET", 200},
		{"/v1/games/{game}", "GET", 503},
		{"/v1/items/{item}/offers", "GET", 401},
	}
	if len(e.seen) != len(want)+1 {
		t.Fatalf("observed: got %v, want %d requests", e.seen, len(want)+1)
	}
	for i, w := range want {
		if e.seen[i] != w {
			t.Errorf("request %d: got %+v, want %+v", i, e.seen[i], w)
		}
	}
	// An unmatched path never becomes a label value.
	if last := e.seen[len(want)]; strings.Contains(last.route, "such") || last.status != 404 {
		t.Errorf("unmatched request: got %+v, want status 404 and no path in the route", last)
	}
}

func TestRequestIDInHeaderAndLogs(t *testing.T) {
	e := newObserveEnv(t, nil)
	resp, _ := e.get(t, "/healthz", "")
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatal("X-Request-Id: got none, want an id")
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"request_id":"`+id+`"`) {
		t.Errorf("logs: got\n%s\nwant a line with request_id %q", logs, id)
	}
	resp2, _ := e.get(t, "/healthz", "")
	id2 := resp2.Header.Get("X-Request-Id")
	if id2 == "" || id2 == id {
		t.Errorf("second request's id: got %q, want a new one (first %q)", id2, id)
	}
	// host/random-000001: one prefix per process, then a counter; an id
	// syncd makes is one syncd keeps when it comes back (a proxy chain).
	prefix := id[:max(strings.LastIndexByte(id, '-'), 0)]
	if !regexp.MustCompile(`^[^ ]+/[A-Z2-7]{10}-[0-9]{6,}$`).MatchString(id) || !strings.HasPrefix(id2, prefix+"-") || !plausibleID(id) {
		t.Errorf("generated ids %q, %q: want host/random-NNNNNN with one prefix, each plausible", id, id2)
	}

	// A caller's plausible id is kept and logged, also on errors.
	const mine = "shop-7f3a9c1e-2b4d"
	resp, _ = e.get(t, "/v1/suppliers", "", "X-Request-Id", mine)
	if got := resp.Header.Get("X-Request-Id"); got != mine {
		t.Errorf("caller's id: got %q, want %q", got, mine)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"request_id":"`+mine+`"`) {
		t.Errorf("logs: got\n%s\nwant a line with request_id %q", logs, mine)
	}

	// Anything else is replaced, never logged.
	for _, bad := range []string{"has spaces", strings.Repeat("a", 129), "quote\"d"} {
		resp, _ := e.get(t, "/healthz", "", "X-Request-Id", bad)
		if got := resp.Header.Get("X-Request-Id"); got == bad || got == "" {
			t.Errorf("caller's id %q: got %q, want a generated id", bad, got)
		}
	}
	if logs := e.logs.String(); strings.Contains(logs, "has spaces") {
		t.Errorf("logs hold a refused request id:\n%s", logs)
	}
}

func TestMetricsRoute(t *testing.T) {
	scrape := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, "syncd_up 1\n")
	})
	e := newObserveEnv(t, scrape)
	if resp, body := e.get(t, "/metrics", ""); resp.StatusCode != 401 {
		t.Errorf("/metrics without a token: got %d, want 401: %s", resp.StatusCode, body)
	}
	if resp, body := e.get(t, "/metrics", "nope"); resp.StatusCode != 401 {
		t.Errorf("/metrics with a bad token: got %d, want 401: %s", resp.StatusCode, body)
	}
	if resp, body := e.get(t, "/metrics", adminToken); resp.StatusCode != 200 || body != "syncd_up 1\n" {
		t.Errorf("/metrics as admin: got %d %q, want 200 and the scrape", resp.StatusCode, body)
	}

	// Metrics on their own listener: not here, even for an admin.
	e = newObserveEnv(t, nil)
	if resp, body := e.get(t, "/metrics", adminToken); resp.StatusCode != 404 {
		t.Errorf("/metrics with no handler: got %d, want 404: %s", resp.StatusCode, body)
	}
}

// TestResponseWriterPassesOn: the writer observe records the response
// with still flushes, copies through the connection's ReadFrom and lets a
// handler take the connection over, and the status and size it records
// are the log line's, over real HTTP.
func TestResponseWriterPassesOn(t *testing.T) {
	e := &observeEnv{logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	console := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/console/copy":
			if _, ok := w.(io.ReaderFrom); !ok {
				t.Error("the writer is not an io.ReaderFrom")
			}
			w.WriteHeader(http.StatusAccepted)
			w.WriteHeader(http.StatusTeapot) // dropped, as chi's writer drops it
			io.Copy(w, strings.NewReader("hello, "))
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush: %v", err)
			}
			w.(http.Flusher).Flush()
			io.WriteString(w, "world")
		case "/console/hijack":
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
			buf.Flush()
		}
	})
	e.srv = httptest.NewServer(New(Config{Console: console}, log, nil, nil, nil, nil, nil))
	defer e.srv.Close()

	resp, body := e.get(t, "/console/copy", "")
	if resp.StatusCode != http.StatusAccepted || body != "hello, world" {
		t.Errorf("copy: got %d %q, want 202 %q", resp.StatusCode, body, "hello, world")
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"status":202,"bytes":12,`) {
		t.Errorf("logs: got\n%s\nwant the request's line with status 202 and 12 bytes", logs)
	}
	if resp, _ := e.get(t, "/console/hijack", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("hijack: got %d, want 204", resp.StatusCode)
	}
}
