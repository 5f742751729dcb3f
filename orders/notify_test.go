package orders

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/dbtest"
	"github.com/syncd/syncd/internal/testclock"
)

// notifyClock is a clock the tests move by hand.

// notifyRequest is one POST the storefront received.
type notifyRequest struct {
	header http.Header
	body   []byte
}

func (r notifyRequest) delivery() string { return r.header.Get("X-Syncd-Delivery") }

// notifyStorefront is a storefront's notification endpoint. answer says
// what it replies to its i-th request (from 0); nil answers 200.
type notifyStorefront struct {
	*httptest.Server
	mu     sync.Mutex
	got    []notifyRequest
	answer func(i int, r notifyRequest) (int, string)
}

func newNotifyStorefront(t *testing.T, answer func(i int, r notifyRequest) (int, string)) *notifyStorefront {
	t.Helper()
	s := &notifyStorefront{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		req := notifyRequest{header: r.Header.Clone(), body: body}
		s.mu.Lock()
		i := len(s.got)
		s.got = append(s.got, req)
		s.mu.Unlock()
		code, text := http.StatusOK, "ok"
		if s.answer != nil {
			code, text = s.answer(i, req)
		}
		w.WriteHeader(code)
		io.WriteString(w, text)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *notifyStorefront) requests() []notifyRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// openNotifyDB opens a fresh database at path; closed with the test.
func openNotifyDB(t *testing.T, path string) *syncd.DB {
	t.Helper()
	db, err := syncd.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newNotifyTest is a database holding orders ids and a notifier over it.
func newNotifyTest(t *testing.T, cfg NotifyConfig, ids ...string) (*syncd.DB, *Notifier) {
	t.Helper()
	db := openNotifyDB(t, dbtest.DSN(t))
	for _, id := range ids {
		insertNotifyOrder(t, db, id)
	}
	return db, NewNotifier(db, slog.New(slog.DiscardHandler), cfg)
}

func insertNotifyOrder(t *testing.T, db *syncd.DB, id string) {
	t.Helper()
	const q = `INSERT INTO orders (id, reference, request_hash, item_id, game_id, item_name, tier, fields, price,
		status, created_at, updated_at, settle_by) VALUES (?, ?, 'h', 'item', 'game', 'Item', 'public', '{}', 1000,
		'pending', '2026-12-01T10:00:00.000000000Z', '2026-12-01T10:00:00.000000000Z', '2026-12-01T11:00:00.000000000Z')`
	if _, err := db.Write.Exec(q, id, "ref-"+id); err != nil {
		t.Fatal(err)
	}
}

func notifyBody(order, status string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"status":%q}`, order, status)
}

// enqueueNotify stores a notification in a transaction of its own, as a
// status change would.
func enqueueNotify(t *testing.T, db *syncd.DB, n *Notifier, order, status string) string {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Write.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	id, err := n.Enqueue(ctx, tx, order, status, notifyBody(order, status))
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	n.Kick()
	return id
}

func deliverDue(t *testing.T, n *Notifier, want int) {
	t.Helper()
	got, err := n.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("DeliverDue delivered %d, want %d", got, want)
	}
}

// notifyDelivery is the one delivery with id.
func notifyDelivery(t *testing.T, n *Notifier, id string) Delivery {
	t.Helper()
	all, err := n.List(context.Background(), DeliveryFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range all {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("delivery %s not listed", id)
	return Delivery{}
}

func TestNotifySign(t *testing.T) {
	t.Parallel()
	// The well-known HMAC-SHA256 example.
	got := Sign("key", []byte("The quick brown fox jumps over the lazy dog"))
	want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got != want {
		t.Errorf("Sign: got %s, want %s", got, want)
	}
}

func TestNotifySignatureVerifies(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"s3cret-for-the-shop", ""} {
		t.Run(fmt.Sprintf("secret=%q", secret), func(t *testing.T) {
			shop := newNotifyStorefront(t, nil)
			db, n := newNotifyTest(t, NotifyConfig{URL: shop.URL, Secret: secret}, "ord_1")
			id := enqueueNotify(t, db, n, "ord_1", "processing")
			if !strings.HasPrefix(id, "dlv_") || len(id) != len("dlv_")+16 {
				t.Errorf("delivery id %q, want dlv_ and 16 hex characters", id)
			}
			deliverDue(t, n, 1)

			got := shop.requests()
			if len(got) != 1 {
				t.Fatalf("storefront received %d requests, want 1", len(got))
			}
			r := got[0]
			if want := notifyBody("ord_1", "processing"); string(r.body) != string(want) {
				t.Errorf("body: got %s, want %s", r.body, want)
			}
			for h, want := range map[string]string{
				"Content-Type":     "application/json",
				"X-Syncd-Delivery": id,
				"X-Syncd-Event":    "order.status",
				"User-Agent":       "syncd",
			} {
				if v := r.header.Get(h); v != want {
					t.Errorf("%s: got %q, want %q", h, v, want)
				}
			}
			sig := r.header.Get("X-Syncd-Signature")
			if secret == "" {
				if sig != "" {
					t.Errorf("X-Syncd-Signature without a secret: got %q, want none", sig)
				}
				return
			}
			// What a receiver does: recompute over the bytes received.
			m := hmac.New(sha256.New, []byte(secret))
			m.Write(r.body)
			if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(sig), []byte(want)) {
				t.Errorf("X-Syncd-Signature: got %q, want %q", sig, want)
			}
		})
	}
}

func TestNotifyRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-for-the-shop"
	shop := newNotifyStorefront(t, func(i int, _ notifyRequest) (int, string) {
		if i < 2 {
			// A storefront echoing the secret must not get it stored.
			return http.StatusInternalServerError, "upstream\nexploded " + secret
		}
		return http.StatusOK, "ok"
	})
	clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	var outcomes []string
	db, n := newNotifyTest(t, NotifyConfig{URL: shop.URL, Secret: secret, Now: clock.Now,
		OnAttempt: func(o string) { outcomes = append(outcomes, o) }}, "ord_1")
	id := enqueueNotify(t, db, n, "ord_1", "success")

	var waits []time.Duration
	for attempt := 1; attempt <= 2; attempt++ {
		deliverDue(t, n, 0)
		d := notifyDelivery(t, n, id)
		if d.State != DeliveryPending || d.Attempts != attempt || d.NextAt == nil {
			t.Fatalf("after attempt %d: got state %s, attempts %d, next_at %v; want pending, %d, set",
				attempt, d.State, d.Attempts, d.NextAt, attempt)
		}
		if want := "HTTP 500: upstream exploded [secret]"; d.LastError != want {
			t.Errorf("last_error: got %q, want %q", d.LastError, want)
		}
		wait := d.NextAt.Sub(clock.Now())
		base := time.Duration(1<<(attempt-1)) * notifyBaseDelay
		if lo, hi := base*8/10, base*12/10; wait < lo || wait > hi {
			t.Errorf("attempt %d: retry in %v, want within [%v, %v]", attempt, wait, lo, hi)
		}
		waits = append(waits, wait)

		// Not due yet: nothing is sent.
		deliverDue(t, n, 0)
		if got := len(shop.requests()); got != attempt {
			t.Fatalf("storefront received %d requests before the retry was due, want %d", got, attempt)
		}
		clock.Set(*d.NextAt)
	}
	if waits[1] <= waits[0] {
		t.Errorf("backoff did not grow: %v then %v", waits[0], waits[1])
	}

	deliverDue(t, n, 1)
	d := notifyDelivery(t, n, id)
	if d.State != DeliveryDelivered || d.Attempts != 3 || d.NextAt != nil || d.DeliveredAt == nil || d.LastError != "" {
		t.Errorf("got %+v, want delivered on attempt 3, no next_at, no last_error", d)
	}
	if want := []string{"retry", "retry", "delivered"}; !slices.Equal(outcomes, want) {
		t.Errorf("OnAttempt: got %v, want %v", outcomes, want)
	}
	got := shop.requests()
	for _, r := range got[1:] {
		if r.delivery() != id || string(r.body) != string(got[0].body) {
			t.Errorf("retry sent %s %s, want the same delivery %s and body", r.delivery(), r.body, id)
		}
	}
}

// TestNotifyRefusals covers answers and failures other than a 5xx: each
// is retried, with what happened in last_error.
func TestNotifyRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		down    bool          // the storefront is not listening
		want    string        // last_error starts with
		wait    time.Duration // the retry comes this long after; 0: the normal backoff
	}{
		{name: "404 still retried", want: "HTTP 404: no such route",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no such route", http.StatusNotFound) }},
		{name: "429 honours Retry-After", want: "HTTP 429", wait: 2 * time.Minute,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				w.WriteHeader(http.StatusTooManyRequests)
			}},
		{name: "a redirect is not followed", want: "HTTP 308",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/moved" {
					return // a 200 that never saw the POST's body
				}
				http.Redirect(w, r, "/moved", http.StatusPermanentRedirect)
			}},
		{name: "long body cut", want: "HTTP 502: " + strings.Repeat("x", notifySnippetMax) + "…",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, strings.Repeat("x", 10_000))
			}},
		{name: "connection refused", down: true, want: "dial tcp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			if tc.down {
				srv.Close()
			}
			clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
			// The token stands for anything secret a URL may carry.
			db, n := newNotifyTest(t, NotifyConfig{URL: srv.URL + "/hook?token=t0ken", Now: clock.Now}, "ord_1")
			id := enqueueNotify(t, db, n, "ord_1", "failed")
			deliverDue(t, n, 0)
			d := notifyDelivery(t, n, id)
			if d.State != DeliveryPending || d.Attempts != 1 || d.NextAt == nil {
				t.Fatalf("got state %s, attempts %d, next_at %v; want pending, 1, set", d.State, d.Attempts, d.NextAt)
			}
			if !strings.HasPrefix(d.LastError, tc.want) || strings.Contains(d.LastError, "t0ken") {
				t.Errorf("last_error: got %q, want it to start with %q and not show the URL", d.LastError, tc.want)
			}
			if tc.wait != 0 {
				if got := d.NextAt.Sub(clock.Now()); got != tc.wait {
					t.Errorf("retry in %v, want %v", got, tc.wait)
				}
			}
		})
	}
}

func TestNotifyDelay(t *testing.T) {
	t.Parallel()
	n := NewNotifier(nil, nil, NotifyConfig{URL: "http://shop.invalid"})
	for _, tc := range []struct {
		attempt int
		jitter  float64
		asked   time.Duration
		want    time.Duration
	}{
		{attempt: 1, jitter: 0.5, want: 2 * time.Second},
		{attempt: 1, jitter: 0, want: 1600 * time.Millisecond},
		{attempt: 1, jitter: 1, want: 2400 * time.Millisecond},
		{attempt: 2, jitter: 0.5, want: 4 * time.Second},
		{attempt: 5, jitter: 0.5, want: 32 * time.Second},
		{attempt: 9, jitter: 0.5, want: 512 * time.Second},
		{attempt: 10, jitter: 0.5, want: 10 * time.Minute},                  // capped
		{attempt: 10, jitter: 1, want: 10 * time.Minute},                    // jitter never exceeds the cap
		{attempt: 10, jitter: 0, want: 8 * time.Minute},                     // but spreads below it
		{attempt: 1000, jitter: 0.5, want: 10 * time.Minute},                // no overflow
		{attempt: 1, jitter: 0.5, asked: time.Minute, want: time.Minute},    // Retry-After
		{attempt: 1, jitter: 0.5, asked: time.Hour, want: 10 * time.Minute}, // Retry-After, capped
	} {
		n.jitter = func() float64 { return tc.jitter }
		if got := n.delay(tc.attempt, tc.asked); got != tc.want {
			t.Errorf("delay(%d, %v) with jitter %v: got %v, want %v", tc.attempt, tc.asked, tc.jitter, got, tc.want)
		}
	}
}

func TestNotifySurvivesRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	shop := newNotifyStorefront(t, func(i int, _ notifyRequest) (int, string) {
		if i == 0 {
			return http.StatusServiceUnavailable, "down for maintenance"
		}
		return http.StatusOK, "ok"
	})
	path := dbtest.DSN(t)
	clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	cfg := NotifyConfig{URL: shop.URL, Secret: "s3cret", Now: clock.Now}

	db, err := syncd.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	insertNotifyOrder(t, db, "ord_1")
	insertNotifyOrder(t, db, "ord_2")
	n := NewNotifier(db, slog.New(slog.DiscardHandler), cfg)
	tried := enqueueNotify(t, db, n, "ord_1", "processing")
	deliverDue(t, n, 0) // refused once, pending
	untried := enqueueNotify(t, db, n, "ord_2", "processing")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	clock.Set(clock.Now().Add(time.Hour))
	db = openNotifyDB(t, path)
	n = NewNotifier(db, slog.New(slog.DiscardHandler), cfg)
	deliverDue(t, n, 2)
	for id, attempts := range map[string]int{tried: 2, untried: 1} {
		if d := notifyDelivery(t, n, id); d.State != DeliveryDelivered || d.Attempts != attempts {
			t.Errorf("%s after restart: got %s after %d attempts, want delivered after %d", id, d.State, d.Attempts, attempts)
		}
	}
	if got := len(shop.requests()); got != 3 {
		t.Errorf("storefront received %d requests, want 3", got)
	}
}

func TestNotifyKeepsOrderPerOrder(t *testing.T) {
	t.Parallel()
	shop := newNotifyStorefront(t, func(i int, r notifyRequest) (int, string) {
		if i == 0 { // the first delivery is refused once
			return http.StatusInternalServerError, "busy"
		}
		return http.StatusOK, "ok"
	})
	clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	db, n := newNotifyTest(t, NotifyConfig{URL: shop.URL, Now: clock.Now}, "ord_a", "ord_b")
	a1 := enqueueNotify(t, db, n, "ord_a", "processing")
	a2 := enqueueNotify(t, db, n, "ord_a", "success")
	b1 := enqueueNotify(t, db, n, "ord_b", "processing")

	// a1 is refused; a2 must wait for it; b1 does not.
	deliverDue(t, n, 1)
	if first := shop.requests()[0].delivery(); first != a1 {
		t.Fatalf("first sent %s, want %s", first, a1)
	}
	if d := notifyDelivery(t, n, a2); d.Attempts != 0 {
		t.Errorf("%s sent before the earlier %s was delivered", a2, a1)
	}
	// Once a1 is through, a2 follows in the same pass.
	clock.Set(clock.Now().Add(time.Minute))
	deliverDue(t, n, 2)

	var got []string
	for _, r := range shop.requests() {
		got = append(got, r.delivery())
	}
	if want := []string{a1, b1, a1, a2}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

func TestNotifyGivesUp(t *testing.T) {
	t.Parallel()
	shop := newNotifyStorefront(t, func(i int, r notifyRequest) (int, string) {
		if strings.Contains(string(r.body), "processing") {
			return http.StatusGone, "endpoint retired"
		}
		return http.StatusOK, "ok"
	})
	clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	var outcomes []string
	db, n := newNotifyTest(t, NotifyConfig{URL: shop.URL, Now: clock.Now, MaxAttempts: 3,
		OnAttempt: func(o string) { outcomes = append(outcomes, o) }}, "ord_1")
	first := enqueueNotify(t, db, n, "ord_1", "processing")
	later := enqueueNotify(t, db, n, "ord_1", "success")

	for range 2 {
		deliverDue(t, n, 0)
		clock.Set(clock.Now().Add(time.Hour))
	}
	// The third refusal gives up on first, which lets later go.
	deliverDue(t, n, 1)
	d := notifyDelivery(t, n, first)
	if d.State != DeliveryFailed || d.Attempts != 3 || d.NextAt != nil || d.FailedAt == nil ||
		d.LastError != "HTTP 410: endpoint retired" {
		t.Errorf("got %+v, want failed after 3 attempts with the last error", d)
	}
	if d := notifyDelivery(t, n, later); d.State != DeliveryDelivered {
		t.Errorf("%s: got %s, want delivered once the earlier delivery was given up", later, d.State)
	}
	if want := []string{"retry", "retry", "failed", "delivered"}; !slices.Equal(outcomes, want) {
		t.Errorf("OnAttempt: got %v, want %v", outcomes, want)
	}
	// Given up is final.
	clock.Set(clock.Now().Add(24 * time.Hour))
	deliverDue(t, n, 0)
	if got := len(shop.requests()); got != 4 {
		t.Errorf("storefront received %d requests, want 4", got)
	}
	pending, failed, err := n.Stats(context.Background())
	if err != nil || pending != 0 || failed != 1 {
		t.Errorf("Stats: got %d pending, %d failed, %v; want 0, 1, nil", pending, failed, err)
	}
}

func TestNotifyList(t *testing.T) {
	t.Parallel()
	shop := newNotifyStorefront(t, func(i int, r notifyRequest) (int, string) {
		if strings.Contains(string(r.body), `"ord_b"`) {
			return http.StatusInternalServerError, "no"
		}
		return http.StatusOK, "ok"
	})
	clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	db, n := newNotifyTest(t, NotifyConfig{URL: shop.URL, Now: clock.Now, MaxAttempts: 1}, "ord_a", "ord_b", "ord_c")
	a1 := enqueueNotify(t, db, n, "ord_a", "processing")
	a2 := enqueueNotify(t, db, n, "ord_a", "success")
	b1 := enqueueNotify(t, db, n, "ord_b", "processing") // fails at once: MaxAttempts 1
	deliverDue(t, n, 2)
	c1 := enqueueNotify(t, db, n, "ord_c", "processing") // pending

	pending, failed, err := n.Stats(context.Background())
	if err != nil || pending != 1 || failed != 1 {
		t.Errorf("Stats: got %d pending, %d failed, %v; want 1, 1, nil", pending, failed, err)
	}
	for _, tc := range []struct {
		f    DeliveryFilter
		want []string
	}{
		{DeliveryFilter{}, []string{c1, b1, a2, a1}},
		{DeliveryFilter{State: DeliveryPending}, []string{c1}},
		{DeliveryFilter{State: DeliveryDelivered}, []string{a2, a1}},
		{DeliveryFilter{State: DeliveryFailed}, []string{b1}},
		{DeliveryFilter{Order: "ord_a"}, []string{a2, a1}},
		{DeliveryFilter{Order: "ord_a", State: DeliveryFailed}, nil},
		{DeliveryFilter{Order: "ord_x"}, nil},
		{DeliveryFilter{Limit: 2}, []string{c1, b1}},
		{DeliveryFilter{Limit: 100_000}, []string{c1, b1, a2, a1}},
	} {
		ds, err := n.List(context.Background(), tc.f)
		if err != nil {
			t.Fatalf("List(%+v): %v", tc.f, err)
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("List(%+v): got %v, want %v", tc.f, got, tc.want)
		}
	}
	d := notifyDelivery(t, n, b1)
	if d.Order != "ord_b" || d.Status != "processing" || d.State != DeliveryFailed || d.Attempts != 1 ||
		d.LastError != "HTTP 500: no" || !d.CreatedAt.Equal(clock.Now()) || !d.FailedAt.Equal(clock.Now()) {
		t.Errorf("got %+v, want ord_b processing, failed after 1 attempt at the clock's time", d)
	}
	if _, err := n.List(context.Background(), DeliveryFilter{State: "lost"}); !errors.Is(err, ErrDeliveryFilter) {
		t.Errorf("List(state lost): got %v, want ErrDeliveryFilter", err)
	}
}

func TestNotifyDisabled(t *testing.T) {
	t.Parallel()
	db, n := newNotifyTest(t, NotifyConfig{}, "ord_1")
	if id := enqueueNotify(t, db, n, "ord_1", "processing"); id != "" {
		t.Errorf("Enqueue: got delivery %q, want none", id)
	}
	var rows int
	if err := db.Read.Get(&rows, `SELECT COUNT(*) FROM notify_outbox`); err != nil || rows != 0 {
		t.Errorf("notify_outbox: got %d rows (%v), want 0", rows, err)
	}
	deliverDue(t, n, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n.Run(ctx) // returns at once
}

func TestNotifyEnqueueRefusesNonJSON(t *testing.T) {
	t.Parallel()
	db, n := newNotifyTest(t, NotifyConfig{URL: "http://shop.invalid"}, "ord_1")
	tx, err := db.Write.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := n.Enqueue(context.Background(), tx, "ord_1", "success", []byte("not json")); err == nil {
		t.Error("Enqueue of a body that is not JSON: got no error")
	}
}

func TestNotifyRun(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	started := make(chan string, 10)
	shop := newNotifyStorefront(t, func(i int, r notifyRequest) (int, string) {
		started <- r.delivery()
		if i == 1 {
			<-release // the second delivery is in progress when Run is stopped
		}
		return http.StatusOK, "ok"
	})
	t.Cleanup(unblock) // before the server's Close, which waits for the handler
	db, n := newNotifyTest(t, NotifyConfig{URL: shop.URL}, "ord_1", "ord_2")
	n.poll = time.Hour // only a Kick or a due retry wakes Run

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		n.Run(ctx)
		close(done)
	}()
	// The deadlines only keep a broken Run from hanging the test.
	wait := func(want string) {
		t.Helper()
		select {
		case got := <-started:
			if got != want {
				t.Fatalf("storefront received %s, want %s", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s not delivered", want)
		}
	}
	first := enqueueNotify(t, db, n, "ord_1", "processing") // Kicks
	wait(first)
	second := enqueueNotify(t, db, n, "ord_2", "processing")
	wait(second)

	cancel()
	unblock()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// The delivery in progress at cancel was finished and recorded.
	if d := notifyDelivery(t, n, second); d.State != DeliveryDelivered {
		t.Errorf("%s: got %s, want delivered", second, d.State)
	}
}

// Two instances' alert senders, running at once over one outbox, deliver
// each alert once (claim). SQLite has one instance, and one sender.
func TestAlertsOfTwoInstancesDeliverOnce(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("SQLite runs one instance per database: one sender, one pass at a time")
	}
	shop := newNotifyStorefront(t, func(int, notifyRequest) (int, string) {
		time.Sleep(5 * time.Millisecond) // so the two senders' passes overlap
		return http.StatusOK, "ok"
	})
	ctx := context.Background()
	path := dbtest.DSN(t)
	clock := testclock.At(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	cfg := NotifyConfig{URL: shop.URL, Now: clock.Now}
	dbA, dbB := openNotifyDB(t, path), openNotifyDB(t, path)
	a := NewAlerts(dbA, slog.New(slog.DiscardHandler), cfg)
	const n = 20
	for i := range n {
		err := dbA.InDurableTx(ctx, func(tx *sqlx.Tx) error {
			return a.Enqueue(ctx, tx, "supplier.balance_low", fmt.Appendf(nil, `{"n": %d}`, i))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	senders := []*Alerts{a, NewAlerts(dbB, slog.New(slog.DiscardHandler), cfg)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	delivered := 0
	for _, s := range senders {
		wg.Go(func() {
			k, err := s.DeliverDue(ctx)
			if err != nil {
				t.Errorf("deliver: %v", err)
			}
			mu.Lock()
			delivered += k
			mu.Unlock()
		})
	}
	wg.Wait()
	got := map[string]int{}
	for _, r := range shop.requests() {
		got[r.delivery()]++
	}
	if len(got) != n || delivered != n {
		t.Fatalf("alerts received: %d distinct, %d counted delivered; want %d", len(got), delivered, n)
	}
	for d, k := range got {
		if k != 1 {
			t.Errorf("alert %s received %d times, want once", d, k)
		}
	}
	if p, err := a.Pending(ctx); err != nil || p != 0 {
		t.Fatalf("pending after both senders: %d (%v), want 0", p, err)
	}
}
